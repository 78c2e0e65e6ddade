// TraceTable with blocks: flush, merge across head and blocks, reopen and
// crash recovery, damaged blocks, retention, compaction, the memory bound.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "base/clock.h"
#include "server/store/block/block_reader.h"
#include "server/store/traces/trace_table.h"
#include "wire/otlp/encode_model.h"

namespace quartet::store {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kT0 = 1'700'000'000'000'000'000;

TraceId Tid(uint8_t n) {
  TraceId id;
  id.bytes[0] = 0xcd;
  id.bytes[9] = static_cast<uint8_t>(n * 37);  // not in id order of n
  id.bytes[15] = n;
  return id;
}
SpanId Sid(uint8_t n) {
  SpanId id;
  id.bytes[7] = n;
  return id;
}

otlp::Span Span(TraceId trace, uint8_t id, uint8_t parent, std::string name, int64_t start,
                int64_t duration, std::vector<otlp::KeyValue> attributes = {}) {
  otlp::Span span;
  span.trace_id = trace;
  span.span_id = Sid(id);
  if (parent != 0) span.parent_span_id = Sid(parent);
  span.name = std::move(name);
  span.start_time_unix_nano = static_cast<uint64_t>(start);
  span.end_time_unix_nano = static_cast<uint64_t>(start + duration);
  span.attributes = std::move(attributes);
  return span;
}

otlp::KeyValue Attr(std::string key, std::string value) {
  return {std::move(key), otlp::AnyValue::String(std::move(value))};
}

otlp::ExportTraceServiceRequest Request(std::string service, std::vector<otlp::Span> spans) {
  otlp::ExportTraceServiceRequest request;
  otlp::ResourceSpans& rs = request.resource_spans.emplace_back();
  rs.resource.attributes.push_back(Attr("service.name", std::move(service)));
  rs.resource.attributes.push_back(Attr("host.name", "h1"));
  otlp::ScopeSpans& ss = rs.scope_spans.emplace_back();
  ss.scope.name = "test";
  ss.spans = std::move(spans);
  return request;
}

int64_t CountSpans(const otlp::ExportTraceServiceRequest& r) {
  int64_t n = 0;
  for (const auto& rs : r.resource_spans) {
    for (const auto& ss : rs.scope_spans) n += static_cast<int64_t>(ss.spans.size());
  }
  return n;
}

// Everything a search delivers, in order, as comparable values.
struct Delivered {
  std::string id;
  int64_t start, end, spans;
  std::string root;
  std::vector<std::string> services;
  std::string encoded;
  bool operator==(const Delivered&) const = default;
};

class TraceEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("trace_engine_test_" + std::to_string(std::random_device{}()));
    options_.dir = dir_.string();
    options_.sync = SyncPolicy::kNever;
    options_.retention_age = std::chrono::seconds(0);  // test data is from 2023
    Reopen();
  }
  void TearDown() override {
    table_.reset();
    fs::remove_all(dir_);
  }
  void Reopen() {
    table_.reset();
    Result<std::unique_ptr<TraceTable>> t = TraceTable::Open(options_);
    ASSERT_TRUE(t.ok()) << t.status().message();
    table_ = std::move(*t);
  }
  void Append(const otlp::ExportTraceServiceRequest& request) {
    Result<AppendResult> r = table_->AppendSpans(request);
    ASSERT_TRUE(r.ok()) << r.status().message();
  }
  void Flush() {
    Status s = table_->Flush();
    ASSERT_TRUE(s.ok()) << s.message();
  }
  std::vector<Delivered> Search(const TraceFilter& filter) {
    std::vector<Delivered> out;
    Status s = table_->SearchTraces(filter, [&](const TraceCandidate& c) {
      out.push_back({c.summary->trace_id.ToHex(), c.summary->start_ns, c.summary->end_ns,
                     c.summary->span_count, c.summary->root_name, c.summary->services,
                     otlp::EncodeTraces(*c.spans)});
      return true;
    });
    EXPECT_TRUE(s.ok());
    return out;
  }
  int64_t TotalSpans() { return table_->stats().spans + table_->stats().block_spans; }
  std::vector<fs::path> BlockFiles(std::string_view ext = ".blk") {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir_ / "blocks")) {
      if (e.path().extension() == ext) out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // Ten traces over three services with errors, routes and attributes.
  void AppendMixedTraces() {
    for (uint8_t t = 1; t <= 10; ++t) {
      const int64_t start = kT0 + t * 1000 * kMs;
      otlp::Span root =
          Span(Tid(t), 1, 0, t % 2 ? "GET /cart" : "POST /pay", start, t * 100 * kMs,
               {Attr("http.route", t % 2 ? "/cart" : "/pay"), Attr("http.method", "GET")});
      if (t % 3 == 0) root.status.code = otlp::SpanStatusCode::kError;
      Append(Request("frontend", {root}));
      Append(Request("db", {Span(Tid(t), 2, 1, "SELECT", start + kMs, t * 10 * kMs,
                                 {Attr("db.system", t < 5 ? "postgres" : "mysql")})}));
      if (t % 4 == 0)
        Append(Request("cache", {Span(Tid(t), 3, 1, "GET key", start + 2 * kMs, kMs)}));
    }
  }

  std::vector<TraceFilter> AllFilterKinds() {
    std::vector<TraceFilter> f(12);
    f[1].range = {kT0 + 3000 * kMs, kT0 + 6000 * kMs};
    f[2].service = "cache";
    f[3].span_name = "SELECT";
    f[4].string_attributes = {{"db.system", "postgres"}};
    f[5].min_span_duration_ns = 60 * kMs;
    f[6].max_span_duration_ns = 30 * kMs;
    f[7].span_has_error = true;
    f[8].min_trace_duration_ns = 500 * kMs;
    f[9].max_trace_duration_ns = 300 * kMs;
    f[10].root_route = "/pay";
    f[11].root_name = "GET /cart";
    f[11].root_service = "frontend";
    return f;
  }

  fs::path dir_;
  TableOptions options_;
  std::unique_ptr<TraceTable> table_;
};

