#include "sdk/log/log_pipeline.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>

#include "base/clock.h"
#include "sdk/context/current.h"
#include "sdk/log/log_test_util.h"

namespace quartet {
namespace {

using log_test::ParseLines;
using log_test::ReadLines;
using log_test::Str;
using log_test::TempFile;
using namespace std::chrono_literals;

// "2026-11-25T23:41:07.123456789Z": digits where the pattern has 'd'.
bool LooksLikeRfc3339Nanos(const std::string& s) {
  const std::string pattern = "dddd-dd-ddTdd:dd:dd.dddddddddZ";
  if (s.size() != pattern.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (pattern[i] == 'd' ? !std::isdigit(static_cast<unsigned char>(s[i])) : s[i] != pattern[i]) {
      return false;
    }
  }
  return true;
}

std::shared_ptr<LogPipeline> StartOrDie(LogPipelineOptions o) {
  auto r = LogPipeline::Start(std::move(o));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : nullptr;
}

std::shared_ptr<LogPipeline> StartToFile(const TempFile& f, LogLevel level = LogLevel::kDebug) {
  LogPipelineOptions o;
  o.service = "checkout";
  o.output = f.path();
  o.level = level;
  return StartOrDie(std::move(o));
}

TEST(LogPipelineTest, WritesOneParsableLinePerCall) {
  TempFile file;
  auto p = StartToFile(file);
  Logger log = p->logger();
  log.Info("db query", {{"query", std::string("SELECT 1")},
                        {"rows", 42},
                        {"ok", true},
                        {"ratio", 0.5},
                        {"duration", 12500us}});
  log.Error("boom");
  ASSERT_TRUE(p->Shutdown(5s));
  auto lines = ParseLines(ReadLines(file.path()));
  ASSERT_EQ(lines.size(), 2u);
  const json::Value& l = lines[0];
  EXPECT_TRUE(LooksLikeRfc3339Nanos(Str(l, "time"))) << Str(l, "time");
  EXPECT_EQ(Str(l, "level"), "INFO");
  EXPECT_EQ(Str(l, "message"), "db query");
  EXPECT_EQ(Str(l, "service"), "checkout");
  EXPECT_EQ(Str(l, "query"), "SELECT 1");
  EXPECT_EQ(*l.Find("rows")->int_value(), 42);
  EXPECT_TRUE(l.Find("ok")->bool_value());
  EXPECT_EQ(l.Find("ratio")->double_value(), 0.5);
  EXPECT_EQ(l.Find("duration")->double_value(), 0.0125);
  EXPECT_EQ(l.Find("trace_id"), nullptr);
  EXPECT_EQ(Str(lines[1], "level"), "ERROR");
  EXPECT_EQ(lines[1].members().size(), 4u);  // time, level, message, service
}

TEST(LogPipelineTest, StampsTraceContextOfTheCallingThread) {
  TempFile file;
  auto p = StartToFile(file);
  Logger log = p->logger();
  SpanContext span;
  for (int i = 0; i < 16; ++i) span.trace_id.bytes[i] = static_cast<uint8_t>(0x10 + i);
  for (int i = 0; i < 8; ++i) span.span_id.bytes[i] = static_cast<uint8_t>(0xf0 + i);
  span.trace_flags = kTraceFlagSampled;

  log.Info("before");
  {
    context_internal::Frame frame;
    frame.span = &span;
    frame.request_id = "req-7";
    context_internal::Push(&frame);
    log.Info("inside");
    {
      SpanContext unsampled = span;
      unsampled.trace_flags = 0;
      unsampled.span_id.bytes[0] = 0xaa;
      context_internal::Frame inner;
      inner.span = &unsampled;  // request id inherited from the outer frame
      context_internal::Push(&inner);
      log.Info("nested");
      context_internal::Pop(&inner);
    }
    context_internal::Pop(&frame);
  }
  {
    context_internal::Frame only_request;
    only_request.request_id = "req-8";
    context_internal::Push(&only_request);
    log.Info("request only");
    context_internal::Pop(&only_request);
  }
  log.Info("after");
  ASSERT_TRUE(p->Shutdown(5s));
  auto lines = ParseLines(ReadLines(file.path()));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0].Find("trace_id"), nullptr);
  EXPECT_EQ(lines[0].Find("request_id"), nullptr);
  EXPECT_EQ(Str(lines[1], "trace_id"), "101112131415161718191a1b1c1d1e1f");
  EXPECT_EQ(Str(lines[1], "span_id"), "f0f1f2f3f4f5f6f7");
  EXPECT_TRUE(lines[1].Find("sampled")->bool_value());
  EXPECT_EQ(Str(lines[1], "request_id"), "req-7");
  EXPECT_EQ(Str(lines[2], "span_id"), "aaf1f2f3f4f5f6f7");
  EXPECT_FALSE(lines[2].Find("sampled")->bool_value());
  EXPECT_EQ(Str(lines[2], "request_id"), "req-7");
  EXPECT_EQ(lines[3].Find("trace_id"), nullptr);
  EXPECT_EQ(lines[3].Find("sampled"), nullptr);
  EXPECT_EQ(Str(lines[3], "request_id"), "req-8");
  EXPECT_EQ(lines[4].Find("request_id"), nullptr);
}

