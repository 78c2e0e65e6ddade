// `quartet demo`: plays the reference incident of DESIGN.md on this machine.
// It starts quartetd (a temporary data directory unless --data-dir is given)
// configured to scrape the checkout service and to evaluate the
// HighCheckoutLatency alert, starts the checkout example sending it traces,
// logs and profiles (only OTEL_EXPORTER_OTLP_ENDPOINT and
// PYROSCOPE_SERVER_ADDRESS set), drives a steady load with one heavy user,
// plays a healthy baseline, applies the migration that drops the index
// (announced as a deploy annotation by the service itself), waits for the
// alert to fire, prints `quartet incident`'s report and where to click, and
// keeps everything running until Ctrl-C (or exits: --after-report exit).
#pragma once

#include <string>
#include <vector>

namespace quartet::demo {

// argv after "demo"; returns the process exit code (2 for a flag error).
int RunDemoCommand(const std::vector<std::string>& args);

}  // namespace quartet::demo