TEST_F(TraceEngineTest, FlushedDataAnswersExactlyAsTheHeadDid) {
  AppendMixedTraces();
  std::vector<std::vector<Delivered>> searches;
  for (const TraceFilter& f : AllFilterKinds()) searches.push_back(Search(f));
  std::vector<std::string> traces;
  std::vector<TraceSummary> summaries;
  for (uint8_t t = 1; t <= 10; ++t) {
    traces.push_back(otlp::EncodeTraces(*table_->GetTrace(Tid(t))));
    summaries.push_back(*table_->GetTraceSummary(Tid(t)));
  }
  auto names = *table_->TagNames("", {});
  auto span_names = *table_->TagNames("span", {});
  auto resource_names = *table_->TagNames("resource", {});
  auto db_values = *table_->TagValues("span", "db.system", {}, 10);
  auto services = *table_->TagValues("resource", "service.name", {}, 10);
  auto any_route = *table_->TagValues("", "http.route", {}, 1);
  ASSERT_EQ(searches[0].size(), 10u);
  ASSERT_EQ(searches[2].size(), 2u);  // sanity: the filters discriminate
  ASSERT_EQ(db_values, (std::vector<std::string>{"mysql", "postgres"}));

  Flush();
  EXPECT_EQ(table_->stats().blocks, 1);
  EXPECT_EQ(table_->stats().spans, 0);
  EXPECT_EQ(table_->stats().block_spans, 22);
  EXPECT_EQ(table_->stats().flushes, 1);
  std::vector<TraceFilter> filters = AllFilterKinds();
  for (size_t i = 0; i < filters.size(); ++i) EXPECT_EQ(Search(filters[i]), searches[i]) << i;
  for (uint8_t t = 1; t <= 10; ++t) {
    EXPECT_EQ(otlp::EncodeTraces(*table_->GetTrace(Tid(t))), traces[t - 1]);
    TraceSummary s = *table_->GetTraceSummary(Tid(t));
    const TraceSummary& want = summaries[t - 1];
    EXPECT_EQ(s.trace_id, want.trace_id);
    EXPECT_EQ(std::tie(s.start_ns, s.end_ns, s.span_count, s.has_error, s.root_name, s.root_route,
                       s.root_service, s.services),
              std::tie(want.start_ns, want.end_ns, want.span_count, want.has_error, want.root_name,
                       want.root_route, want.root_service, want.services));
  }
  EXPECT_EQ(*table_->TagNames("", {}), names);
  EXPECT_EQ(*table_->TagNames("span", {}), span_names);
  EXPECT_EQ(*table_->TagNames("resource", {}), resource_names);
  EXPECT_EQ(*table_->TagValues("span", "db.system", {}, 10), db_values);
  EXPECT_EQ(*table_->TagValues("resource", "service.name", {}, 10), services);
  EXPECT_EQ(*table_->TagValues("", "http.route", {}, 1), any_route);
  EXPECT_EQ(table_->GetTrace(Tid(99)).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(table_->TagNames("", {kT0 + 100000 * kMs, kT0 + 200000 * kMs})->empty());
}

TEST_F(TraceEngineTest, TraceSplitAcrossTwoBlocksAndTheHeadIsMergedEverywhere) {
  const TraceId t = Tid(7);
  Append(
      Request("db", {Span(t, 2, 1, "SELECT", kT0 + 5 * kMs, 20 * kMs, {Attr("db.system", "pg")})}));
  Flush();
  otlp::Span root = Span(t, 1, 0, "GET /cart", kT0, 100 * kMs, {Attr("http.route", "/cart")});
  root.status.code = otlp::SpanStatusCode::kError;
  Append(Request("frontend", {root}));
  Flush();
  Append(Request("cache", {Span(t, 3, 1, "GET key", kT0 + 90 * kMs, 30 * kMs)}));
  ASSERT_EQ(table_->stats().blocks, 2);

  auto check = [&](const char* when) {
    SCOPED_TRACE(when);
    Result<otlp::ExportTraceServiceRequest> trace = table_->GetTrace(t);
    ASSERT_TRUE(trace.ok());
    EXPECT_EQ(CountSpans(*trace), 3);
    EXPECT_EQ(trace->resource_spans.size(), 3u);
    Result<TraceSummary> s = table_->GetTraceSummary(t);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->span_count, 3);
    EXPECT_EQ(s->start_ns, kT0);
    EXPECT_EQ(s->end_ns, kT0 + 120 * kMs);
    EXPECT_EQ(s->root_name, "GET /cart");
    EXPECT_EQ(s->root_service, "frontend");
    EXPECT_EQ(s->root_route, "/cart");
    EXPECT_TRUE(s->has_error);
    EXPECT_EQ(s->services, (std::vector<std::string>{"cache", "db", "frontend"}));
    TraceFilter by_db_span;  // the matching span is in the oldest block
    by_db_span.string_attributes = {{"db.system", "pg"}};
    by_db_span.root_service = "frontend";          // the root is in the other block
    by_db_span.min_trace_duration_ns = 120 * kMs;  // only the merged trace is this long
    std::vector<Delivered> found = Search(by_db_span);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].spans, 3);
    EXPECT_EQ(found[0].encoded, otlp::EncodeTraces(*trace));
    TraceFilter late_range;  // only the head's part is in range: still the whole trace
    late_range.range = {kT0 + 110 * kMs, kT0 + 200 * kMs};
    found = Search(late_range);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].spans, 3);
    EXPECT_EQ(*table_->TagValues("resource", "service.name", {}, 10),
              (std::vector<std::string>{"cache", "db", "frontend"}));
  };
  check("head + 2 blocks");
  Result<int> compacted = table_->Compact();
  ASSERT_TRUE(compacted.ok()) << compacted.status().message();
  EXPECT_EQ(*compacted, 1);
  EXPECT_EQ(table_->stats().blocks, 1);
  EXPECT_EQ(table_->stats().compactions, 1);
  check("head + 1 compacted block");
  Flush();
  ASSERT_EQ(table_->stats().blocks, 2);
  check("2 blocks");
  Reopen();
  check("reopened");
  ASSERT_TRUE(table_->Compact().ok());
  check("compacted twice");
  EXPECT_EQ(TotalSpans(), 3);
}

