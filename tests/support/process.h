// Test support: start a real binary as a child process with its own
// environment, stdout/stderr captured to files, and stop it (SIGTERM, then
// SIGKILL after a grace period). Used by the whole-binary tests in tests/.
// Not thread-safe; one owner per Process.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace quartet::testing {

class Process {
 public:
  struct Options {
    std::vector<std::string> argv;           // argv[0] is the program path
    std::map<std::string, std::string> env;  // added to a minimal inherited env
    std::string stdout_path;                 // default: a temp file
    std::string stderr_path;                 // default: a temp file
  };

  explicit Process(Options options);
  ~Process();  // Stop() if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // SIGTERM, wait up to `grace`, then SIGKILL; returns the exit status
  // (WEXITSTATUS, or 128+signal) and how long it took.
  int Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  std::chrono::milliseconds last_stop_duration() const { return last_stop_duration_; }
  void Kill9();

  std::string ReadStdout() const;
  std::string ReadStderr() const;
  const std::string& stdout_path() const { return options_.stdout_path; }

  // Polls `condition` every 20 ms until true or `timeout`; false on timeout.
  static bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

  // Resident set size of the child in bytes (from /proc), 0 if gone.
  size_t RssBytes() const;

 private:
  Options options_;
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
  std::chrono::milliseconds last_stop_duration_{0};
};

// Path of a built binary (QUARTET_BIN_DIR/<name>), or of the source tree.
std::string BinaryPath(const std::string& name);
std::string SourcePath(const std::string& relative);
std::string TempDir(const std::string& prefix);  // fresh, unique
std::string ReadFile(const std::string& path);

}  // namespace quartet::testing