TEST(LogPipelineTest, ChildLoggersCarryBoundAttributesInOrder) {
  TempFile file;
  auto p = StartToFile(file);
  Logger base = p->logger();
  Logger db;
  {
    std::string temporary = "db";  // bound values are copied: it may die
    db = base.With({{"component", temporary}, {"shard", 3}});
  }
  Logger replica = db.With({{"replica", true}, {"message", "reserved"}});
  replica.Info("hi", {{"rows", 1}, {"shard", 4}});
  base.Info("plain");
  ASSERT_TRUE(p->Shutdown(5s));
  auto raw = ReadLines(file.path());
  ASSERT_EQ(raw.size(), 2u);
  auto lines = ParseLines(raw);
  std::vector<std::string> keys;
  for (const auto& m : lines[0].members()) keys.push_back(m.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"time", "level", "message", "service", "component",
                                            "shard", "replica", "attr.message", "rows", "shard"}));
  EXPECT_EQ(Str(lines[0], "component"), "db");
  EXPECT_EQ(Str(lines[0], "message"), "hi");
  EXPECT_EQ(*lines[0].Find("shard")->int_value(), 4);  // the call's duplicate is last
  EXPECT_EQ(lines[1].Find("component"), nullptr);
}

TEST(LogPipelineTest, LevelFiltering) {
  TempFile file;
  auto p = StartToFile(file, LogLevel::kWarn);
  Logger log = p->logger();
  EXPECT_FALSE(log.Enabled(LogLevel::kInfo));
  EXPECT_TRUE(log.Enabled(LogLevel::kWarn));
  log.Debug("d");
  log.Info("i");
  log.Warn("w");
  log.Error("e");
  p->SetLevel(LogLevel::kDebug);
  EXPECT_TRUE(log.Enabled(LogLevel::kDebug));
  log.Debug("d2");
  log.Log(LogLevel::kInfo, "i2", {{"k", 1}});
  ASSERT_TRUE(p->Shutdown(5s));
  auto lines = ParseLines(ReadLines(file.path()));
  std::string seen;
  for (const auto& l : lines) seen += Str(l, "message") + " ";
  EXPECT_EQ(seen, "w e d2 i2 ");

  struct Case {
    const char* text;
    std::optional<LogLevel> level;
  };
  const Case cases[] = {{"debug", LogLevel::kDebug},
                        {"INFO", LogLevel::kInfo},
                        {"Warn", LogLevel::kWarn},
                        {"warning", LogLevel::kWarn},
                        {"error", LogLevel::kError},
                        {"", std::nullopt},
                        {"fatal", std::nullopt},
                        {"info ", std::nullopt},
                        {"debugdebugdebugdebug", std::nullopt}};
  for (const Case& c : cases) EXPECT_EQ(ParseLogLevel(c.text), c.level) << c.text;
  EXPECT_EQ(LogSeverityNumber(LogLevel::kDebug), 5);
  EXPECT_EQ(LogSeverityNumber(LogLevel::kError), 17);
}