TEST_F(TraceEngineTest, ReopenAfterFlushServesBlocksAndWalWithoutDuplicates) {
  for (uint8_t i = 1; i <= 50; ++i)
    Append(Request("a", {Span(Tid(i), 1, 0, "op", kT0 + i * kMs, kMs)}));
  Flush();
  for (uint8_t i = 51; i <= 80; ++i)
    Append(Request("a", {Span(Tid(i), 1, 0, "op", kT0 + i * kMs, kMs)}));
  Reopen();
  EXPECT_EQ(table_->stats().block_spans, 50);
  EXPECT_EQ(table_->stats().spans, 30);
  EXPECT_EQ(table_->stats().replayed_records, 30);
  for (uint8_t i = 1; i <= 80; ++i) {
    Result<otlp::ExportTraceServiceRequest> trace = table_->GetTrace(Tid(i));
    ASSERT_TRUE(trace.ok()) << int(i);
    EXPECT_EQ(CountSpans(*trace), 1) << int(i);
  }
  EXPECT_EQ(Search(TraceFilter{}).size(), 80u);
}

TEST_F(TraceEngineTest, CrashBetweenBlockAddAndWalRemovalDuplicatesNothing) {
  for (uint8_t i = 1; i <= 40; ++i)
    Append(Request("a", {Span(Tid(i), 1, 0, "op", kT0 + i * kMs, kMs)}));
  // The WAL as it was before the flush: restoring it after the flush is the
  // state a crash right after catalog Add leaves behind.
  const fs::path saved = dir_ / "wal_saved";
  fs::copy(dir_ / "wal", saved);
  Flush();
  Append(Request("a", {Span(Tid(41), 1, 0, "op", kT0 + 41 * kMs, kMs)}));
  table_.reset();
  for (const auto& e : fs::directory_iterator(saved)) {
    if (e.path().extension() == ".wal")
      fs::copy_file(e.path(), dir_ / "wal" / e.path().filename(), fs::copy_options::skip_existing);
  }
  Reopen();
  EXPECT_EQ(TotalSpans(), 41);
  for (uint8_t i = 1; i <= 41; ++i) EXPECT_EQ(CountSpans(*table_->GetTrace(Tid(i))), 1) << int(i);
}

