// `quartet ship`: flag parsing and signal handling around Shipper
// (shipper.h). Returns the process exit code: 0 after SIGTERM/SIGINT, 2 for
// bad flags, 1 for a fatal error (unreadable positions file).
// Not thread-safe: called once from main.
#pragma once

#include <string>
#include <vector>

namespace quartet::ship {

int RunShipCommand(const std::vector<std::string>& args);

}  // namespace quartet::ship
