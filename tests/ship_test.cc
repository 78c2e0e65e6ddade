// Whole-binary tests of `quartet ship`: the real binary follows a temp file
// and pushes to a capture server (cpp-httplib) that decodes each push with
// wire/loki. What is guaranteed and asserted:
//  - every line arrives, in file order, exactly once across appends, partial
//    lines, rename rotation (old file finished first) and copytruncate;
//  - after kill -9 and a restart from the positions file, every line arrives
//    in order; the only duplicates are exactly the lines of the last push the
//    server received before the kill (acknowledged but not yet recorded);
//  - 429 with Retry-After and 5xx are retried (after the requested delay)
//    until accepted; a 400 batch is logged and skipped, later lines still ship.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>

#include "tests/support/http_server.h"
#include "tests/support/process.h"
#include "wire/compress/snappy.h"
#include "wire/loki/push.h"

namespace quartet {
namespace {

using namespace std::chrono_literals;
using testing::BinaryPath;
using testing::Process;
using testing::TempDir;

// Captures pushes; answers with the queued statuses first, then 204.
class LokiCapture {
 public:
  struct Reply {
    int status;
    std::string retry_after;
    std::string body;
  };

  LokiCapture() {
    server_.server().Post("/loki/api/v1/push",
                          [this](const httplib::Request& req, httplib::Response& res) {
                            std::lock_guard<std::mutex> lock(mu_);
                            ++requests_;
                            request_times_.push_back(std::chrono::steady_clock::now());
                            content_types_.push_back(req.get_header_value("Content-Type"));
                            if (!replies_.empty()) {
                              Reply r = replies_.front();
                              replies_.erase(replies_.begin());
                              res.status = r.status;
                              if (!r.retry_after.empty())
                                res.set_header("Retry-After", r.retry_after);
                              res.set_content(r.body, "text/plain");
                              return;
                            }
                            Result<loki::PushRequest> push = Decode(req);
                            if (!push.ok()) {
                              errors_.push_back(push.status().ToString());
                              res.status = 400;
                              res.set_content(std::string(push.status().message()), "text/plain");
                              return;
                            }
                            pushes_.push_back(*push);
                            res.status = 204;
                          });
    EXPECT_TRUE(server_.Start());
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  void Queue(Reply r) {
    std::lock_guard<std::mutex> lock(mu_);
    replies_.push_back(std::move(r));
  }
  std::vector<loki::PushRequest> pushes() {
    std::lock_guard<std::mutex> lock(mu_);
    return pushes_;
  }
  int requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  std::vector<std::chrono::steady_clock::time_point> request_times() {
    std::lock_guard<std::mutex> lock(mu_);
    return request_times_;
  }
  std::vector<std::string> errors() {
    std::lock_guard<std::mutex> lock(mu_);
    return errors_;
  }
  std::vector<std::string> content_types() {
    std::lock_guard<std::mutex> lock(mu_);
    return content_types_;
  }
  // Every entry accepted, in arrival order.
  std::vector<loki::Entry> entries() {
    std::vector<loki::Entry> out;
    for (const loki::PushRequest& p : pushes()) {
      for (const loki::Stream& s : p.streams)
        out.insert(out.end(), s.entries.begin(), s.entries.end());
    }
    return out;
  }

 private:
  static Result<loki::PushRequest> Decode(const httplib::Request& req) {
    if (req.get_header_value("Content-Type") == "application/json") {
      return loki::DecodePushJson(req.body);
    }
    ASSIGN_OR_RETURN(std::string raw, compress::SnappyDecompress(req.body, 64 << 20));
    return loki::DecodePushProtobuf(raw);
  }

  testing::TestHttpServer server_;
  std::mutex mu_;
  std::vector<Reply> replies_;
  std::vector<loki::PushRequest> pushes_;
  std::vector<std::string> errors_, content_types_;
  std::vector<std::chrono::steady_clock::time_point> request_times_;
  int requests_ = 0;
};

std::string SdkLine(int seq) {
  return R"({"time":"2026-11-25T23:41:07.)" + std::to_string(100000000 + seq) +
         R"(Z","level":"INFO","message":"line","service":"checkout","seq":)" + std::to_string(seq) +
         R"(,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"})";
}

void Append(const std::string& path, int from, int to) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  for (int i = from; i <= to; ++i) out << SdkLine(i) << '\n';
}

int SeqOf(const loki::Entry& e) {
  size_t at = e.line.find("\"seq\":");
  return at == std::string::npos ? -1 : std::stoi(e.line.substr(at + 6));
}

std::vector<int> Seqs(const std::vector<loki::Entry>& entries) {
  std::vector<int> out;
  for (const loki::Entry& e : entries) out.push_back(SeqOf(e));
  return out;
}

std::vector<int> Range(int from, int to) {
  std::vector<int> out;
  for (int i = from; i <= to; ++i) out.push_back(i);
  return out;
}