// Flips one byte inside `section` of a block file.
void FlipByteIn(const fs::path& file, std::string_view section) {
  uint64_t offset = 0;
  {
    Result<std::unique_ptr<BlockReader>> r = BlockReader::Open(file.string());
    ASSERT_TRUE(r.ok());
    for (const SectionInfo& s : (*r)->sections()) {
      if (s.name == section) offset = s.offset + s.stored_len / 2;
    }
  }
  ASSERT_GT(offset, 0u) << section;
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x40));
}

TEST_F(TraceEngineTest, DamagedBlockIsReportedAndSetAsideTheRestIsServed) {
  for (const char* section : {"rg.0.x", "sum.start"}) {
    SCOPED_TRACE(section);
    TearDown();
    SetUp();
    Append(Request("a", {Span(Tid(1), 1, 0, "one", kT0, kMs)}));
    Flush();
    Append(Request("a", {Span(Tid(2), 1, 0, "two", kT0 + kMs, kMs)}));
    Flush();
    Append(Request("a", {Span(Tid(3), 1, 0, "three", kT0 + 2 * kMs, kMs)}));
    table_.reset();
    std::vector<fs::path> blocks = BlockFiles();
    ASSERT_EQ(blocks.size(), 2u);
    FlipByteIn(blocks[0], section);  // the older block holds trace 1
    Reopen();
    // Index damage is found at open, page damage by the first read.
    EXPECT_EQ(table_->GetTrace(Tid(1)).status().code(), std::string_view(section) == "rg.0.x"
                                                            ? StatusCode::kDataLoss
                                                            : StatusCode::kNotFound);
    EXPECT_EQ(table_->GetTrace(Tid(1)).status().code(), StatusCode::kNotFound);
    ASSERT_EQ(table_->issues().size(), 1u);
    EXPECT_NE(table_->issues()[0].action.find(".corrupt"), std::string::npos);
    EXPECT_EQ(table_->stats().damaged_blocks, 1);
    EXPECT_EQ(table_->stats().blocks, 1);
    EXPECT_EQ(BlockFiles(".corrupt").size(), 1u);
    EXPECT_EQ(CountSpans(*table_->GetTrace(Tid(2))), 1);
    EXPECT_EQ(CountSpans(*table_->GetTrace(Tid(3))), 1);
    EXPECT_EQ(Search(TraceFilter{}).size(), 2u);
    Reopen();  // set aside for good
    EXPECT_EQ(table_->stats().blocks, 1);
    EXPECT_TRUE(table_->issues().empty());
    EXPECT_EQ(TotalSpans(), 2);
  }
}

