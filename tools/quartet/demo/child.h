// A child process of `quartet demo`: quartetd or the checkout service, started
// with extra environment variables, its stdout and stderr appended to one log
// file, and stopped with SIGTERM (then SIGKILL after a grace period) so that
// it flushes what it holds. Not thread-safe; one owner per Child.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "quartet/status.h"

namespace quartet::demo {

class Child {
 public:
  // Starts argv[0] (a path) with `env` added to this process's environment.
  static Result<Child> Start(std::vector<std::string> argv,
                             const std::map<std::string, std::string>& env,
                             const std::string& log_path);
  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();  // Stop()

  bool running();
  // SIGTERM, up to `grace` for it to exit, then SIGKILL. Idempotent.
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

  // Polls the log file until a line satisfies `match` (returns it), the child
  // exits, or `timeout` passes (both errors say which and quote the log tail).
  Result<std::string> WaitForLine(const std::function<bool(std::string_view)>& match,
                                  std::chrono::milliseconds timeout);

  const std::string& log_path() const { return log_path_; }
  const std::string& name() const { return name_; }

 private:
  Child(pid_t pid, std::string name, std::string log_path)
      : pid_(pid), name_(std::move(name)), log_path_(std::move(log_path)) {}
  std::string LogTail() const;

  pid_t pid_ = -1;
  std::string name_;
  std::string log_path_;
};

}  // namespace quartet::demo
