#include "tests/support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

namespace quartet::testing {

Process::Process(Options options) : options_(std::move(options)) {
  std::string dir = TempDir("proc");
  if (options_.stdout_path.empty()) options_.stdout_path = dir + "/stdout";
  if (options_.stderr_path.empty()) options_.stderr_path = dir + "/stderr";

  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    std::string key = kv.substr(0, kv.find('='));
    // Tests decide every OTEL_*/QUARTET_* setting themselves.
    if (key.rfind("OTEL_", 0) == 0 || key.rfind("QUARTET_", 0) == 0) continue;
    if (options_.env.contains(key)) continue;
    env_strings.push_back(kv);
  }
  for (const auto& [k, v] : options_.env) env_strings.push_back(k + "=" + v);

  std::vector<char*> argv, envp;
  for (auto& a : options_.argv) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_ = fork();
  if (pid_ == 0) {
    int out = open(options_.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(options_.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
}

Process::~Process() {
  if (pid_ > 0 && !exit_status_) Stop(std::chrono::seconds(5));
}

bool Process::running() {
  if (exit_status_) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return true;
}

int Process::Stop(std::chrono::milliseconds grace) {
  if (exit_status_) return *exit_status_;
  auto start = std::chrono::steady_clock::now();
  kill(pid_, SIGTERM);
  bool exited = WaitFor([&] { return !running(); }, grace);
  if (!exited) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    exit_status_ = 128 + SIGKILL;
  }
  last_stop_duration_ = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  return *exit_status_;
}

void Process::Kill9() {
  if (exit_status_) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  exit_status_ = 128 + SIGKILL;
}

std::string Process::ReadStdout() const { return ReadFile(options_.stdout_path); }
std::string Process::ReadStderr() const { return ReadFile(options_.stderr_path); }

bool Process::WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

size_t Process::RssBytes() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  }
  return 0;
}

std::string BinaryPath(const std::string& name) {
  const char* dir = std::getenv("QUARTET_BIN_DIR");
  return std::string(dir ? dir : "build/bin") + "/" + name;
}

std::string SourcePath(const std::string& relative) {
  const char* dir = std::getenv("QUARTET_SOURCE_DIR");
  return std::string(dir ? dir : ".") + "/" + relative;
}

namespace {

// Removes every TempDir when the test binary exits normally. Without it a CI
// run of three build flavours left gigabytes in /tmp (each reference-incident
// checkout seeds a 500 MB database) and filled the disk. A crashed test keeps
// its directories for the post-mortem, and QUARTET_KEEP_TEMP=1 keeps them all.
class TempDirs {
 public:
  ~TempDirs() {
    const char* keep = std::getenv("QUARTET_KEEP_TEMP");
    if (keep != nullptr && std::string_view(keep) == "1") return;
    for (const std::string& dir : dirs_) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  }
  void Add(std::string dir) {
    std::lock_guard<std::mutex> lock(mu_);
    dirs_.push_back(std::move(dir));
  }

 private:
  std::mutex mu_;
  std::vector<std::string> dirs_;
};

TempDirs& MadeTempDirs() {
  static TempDirs dirs;
  return dirs;
}

}  // namespace

std::string TempDir(const std::string& prefix) {
  std::string templ =
      (std::filesystem::temp_directory_path() / ("quartet-" + prefix + "-XXXXXX")).string();
  if (mkdtemp(templ.data()) == nullptr) std::abort();
  MadeTempDirs().Add(templ);
  return templ;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace quartet::testing
