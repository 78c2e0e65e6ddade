// quartet::Logger, the level helpers and the global pipeline switch.
#include <cctype>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "quartet/log.h"
#include "sdk/log/bound_attrs.h"
#include "sdk/log/log_pipeline.h"

namespace quartet {

namespace log_internal {
constinit std::atomic<int> g_global_min_level{static_cast<int>(LogLevel::kInfo)};
}  // namespace log_internal

namespace {

std::atomic<LogPipeline*> g_installed{nullptr};

LogPipeline* DefaultPipeline() noexcept {
  // Leaked on purpose (loggers may run during static destruction), but kept
  // reachable from this static so leak checkers stay quiet.
  static std::shared_ptr<LogPipeline>* const holder = []() -> std::shared_ptr<LogPipeline>* {
    LogPipelineOptions o;
    o.output = "stderr";
    o.synchronous = true;
    // Before Init, the service name Init would pick from the environment.
    if (const char* name = std::getenv("OTEL_SERVICE_NAME"); name != nullptr && *name != '\0')
      o.service = name;
    auto r = LogPipeline::Start(std::move(o));
    if (!r.ok()) return nullptr;
    return new std::shared_ptr<LogPipeline>(std::move(r).value());
  }();
  return holder != nullptr ? holder->get() : nullptr;
}

std::mutex& KeepAliveMu() {
  static auto* mu = new std::mutex;
  return *mu;
}
std::vector<std::shared_ptr<LogPipeline>>& KeepAlive() {
  static auto* v = new std::vector<std::shared_ptr<LogPipeline>>;
  return *v;
}

}  // namespace

std::optional<LogLevel> ParseLogLevel(std::string_view text) noexcept {
  auto is = [text](std::string_view word) {
    if (text.size() != word.size()) return false;
    for (size_t i = 0; i < text.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(text[i])) != word[i]) return false;
    }
    return true;
  };
  if (is("debug")) return LogLevel::kDebug;
  if (is("info")) return LogLevel::kInfo;
  if (is("warn") || is("warning")) return LogLevel::kWarn;
  if (is("error")) return LogLevel::kError;
  return std::nullopt;
}

std::string_view LogLevelName(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarn:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
  }
  return "INFO";
}

int LogSeverityNumber(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::kDebug:
      return 5;
    case LogLevel::kInfo:
      return 9;
    case LogLevel::kWarn:
      return 13;
    case LogLevel::kError:
      return 17;
  }
  return 9;
}

Logger Logger::With(std::initializer_list<LogAttr> attrs) const noexcept {
  Logger child = *this;
  child.bound_ =
      log_internal::BoundAttrs::Make(bound_, std::span<const LogAttr>(attrs.begin(), attrs.size()));
  return child;
}

void Logger::Write(LogLevel level, std::string_view message,
                   std::span<const LogAttr> attrs) const noexcept {
  LogPipeline* p = pipeline_ != nullptr ? pipeline_.get() : GlobalLogPipeline();
  if (p != nullptr) p->Submit(level, message, attrs, bound_);
}

Logger& Log() noexcept {
  static constinit Logger root;  // writes to whichever pipeline is installed
  return root;
}

void InstallGlobalLogPipeline(std::shared_ptr<LogPipeline> p) noexcept {
  if (p == nullptr) return;
  std::lock_guard<std::mutex> lock(KeepAliveMu());
  try {
    KeepAlive().push_back(p);
  } catch (...) {
    return;  // cannot pin it: keep the current pipeline
  }
  g_installed.store(p.get(), std::memory_order_release);
  log_internal::g_global_min_level.store(static_cast<int>(p->level()));
}

void ResetGlobalLogPipeline() noexcept {
  std::lock_guard<std::mutex> lock(KeepAliveMu());
  g_installed.store(nullptr, std::memory_order_release);
  LogPipeline* d = DefaultPipeline();
  log_internal::g_global_min_level.store(
      static_cast<int>(d != nullptr ? d->level() : LogLevel::kInfo));
}

LogPipeline* GlobalLogPipeline() noexcept {
  LogPipeline* p = g_installed.load(std::memory_order_acquire);
  return p != nullptr ? p : DefaultPipeline();
}

}  // namespace quartet
