// `quartet doctor --server URL [--since 1h | --from T --to T] [--service NAME]
// [--format text|json]`: runs the wiring checks of checks.h against a running
// quartetd and prints each finding with its evidence and fix. Exits 1 when a
// check found a problem, 0 otherwise (warnings and skipped checks included),
// 2 for a flag error.
#pragma once

#include <string>
#include <vector>

namespace quartet::doctor {

int RunDoctorCommand(const std::vector<std::string>& args);

}  // namespace quartet::doctor