std::unique_ptr<Process> StartShipper(const std::string& file, const LokiCapture& capture,
                                      const std::string& positions,
                                      std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {
      BinaryPath("quartet"), "ship",     "--file",   file,           "--server",
      capture.url(),         "--labels", "env=prod", "--batch-wait", "100ms",
      "--max-backoff",       "200ms"};
  if (!positions.empty()) {
    argv.push_back("--positions");
    argv.push_back(positions);
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  return std::make_unique<Process>(Process::Options{.argv = argv});
}

bool WaitForSeqs(LokiCapture& capture, size_t count, std::chrono::milliseconds timeout = 15s) {
  return Process::WaitFor([&] { return capture.entries().size() >= count; }, timeout);
}

class ShipFormatTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ShipFormatTest, ShipsSdkLinesWithLabelsMetadataTimeAndWaitsForPartialLines) {
  LokiCapture capture;
  std::string dir = TempDir("ship");
  std::string file = dir + "/app.log";
  Append(file, 1, 2);
  {
    std::ofstream out(file, std::ios::app);
    out << "plain text, not JSON\n" << SdkLine(3).substr(0, 20);  // partial
  }
  auto shipper = StartShipper(file, capture, "", {"--format", GetParam()});
  ASSERT_TRUE(WaitForSeqs(capture, 3)) << shipper->ReadStderr();
  std::this_thread::sleep_for(300ms);
  std::vector<loki::PushRequest> pushes = capture.pushes();
  ASSERT_FALSE(pushes.empty());
  EXPECT_EQ(capture.content_types()[0],
            GetParam() == "json" ? "application/json" : "application/x-protobuf");
  // The two SDK lines share a stream; the plain line has only the static labels.
  std::map<loki::Labels, std::vector<loki::Entry>> by_stream;
  for (const auto& p : pushes) {
    for (const auto& s : p.streams) {
      by_stream[s.labels].insert(by_stream[s.labels].end(), s.entries.begin(), s.entries.end());
    }
  }
  loki::Labels sdk = {{"env", "prod"}, {"level", "info"}, {"service_name", "checkout"}};
  ASSERT_EQ(by_stream.size(), 2u);
  ASSERT_EQ(by_stream[sdk].size(), 2u);
  EXPECT_EQ(by_stream[sdk][0].line, SdkLine(1));
  EXPECT_EQ(by_stream[sdk][0].timestamp_ns, 1795650067100000001);
  EXPECT_EQ(by_stream[sdk][0].structured_metadata,
            (std::vector<std::pair<std::string, std::string>>{
                {"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"}}));
  loki::Labels plain = {{"env", "prod"}};
  ASSERT_EQ(by_stream[plain].size(), 1u);
  EXPECT_EQ(by_stream[plain][0].line, "plain text, not JSON");
  int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  EXPECT_LT(std::llabs(now - by_stream[plain][0].timestamp_ns), int64_t{60'000'000'000});

  // The partial line ships only once its newline arrives.
  EXPECT_EQ(capture.entries().size(), 3u);
  {
    std::ofstream out(file, std::ios::app);
    out << SdkLine(3).substr(20) << '\n';
  }
  ASSERT_TRUE(WaitForSeqs(capture, 4)) << shipper->ReadStderr();
  EXPECT_EQ(capture.entries().back().line, SdkLine(3));
  EXPECT_EQ(shipper->Stop(), 0);
  EXPECT_TRUE(capture.errors().empty()) << capture.errors()[0];
}

INSTANTIATE_TEST_SUITE_P(Formats, ShipFormatTest, ::testing::Values("protobuf", "json"));

TEST(ShipTest, RenameRotationAndCopyTruncateLoseAndRepeatNothing) {
  LokiCapture capture;
  std::string dir = TempDir("ship");
  std::string file = dir + "/app.log";
  auto shipper = StartShipper(file, capture, dir + "/positions");
  Append(file, 1, 100);
  ASSERT_TRUE(WaitForSeqs(capture, 100)) << shipper->ReadStderr();

  // Rename rotation while the writer still holds the old file for a moment.
  ASSERT_EQ(std::rename(file.c_str(), (file + ".1").c_str()), 0);
  Append(file + ".1", 101, 150);
  Append(file, 151, 200);
  ASSERT_TRUE(WaitForSeqs(capture, 200)) << shipper->ReadStderr();

  // copytruncate: copy away, truncate in place, keep writing.
  std::this_thread::sleep_for(200ms);
  ASSERT_EQ(truncate(file.c_str(), 0), 0);
  Append(file, 201, 210);
  ASSERT_TRUE(WaitForSeqs(capture, 210)) << shipper->ReadStderr();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(Seqs(capture.entries()), Range(1, 210));
  EXPECT_EQ(shipper->Stop(), 0);
  EXPECT_NE(shipper->ReadStderr().find("truncated"), std::string::npos);
}

TEST(ShipTest, KillNineAndRestartResumesFromTheLastAcknowledgedBatch) {
  LokiCapture capture;
  std::string dir = TempDir("ship");
  std::string file = dir + "/app.log";
  std::string positions = dir + "/positions";
  constexpr int kLines = 3000;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 1; i <= kLines; i += 10) {
      Append(file, i, i + 9);
      std::this_thread::sleep_for(5ms);
    }
    done = true;
  });
  auto shipper = StartShipper(file, capture, positions, {"--batch-bytes", "8192"});
  ASSERT_TRUE(WaitForSeqs(capture, 500)) << shipper->ReadStderr();
  shipper->Kill9();
  std::this_thread::sleep_for(200ms);
  std::vector<loki::PushRequest> before = capture.pushes();
  size_t received_before = capture.entries().size();
  auto restarted = StartShipper(file, capture, positions, {"--batch-bytes", "8192"});
  writer.join();
  ASSERT_TRUE(WaitForSeqs(capture, kLines, 30s)) << restarted->ReadStderr();
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(restarted->Stop(), 0);

  std::vector<int> seqs = Seqs(capture.entries());
  std::vector<int> first(seqs.begin(), seqs.begin() + static_cast<long>(received_before));
  std::vector<int> second(seqs.begin() + static_cast<long>(received_before), seqs.end());
  ASSERT_FALSE(first.empty());
  ASSERT_FALSE(second.empty());
  // Before the kill: 1..k in order. After: j..kLines in order, j <= k+1.
  int k = first.back();
  EXPECT_EQ(first, Range(1, k));
  int j = second.front();
  EXPECT_EQ(second, Range(j, kLines));
  ASSERT_LE(j, k + 1) << "lines lost across the restart";
  if (j <= k) {
    // Duplicates are exactly the last push received before the kill.
    std::vector<int> last_push;
    for (const auto& s : before.back().streams) {
      for (const auto& e : s.entries) last_push.push_back(SeqOf(e));
    }
    EXPECT_EQ(Range(j, k), last_push);
  }
}

