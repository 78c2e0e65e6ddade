#include "tools/quartet/demo/child.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace quartet::demo {

Result<Child> Child::Start(std::vector<std::string> argv,
                           const std::map<std::string, std::string>& env,
                           const std::string& log_path) {
  if (argv.empty()) return Status::InvalidArgument("no program to start");
  if (access(argv[0].c_str(), X_OK) != 0) {
    return Status::NotFound(argv[0] + " is not an executable (build it first: ./setup)");
  }
  int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) return Status::Internal("cannot open " + log_path + ": " + std::strerror(errno));

  // Everything the child needs is built before fork: only async-signal-safe
  // calls happen between fork and exec.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::string_view key = entry.substr(0, entry.find('='));
    if (env.find(std::string(key)) == env.end()) env_strings.emplace_back(entry);
  }
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) {
    close(log);
    return Status::Internal(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // The demo blocks SIGINT/SIGTERM to sigwait for them; the child must not
    // inherit that mask, or it could never be stopped.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    setpgid(0, 0);  // Ctrl-C in the terminal reaches the demo, which stops us in order
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(log, 1);
    dup2(log, 2);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  close(log);
  std::string name = argv[0].substr(argv[0].rfind('/') + 1);
  return Child(pid, std::move(name), log_path);
}

Child::Child(Child&& other) noexcept
    : pid_(other.pid_), name_(std::move(other.name_)), log_path_(std::move(other.log_path_)) {
  other.pid_ = -1;
}

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    Stop();
    pid_ = other.pid_;
    name_ = std::move(other.name_);
    log_path_ = std::move(other.log_path_);
    other.pid_ = -1;
  }
  return *this;
}

Child::~Child() { Stop(); }

bool Child::running() {
  if (pid_ < 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {
    pid_ = -1;
    return false;
  }
  return true;
}

void Child::Stop(std::chrono::milliseconds grace) {
  if (!running()) return;
  kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string Child::LogTail() const {
  std::ifstream in(log_path_);
  std::stringstream all;
  all << in.rdbuf();
  std::string text = all.str();
  return text.size() > 600 ? "..." + text.substr(text.size() - 600) : text;
}

Result<std::string> Child::WaitForLine(const std::function<bool(std::string_view)>& match,
                                       std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::ifstream in(log_path_);
    std::string line;
    while (std::getline(in, line)) {
      if (match(line)) return line;
    }
    if (!running()) {
      return Status::Unavailable(name_ + " exited; the end of its log (" + log_path_ + "):\n" +
                                 LogTail());
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::DeadlineExceeded(name_ + " not ready in time; the end of its log (" +
                                      log_path_ + "):\n" + LogTail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace quartet::demo