TEST_F(TraceEngineTest, RetentionByAgeAndBySizeRemovesWholeBlocks) {
  const int64_t now = UnixNanos();
  const int64_t hour = int64_t{3600} * 1'000'000'000;
  options_.retention_age = std::chrono::hours(24);
  Reopen();
  Append(Request("a", {Span(Tid(1), 1, 0, "old", now - 48 * hour, kMs)}));
  Flush();
  Append(Request("a", {Span(Tid(2), 1, 0, "newer", now - 3 * hour, kMs)}));
  Flush();
  Append(Request("a", {Span(Tid(3), 1, 0, "newest", now - hour, kMs)}));
  Flush();
  Result<RetentionResult> r = table_->ApplyRetention(now);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->removed_ids.size(), 1u);
  EXPECT_EQ(table_->GetTrace(Tid(1)).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(table_->GetTrace(Tid(2)).ok());
  EXPECT_EQ(table_->stats().blocks, 2);
  EXPECT_EQ(table_->stats().retention_removed_blocks, 1);

  const uint64_t one_block = table_->stats().block_bytes / 2;
  options_.retention_age = std::chrono::seconds(0);
  options_.retention_bytes = one_block + one_block / 2;
  Reopen();
  r = table_->ApplyRetention(now);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->removed_ids.size(), 1u);
  EXPECT_EQ(table_->GetTrace(Tid(2)).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(table_->GetTrace(Tid(3)).ok());
  EXPECT_EQ(BlockFiles().size(), 1u);
}

TEST_F(TraceEngineTest, SustainedAppendsStayUnderTheMemoryLimitOnceFlushingKeepsUp) {
  options_.head_flush_bytes = 64 << 10;
  options_.memory_limit_bytes = 2 << 20;
  Reopen();
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(3000);
  int64_t appended = 0;
  uint32_t n = 0;
  while (std::chrono::steady_clock::now() < until) {
    std::vector<otlp::Span> spans;
    for (int i = 0; i < 20; ++i, ++n) {
      TraceId id;
      std::memcpy(id.bytes.data(), &n, 4);
      id.bytes[15] = 1;
      spans.push_back(Span(id, 1, 0, "op " + std::to_string(n % 50), kT0 + n * kMs, kMs,
                           {Attr("http.route", "/r/" + std::to_string(n % 10))}));
    }
    Result<AppendResult> r = table_->AppendSpans(Request("svc", std::move(spans)));
    ASSERT_TRUE(r.ok()) << r.status().message() << " after " << appended;
    appended += r->accepted;
    // ~10k spans/s, ~2 MB/s of head: without flushing the limit is hit in
    // about a second.
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(table_->stats().refused_appends, 0);
  EXPECT_GT(table_->stats().flushes, 2);
  EXPECT_EQ(TotalSpans(), appended);
  Reopen();
  EXPECT_EQ(TotalSpans(), appended);
}

TEST_F(TraceEngineTest, OldHeadIsFlushedByAge) {
  options_.head_flush_age = std::chrono::seconds(1);
  Reopen();
  Append(Request("a", {Span(Tid(1), 1, 0, "op", kT0, kMs)}));
  for (int i = 0; i < 50 && table_->stats().blocks == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(table_->stats().blocks, 1);
  EXPECT_EQ(table_->stats().spans, 0);
  EXPECT_TRUE(table_->GetTrace(Tid(1)).ok());
}

}  // namespace
}  // namespace quartet::store
