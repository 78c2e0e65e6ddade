// A service outside quartet's tree, built only against the installed SDK
// (find_package(quartet) or pkg-config). Exits 0 when every signal works.
#include <quartet/quartet.h>

#include <cstdio>

int main() {
  quartet::Config config;
  config.service_name = "hello";
  config.traces_exporter = "none";  // nothing to export to here
  config.logs_exporter = "none";
  config.admin_listen = "127.0.0.1:0";
  quartet::Telemetry telemetry = quartet::Init(config);

  auto requests =
      quartet::Metrics().Counter("hello_requests_total", "Greetings served.", {"route"});
  {
    quartet::Span span = quartet::Tracer().StartSpan("greet", {.kind = quartet::SpanKind::kServer});
    quartet::Scope scope(span);
    requests.WithLabels({"/hello"}).Inc();
    quartet::Log().Info("hello from an installed SDK", {{"answer", 42}});
    if (!span.context().valid()) return 1;
  }
  std::string text = quartet::Metrics().Render(quartet::MetricsFormat::kText004);
  if (text.find("hello_requests_total{route=\"/hello\"} 1") == std::string::npos) {
    std::fprintf(stderr, "counter missing from exposition:\n%s", text.c_str());
    return 1;
  }
  return telemetry.Shutdown(std::chrono::seconds(2)) ? 0 : 1;
}