TEST(LogPipelineTest, HostileMessagesAndValuesStayOneValidLine) {
  TempFile file;
  auto p = StartToFile(file);
  Logger log = p->logger();
  const std::string hostile[] = {
      "line1\nline2\r\n{\"level\":\"ERROR\"}",
      std::string("nul\0inside", 10),
      "\"},{\"injected\":true",
      "\xff\xfe invalid \xc0\xaf utf8 \xed\xa0\x80",
      "\\\\\\\"",
      std::string(100'000, 'z'),  // spilled to the heap, truncated to 64 KiB
  };
  for (const std::string& h : hostile) log.Warn(h, {{h, h}});
  ASSERT_TRUE(p->Shutdown(5s));
  auto raw = ReadLines(file.path());
  ASSERT_EQ(raw.size(), std::size(hostile));
  auto lines = ParseLines(raw);
  ASSERT_EQ(lines.size(), std::size(hostile));
  EXPECT_EQ(Str(lines[0], "message"), hostile[0]);
  EXPECT_EQ(Str(lines[0], "level"), "WARN");
  EXPECT_EQ(Str(lines[1], "message"), hostile[1]);
  EXPECT_EQ(Str(lines[2], "message"), hostile[2]);
  EXPECT_EQ(lines[2].Find("injected"), nullptr);
  EXPECT_EQ(Str(lines[3], "message"),
            "\xEF\xBF\xBD\xEF\xBF\xBD invalid \xEF\xBF\xBD\xEF\xBF\xBD utf8 "
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(Str(lines[5], "message").size(), 64u * 1024);
}

// A pipe nobody reads stalls the writer thread in write(2): the ring fills.
struct StalledPipe {
  int fds[2];
  StalledPipe() {
    EXPECT_EQ(pipe(fds), 0);
    fcntl(fds[1], F_SETPIPE_SZ, 4096);
  }
  ~StalledPipe() {
    close(fds[0]);
    close(fds[1]);
  }
  // Reads everything until `done` and no more data, returning the lines.
  std::vector<std::string> Drain(const std::function<bool()>& done) {
    std::string all;
    char buf[65536];
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    while (true) {
      const ssize_t n = read(fds[0], buf, sizeof buf);
      if (n > 0) {
        all.append(buf, n);
      } else if (done()) {
        if (read(fds[0], buf, 0) == 0 && n <= 0) break;
      } else {
        std::this_thread::sleep_for(1ms);
      }
    }
    std::vector<std::string> lines;
    size_t start = 0;
    for (size_t nl; (nl = all.find('\n', start)) != std::string::npos; start = nl + 1) {
      lines.push_back(all.substr(start, nl - start));
    }
    EXPECT_EQ(start, all.size()) << "partial last line";
    return lines;
  }
};

TEST(LogPipelineTest, DropsAndCountsWhenFullThenReportsTheCount) {
  StalledPipe pipe;
  LogPipelineOptions o;
  o.output_fd = pipe.fds[1];
  o.buffer_records = 8;
  auto p = StartOrDie(o);
  Logger log = p->logger();
  constexpr int kRecords = 20000;
  for (int i = 0; i < kRecords; ++i) log.Info("record", {{"i", i}, {"pad", std::string(200, 'p')}});
  const uint64_t dropped = p->dropped();
  EXPECT_GT(dropped, 0u);
  EXPECT_LT(dropped, static_cast<uint64_t>(kRecords));

  std::atomic<bool> flushed{false};
  std::thread flusher([&] {
    EXPECT_TRUE(p->Shutdown(10s));
    flushed = true;
  });
  auto raw = pipe.Drain([&] { return flushed.load(); });
  flusher.join();
  auto lines = ParseLines(raw);
  uint64_t records = 0, reported = 0;
  for (const auto& l : lines) {
    if (Str(l, "message") == "record") {
      ++records;
    } else {
      EXPECT_EQ(Str(l, "message"), "log records dropped: buffer full");
      EXPECT_EQ(Str(l, "level"), "WARN");
      reported += static_cast<uint64_t>(*l.Find("dropped")->int_value());
    }
  }
  EXPECT_EQ(p->dropped(), dropped);  // nothing logged after the loop
  EXPECT_EQ(reported, dropped);
  EXPECT_EQ(records + dropped, static_cast<uint64_t>(kRecords));
}

TEST(LogPipelineTest, BlockModeLosesNothing) {
  StalledPipe pipe;
  LogPipelineOptions o;
  o.output_fd = pipe.fds[1];
  o.buffer_records = 2;
  o.block_when_full = true;
  auto p = StartOrDie(o);
  std::atomic<bool> done{false};
  constexpr int kRecords = 3000;
  std::thread producer([&] {
    Logger log = p->logger();
    for (int i = 0; i < kRecords; ++i) log.Info("r", {{"i", i}});
    EXPECT_TRUE(p->Shutdown(10s));
    done = true;
  });
  auto lines = ParseLines(pipe.Drain([&] { return done.load(); }));
  producer.join();
  EXPECT_EQ(p->dropped(), 0u);
  ASSERT_EQ(lines.size(), static_cast<size_t>(kRecords));
  for (int i = 0; i < kRecords; ++i) EXPECT_EQ(*lines[i].Find("i")->int_value(), i);
}

TEST(LogPipelineTest, FlushAndShutdownReturnInTimeWhenTheOutputIsStuck) {
  StalledPipe pipe;
  LogPipelineOptions o;
  o.output_fd = pipe.fds[1];
  o.buffer_records = 64;
  auto p = StartOrDie(o);
  for (int i = 0; i < 1000; ++i) p->logger().Info("x", {{"pad", std::string(100, 'p')}});
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(p->Flush(50ms));
  EXPECT_FALSE(p->Shutdown(50ms));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 100ms);
  EXPECT_LT(took, 2s);
  // Once the reader catches up, a second Shutdown finishes the job.
  std::atomic<bool> done{false};
  std::thread closer([&] {
    EXPECT_TRUE(p->Shutdown(10s));
    done = true;
  });
  auto lines = ParseLines(pipe.Drain([&] { return done.load(); }));
  closer.join();
  uint64_t records = 0;
  for (const auto& l : lines) records += Str(l, "message") == "x" ? 1 : 0;
  EXPECT_GT(p->dropped(), 0u);
  EXPECT_EQ(records + p->dropped(), 1000u);
}

TEST(LogPipelineTest, ShutdownWritesEverythingAndLaterRecordsAreDropped) {
  TempFile file;
  LogPipelineOptions o;
  o.output = file.path();
  o.buffer_records = 1 << 16;
  auto p = StartOrDie(o);
  Logger log = p->logger();
  for (int i = 0; i < 50000; ++i) log.Info("x", {{"i", i}});
  ASSERT_TRUE(p->Shutdown(10s));
  EXPECT_TRUE(p->Shutdown(1s));  // idempotent
  EXPECT_EQ(ReadLines(file.path()).size(), 50000u);
  log.Info("late");
  EXPECT_EQ(p->dropped(), 1u);
  EXPECT_TRUE(p->Flush(1s));
}

TEST(LogPipelineTest, FlushWaitsForEarlierRecords) {
  TempFile file;
  auto p = StartToFile(file);
  Logger log = p->logger();
  for (int round = 1; round <= 3; ++round) {
    for (int i = 0; i < 100; ++i) log.Info("x");
    ASSERT_TRUE(p->Flush(5s));
    EXPECT_EQ(ReadLines(file.path()).size(), 100u * round);
  }
  ASSERT_TRUE(p->Shutdown(5s));
}

TEST(LogPipelineTest, BadOutputIsAnError) {
  LogPipelineOptions o;
  o.output = "/nonexistent-dir/x.log";
  auto r = LogPipeline::Start(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("/nonexistent-dir/x.log"), std::string::npos);
}

class FakeSink : public LogRecordSink {
 public:
  struct Seen {
    int64_t time;
    int severity;
    std::string text, body, attrs, request_id;
    bool has_span;
    std::string trace_id;
    uint8_t flags;
  };
  void OnRecord(const LogRecordView& r) noexcept override {
    Seen s{r.time_unix_nano,
           r.severity_number,
           std::string(r.severity_text),
           std::string(r.body),
           "",
           std::string(r.request_id),
           r.has_span,
           r.trace_id.ToHex(),
           r.trace_flags};
    for (const LogAttr& a : r.bound_attributes) s.attrs += std::string(a.key()) + "=b ";
    for (const LogAttr& a : r.attributes) s.attrs += std::string(a.key()) + " ";
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(s);
  }
  void OnFlush() noexcept override { ++flushes; }
  std::mutex mu;
  std::vector<Seen> seen;
  std::atomic<int> flushes{0};
};

TEST(LogPipelineTest, SinkReceivesStructuredRecordsOnTheWriterThread) {
  TempFile file;
  auto sink = std::make_shared<FakeSink>();
  LogPipelineOptions o;
  o.output = file.path();
  o.sink = sink;
  o.level = LogLevel::kDebug;
  auto p = StartOrDie(o);
  SpanContext span;
  span.trace_id.bytes[15] = 1;
  span.span_id.bytes[7] = 2;
  span.trace_flags = 1;
  context_internal::Frame frame;
  frame.span = &span;
  frame.request_id = "r1";
  const int64_t before = UnixNanos();
  context_internal::Push(&frame);
  p->logger().With({{"component", "db"}}).Warn("slow", {{"rows", 5}, {"time", 1}});
  context_internal::Pop(&frame);
  p->logger().Debug("dbg");
  ASSERT_TRUE(p->Shutdown(5s));
  ASSERT_EQ(sink->seen.size(), 2u);
  const auto& s = sink->seen[0];
  EXPECT_GE(s.time, before);
  EXPECT_LE(s.time, UnixNanos());
  EXPECT_EQ(s.severity, 13);
  EXPECT_EQ(s.text, "WARN");
  EXPECT_EQ(s.body, "slow");
  EXPECT_EQ(s.attrs, "component=b rows time ");  // original keys, not renamed
  EXPECT_EQ(s.request_id, "r1");
  EXPECT_TRUE(s.has_span);
  EXPECT_EQ(s.trace_id, "00000000000000000000000000000001");
  EXPECT_EQ(s.flags, 1);
  EXPECT_EQ(sink->seen[1].severity, 5);
  EXPECT_FALSE(sink->seen[1].has_span);
  EXPECT_GE(sink->flushes.load(), 1);
}

TEST(LogPipelineTest, GlobalLogFollowsTheInstalledPipeline) {
  TempFile file;
  auto p = StartToFile(file, LogLevel::kWarn);
  Logger early_child = Log().With({{"child", 1}});  // made before install
  InstallGlobalLogPipeline(p);
  EXPECT_EQ(GlobalLogPipeline(), p.get());
  EXPECT_FALSE(Log().Enabled(LogLevel::kInfo));
  Log().Info("filtered");
  Log().Warn("global");
  early_child.Error("child");
  p->SetLevel(LogLevel::kInfo);
  EXPECT_TRUE(Log().Enabled(LogLevel::kInfo));
  Log().Info("info now");
  ResetGlobalLogPipeline();
  EXPECT_NE(GlobalLogPipeline(), p.get());
  EXPECT_TRUE(Log().Enabled(LogLevel::kInfo));
  EXPECT_FALSE(Log().Enabled(LogLevel::kDebug));
  ASSERT_TRUE(p->Shutdown(5s));
  auto lines = ParseLines(ReadLines(file.path()));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(Str(lines[0], "message"), "global");
  EXPECT_EQ(Str(lines[1], "message"), "child");
  EXPECT_EQ(*lines[1].Find("child")->int_value(), 1);
  EXPECT_EQ(Str(lines[2], "message"), "info now");
}

TEST(LogPipelineTest, DefaultLoggerWritesSynchronouslyToStderr) {
  ResetGlobalLogPipeline();
  testing::internal::CaptureStderr();
  Log().Info("pre-init", {{"k", "v"}});
  Log().Debug("hidden");
  const std::string err = testing::internal::GetCapturedStderr();
  auto lines = ParseLines({err.substr(0, err.find('\n'))});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(Str(lines[0], "message"), "pre-init");
  EXPECT_EQ(Str(lines[0], "service"), "unknown_service");
  EXPECT_EQ(Str(lines[0], "k"), "v");
  EXPECT_EQ(err.find("hidden"), std::string::npos);
}

}  // namespace
}  // namespace quartet