TEST(ShipTest, RetriesTooManyRequestsAfterRetryAfterAndServerErrors) {
  LokiCapture capture;
  capture.Queue({429, "1", "slow down"});
  capture.Queue({503, "", "unavailable"});
  capture.Queue({429, "1", "slow down"});
  std::string dir = TempDir("ship");
  std::string file = dir + "/app.log";
  Append(file, 1, 10);
  auto shipper = StartShipper(file, capture, dir + "/positions");
  ASSERT_TRUE(WaitForSeqs(capture, 10, 20s)) << shipper->ReadStderr();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(Seqs(capture.entries()), Range(1, 10));
  std::vector<std::chrono::steady_clock::time_point> times = capture.request_times();
  ASSERT_GE(times.size(), 4u);
  // Retry-After: 1 was honoured both times (max-backoff is only 200ms).
  EXPECT_GE(times[1] - times[0], 900ms);
  EXPECT_GE(times[3] - times[2], 900ms);
  EXPECT_EQ(shipper->Stop(), 0);
  EXPECT_NE(shipper->ReadStderr().find("HTTP 429"), std::string::npos);
}

TEST(ShipTest, BadRequestSkipsTheBatchAndKeepsShipping) {
  LokiCapture capture;
  capture.Queue({400, "", "stream has no labels, says the server"});
  std::string dir = TempDir("ship");
  std::string file = dir + "/app.log";
  Append(file, 1, 5);
  auto shipper = StartShipper(file, capture, dir + "/positions");
  ASSERT_TRUE(Process::WaitFor([&] { return capture.requests() >= 1; }, 10s));
  std::this_thread::sleep_for(300ms);
  Append(file, 6, 10);
  ASSERT_TRUE(WaitForSeqs(capture, 5)) << shipper->ReadStderr();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(Seqs(capture.entries()), Range(6, 10));
  EXPECT_EQ(shipper->Stop(), 0);
  std::string err = shipper->ReadStderr();
  EXPECT_NE(err.find("HTTP 400"), std::string::npos) << err;
  EXPECT_NE(err.find("stream has no labels, says the server"), std::string::npos) << err;
  EXPECT_NE(err.find("skipped 1 batches (5 lines)"), std::string::npos) << err;
}

TEST(ShipTest, BadFlagsExitTwoNamingTheFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string want;
  };
  const Case cases[] = {
      {{"--server", "http://x", "--labels", "a=b"}, "--file"},
      {{"--file", "/tmp/x", "--server", "ftp://x", "--labels", "a=b"}, "--server"},
      {{"--file", "/tmp/x", "--server", "http://x", "--labels", "1a=b"}, "--labels"},
      {{"--file", "/tmp/x", "--server", "http://x", "--labels", "a=b", "--batch-wait", "soon"},
       "--batch-wait"},
      {{"--file", "/tmp/x", "--server", "http://x", "--labels", "a=b", "--format", "xml"},
       "--format"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {BinaryPath("quartet"), "ship"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    Process p(Process::Options{.argv = argv});
    ASSERT_TRUE(Process::WaitFor([&] { return !p.running(); }, 5s));
    EXPECT_EQ(p.Stop(), 2) << c.want;
    EXPECT_NE(p.ReadStderr().find(c.want), std::string::npos) << p.ReadStderr();
  }
}

}  // namespace
}  // namespace quartet
