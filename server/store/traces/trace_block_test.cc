#include "server/store/traces/trace_block.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <random>

#include "server/store/block/block_writer.h"
#include "server/store/traces/trace_filter.h"

namespace quartet::store {
namespace {

namespace fs = std::filesystem;

otlp::ExportTraceServiceRequest OneSpan(const TraceId& t, std::string service, bool root,
                                        int64_t start) {
  otlp::ExportTraceServiceRequest r;
  auto& rs = r.resource_spans.emplace_back();
  rs.resource.attributes.push_back({"service.name", otlp::AnyValue::String(std::move(service))});
  auto& span = rs.scope_spans.emplace_back().spans.emplace_back();
  span.trace_id = t;
  span.span_id.bytes[7] = 1;
  if (!root) span.parent_span_id.bytes[7] = 9;
  span.name = std::string(300, 'n');  // big enough to need several pages
  span.start_time_unix_nano = static_cast<uint64_t>(start);
  span.end_time_unix_nano = static_cast<uint64_t>(start + 10);
  span.attributes.push_back({"k", otlp::AnyValue::Int(start % 3)});
  return r;
}

TEST(TraceBlockTest, RoundTripsManyTracesAcrossPages) {
  const fs::path dir =
      fs::temp_directory_path() / ("trace_block_test_" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  const std::string path = (dir / "B.blk").string();
  constexpr int kTraces = 3000;
  std::vector<TraceSummary> summaries;
  {
    Result<std::unique_ptr<TraceBlockBuilder>> b = TraceBlockBuilder::Create(path);
    ASSERT_TRUE(b.ok());
    for (int i = 0; i < kTraces; ++i) {
      TraceId t;
      t.bytes[0] = static_cast<uint8_t>(i >> 8);
      t.bytes[1] = static_cast<uint8_t>(i);
      otlp::ExportTraceServiceRequest spans = OneSpan(t, i % 2 ? "a" : "b", i % 5 != 0, 1000 + i);
      TraceSummary s;
      AddSpanToSummary(spans.resource_spans[0].resource,
                       spans.resource_spans[0].scope_spans[0].spans[0], &s);
      summaries.push_back(s);
      ASSERT_TRUE((*b)->Add(s, spans).ok());
    }
    // Ids must increase.
    EXPECT_EQ((*b)->Add(summaries[0], OneSpan(summaries[0].trace_id, "a", true, 0)).code(),
              StatusCode::kInvalidArgument);
    BlockMeta meta;
    meta.id = "B";
    meta.extra_json = WalUntilJson(42);
    Result<BlockMeta> written = (*b)->Finish(meta);
    ASSERT_TRUE(written.ok()) << written.status().message();
    EXPECT_EQ(written->rows, uint64_t{kTraces});
    EXPECT_EQ(written->min_time_ns, 1000);
    EXPECT_EQ(written->max_time_ns, 1000 + kTraces - 1 + 10);
  }
  Result<std::unique_ptr<BlockReader>> reader = BlockReader::Open(path);
  ASSERT_TRUE(reader.ok());
  EXPECT_TRUE((*reader)->HasSection("rg.0.s"));
  EXPECT_TRUE(TraceBlockIndex::VerifyAll(**reader).ok());
  Result<BlockMeta> meta = BlockMeta::FromJson((*reader)->meta());
  ASSERT_TRUE(meta.ok());
  Result<std::shared_ptr<const TraceBlockIndex>> index =
      TraceBlockIndex::Load(*meta, std::shared_ptr<const BlockReader>(std::move(*reader)));
  ASSERT_TRUE(index.ok()) << index.status().message();
  const TraceBlockIndex& x = **index;
  EXPECT_EQ(x.wal_until(), 42u);
  ASSERT_EQ(x.trace_count(), size_t{kTraces});
  TraceBlockIndex::PageCache cache;
  for (int i = 0; i < kTraces; i += 7) {
    std::optional<size_t> row = x.Find(summaries[i].trace_id);
    ASSERT_TRUE(row.has_value()) << i;
    EXPECT_EQ(x.summary(*row).start_ns, summaries[i].start_ns);
    EXPECT_EQ(x.summary(*row).root_name, summaries[i].root_name);
    EXPECT_EQ(x.summary(*row).services, summaries[i].services);
    EXPECT_EQ(x.has_root(*row), i % 5 != 0);
    Result<otlp::ExportTraceServiceRequest> spans = x.ReadTrace(*row, &cache);
    ASSERT_TRUE(spans.ok());
    EXPECT_EQ(*spans, OneSpan(summaries[i].trace_id, i % 2 ? "a" : "b", i % 5 != 0, 1000 + i));
  }
  TraceId absent;
  absent.bytes[5] = 1;
  EXPECT_FALSE(x.Find(absent).has_value());
  ASSERT_EQ(x.span_tags().count("k"), 1u);
  EXPECT_EQ(x.span_tags().at("k").size(), 3u);
  EXPECT_EQ(x.resource_tags().at("service.name"),
            (std::vector<std::pair<std::string, int64_t>>{{"a", kTraces / 2}, {"b", kTraces / 2}}));
  fs::remove_all(dir);
}

TEST(TraceBlockTest, WalUntilParsing) {
  EXPECT_EQ(ParseWalUntil(WalUntilJson(7)), 7u);
  EXPECT_EQ(ParseWalUntil("{\"wal_until\": 12}"), 12u);
  EXPECT_EQ(ParseWalUntil("{}"), 0u);
  EXPECT_EQ(ParseWalUntil("{\"wal_until\":\"x\"}"), 0u);
}

// ---- v2: random traces, span conditions, damage ------------------------------

otlp::AnyValue RandomValue(std::mt19937_64& rng, int depth) {
  static const char* kStrings[] = {"", "GET", "/api/cart", "200", "true", "x\0y", "ünï"};
  switch (rng() % (depth >= 2 ? 6 : 8)) {
    case 0:
      return otlp::AnyValue();
    case 1:
      return otlp::AnyValue::String(kStrings[rng() % 7]);
    case 2:
      return otlp::AnyValue::Bool(rng() % 2);
    case 3:
      return otlp::AnyValue::Int(rng() % 3 == 0 ? INT64_MIN
                                                : static_cast<int64_t>(rng() % 400) - 100);
    case 4:
      return otlp::AnyValue::Double(rng() % 2 ? -0.0 : 1.5e300);
    case 5:
      return otlp::AnyValue::Bytes(std::string("\x00\xff", 2));
    case 6: {
      std::vector<otlp::AnyValue> items(rng() % 3);
      for (auto& item : items) item = RandomValue(rng, depth + 1);
      return otlp::AnyValue::Array(std::move(items));
    }
    default: {
      std::vector<otlp::KeyValue> kvs(rng() % 3);
      for (auto& kv : kvs) kv = {"k" + std::to_string(rng() % 3), RandomValue(rng, depth + 1)};
      return otlp::AnyValue::KvList(std::move(kvs));
    }
  }
}

// Attributes from a small key set so conditions hit: low-cardinality strings,
// ints and bools, duplicate keys (the first counts) and a high-cardinality key.
std::vector<otlp::KeyValue> RandomAttributes(std::mt19937_64& rng, size_t n) {
  static const char* kKeys[] = {"http.route", "http.status_code", "ok", "uid", "any"};
  static const char* kRoutes[] = {"/a", "/b", "/c", "200", "true"};
  std::vector<otlp::KeyValue> out;
  for (size_t i = 0; i < n; ++i) {
    const std::string key = kKeys[rng() % 5];
    otlp::AnyValue v;
    if (key == "http.route") {
      v = rng() % 4 ? otlp::AnyValue::String(kRoutes[rng() % 5]) : otlp::AnyValue::Int(200);
    } else if (key == "http.status_code") {
      v = otlp::AnyValue::Int(rng() % 2 ? 200 : 500);
    } else if (key == "ok") {
      v = rng() % 3 ? otlp::AnyValue::Bool(rng() % 2) : otlp::AnyValue::String("false");
    } else if (key == "uid") {
      v = otlp::AnyValue::String("u" + std::to_string(rng() % 5000));
    } else {
      v = RandomValue(rng, 0);
    }
    out.push_back({key, std::move(v)});
  }
  return out;
}

otlp::ExportTraceServiceRequest RandomTrace(std::mt19937_64& rng, const TraceId& tid) {
  static const char* kServices[] = {"a", "b", "c", ""};
  static const char* kNames[] = {"", "GET /a", "SELECT", "n"};
  otlp::ExportTraceServiceRequest r;
  std::vector<SpanId> ids;
  const uint64_t base = rng() % 4 == 0 ? 0 : 1'700'000'000'000'000'000 + rng() % 1'000'000'000;
  for (int nr = 1 + static_cast<int>(rng() % 3); nr > 0; --nr) {
    auto& rs = r.resource_spans.emplace_back();
    const int sv = static_cast<int>(rng() % 4);
    if (sv < 3 || rng() % 2) {
      rs.resource.attributes.push_back({"service.name", otlp::AnyValue::String(kServices[sv])});
    }
    if (rng() % 2) rs.resource.attributes.push_back({"http.route", otlp::AnyValue::String("/b")});
    if (rng() % 3 == 0) rs.resource.attributes.push_back({"ok", otlp::AnyValue::Bool(true)});
    rs.resource.dropped_attributes_count = static_cast<uint32_t>(rng() % 2);
    if (rng() % 2) rs.schema_url = "https://opentelemetry.io/schemas/1.24.0";
    for (int ns = 1 + static_cast<int>(rng() % 2); ns > 0; --ns) {
      auto& ss = rs.scope_spans.emplace_back();
      ss.scope.name = rng() % 2 ? "lib" : "";
      ss.scope.version = rng() % 2 ? "1.0" : "";
      if (rng() % 4 == 0) ss.scope.attributes = RandomAttributes(rng, 1);
      if (rng() % 3 == 0) ss.schema_url = "s";
      for (int n = 1 + static_cast<int>(rng() % 4); n > 0; --n) {
        otlp::Span& span = ss.spans.emplace_back();
        span.trace_id = tid;
        uint64_t sid = rng() | 1;
        std::memcpy(span.span_id.bytes.data(), &sid, 8);
        const int p = static_cast<int>(rng() % 4);
        if (p == 1 && !ids.empty()) span.parent_span_id = ids[rng() % ids.size()];
        if (p == 2) span.parent_span_id.bytes[3] = 7;  // not in this part
        if (p == 3) span.parent_span_id = span.span_id;
        ids.push_back(span.span_id);
        span.name = kNames[rng() % 4];
        span.kind = static_cast<otlp::SpanKind>(rng() % 7);
        span.flags = static_cast<uint32_t>(rng() % 3 == 0 ? 0x301 : 0);
        if (rng() % 5 == 0) span.trace_state = "k=v";
        span.start_time_unix_nano = rng() % 20 == 0 ? UINT64_MAX : base + rng() % 1'000'000'000;
        span.end_time_unix_nano = rng() % 20 == 0 ? 0 : span.start_time_unix_nano + rng() % 300;
        span.attributes = RandomAttributes(rng, rng() % 500 == 0 ? 3000 : rng() % 6);
        span.dropped_attributes_count = static_cast<uint32_t>(rng() % 2);
        for (int e = static_cast<int>(rng() % 3) - 1; e > 0; --e) {
          otlp::SpanEvent& ev = span.events.emplace_back();
          ev.time_unix_nano = rng() % 2 ? span.start_time_unix_nano + 5 : 3;
          ev.name = "exception";
          ev.attributes = RandomAttributes(rng, 2);
          ev.dropped_attributes_count = 1;
        }
        span.dropped_events_count = static_cast<uint32_t>(rng() % 2);
        if (rng() % 4 == 0) {
          otlp::SpanLink& l = span.links.emplace_back();
          l.trace_id.bytes[0] = 9;
          l.span_id.bytes[1] = 8;
          l.trace_state = "a=b";
          l.attributes = RandomAttributes(rng, 1);
          l.dropped_attributes_count = 2;
          l.flags = 0x101;
        }
        span.dropped_links_count = static_cast<uint32_t>(rng() % 2);
        const int st = static_cast<int>(rng() % 5);
        span.status.code = static_cast<otlp::SpanStatusCode>(st < 3 ? st : 0);
        if (st == 2) span.status.message = "boom";
      }
    }
  }
  return r;
}

TraceSummary Summarize(const otlp::ExportTraceServiceRequest& r) {
  TraceSummary s;
  for (const auto& rs : r.resource_spans) {
    for (const auto& ss : rs.scope_spans) {
      for (const auto& span : ss.spans) AddSpanToSummary(rs.resource, span, &s);
    }
  }
  return s;
}

class TraceBlockV2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("trace_block_v2_" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes `traces` random traces (ids ascending) and loads the block.
  void Build(int traces, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<TraceId> ids(static_cast<size_t>(traces));
    for (size_t i = 0; i < ids.size(); ++i) {
      ids[i].bytes[0] = static_cast<uint8_t>(i >> 16);
      ids[i].bytes[1] = static_cast<uint8_t>(i >> 8);
      ids[i].bytes[2] = static_cast<uint8_t>(i);
      ids[i].bytes[15] = static_cast<uint8_t>(rng());
    }
    path_ = (dir_ / "B.blk").string();
    auto b = TraceBlockBuilder::Create(path_);
    ASSERT_TRUE(b.ok());
    traces_.clear();
    for (const TraceId& id : ids) {
      traces_.push_back(RandomTrace(rng, id));
      ASSERT_TRUE((*b)->Add(Summarize(traces_.back()), traces_.back()).ok());
    }
    BlockMeta meta;
    meta.id = "B";
    Result<BlockMeta> written = (*b)->Finish(meta);
    ASSERT_TRUE(written.ok()) << written.status().message();
    meta_ = *written;
    Result<std::shared_ptr<const TraceBlockIndex>> index = Open(path_);
    ASSERT_TRUE(index.ok()) << index.status().message();
    index_ = *index;
  }

  Result<std::shared_ptr<const TraceBlockIndex>> Open(const std::string& path) {
    ASSIGN_OR_RETURN(std::unique_ptr<BlockReader> reader, BlockReader::Open(path));
    return TraceBlockIndex::Load(meta_, std::shared_ptr<const BlockReader>(std::move(reader)));
  }

  // Rows whose spans, read back, satisfy the filter as SpanMatches says.
  std::vector<uint32_t> BruteForce(const TraceFilter& filter) {
    if (read_back_.empty()) {
      TraceBlockIndex::PageCache cache;
      for (uint32_t row = 0; row < index_->trace_count(); ++row) {
        Result<otlp::ExportTraceServiceRequest> spans = index_->ReadTrace(row, &cache);
        EXPECT_TRUE(spans.ok());
        read_back_.push_back(std::move(*spans));
      }
    }
    std::vector<uint32_t> rows;
    for (uint32_t row = 0; row < index_->trace_count(); ++row) {
      const TraceSummary& s = index_->summary(row);
      if (!filter.range.Overlaps(s.start_ns, s.end_ns)) continue;
      const otlp::ExportTraceServiceRequest* spans = &read_back_[row];
      bool match = false;
      for (const auto& rs : spans->resource_spans) {
        for (const auto& ss : rs.scope_spans) {
          for (const auto& span : ss.spans) match |= SpanMatches(filter, rs.resource, span);
        }
      }
      if (match) rows.push_back(row);
    }
    return rows;
  }

  // MatchSpanConditions alone, then with a shared cache and pool (cold and
  // warm) and with a cache too small to hold a row group's columns for long:
  // all four must give the same rows.
  Result<std::vector<uint32_t>> Match(const TraceFilter& f) {
    ASSIGN_OR_RETURN(std::vector<uint32_t> plain, index_->MatchSpanConditions(f));
    TraceSearchContext shared{&cache_, &pool_}, tiny{&tiny_, nullptr};
    for (const TraceSearchContext* c : {&shared, &shared, &tiny}) {
      ASSIGN_OR_RETURN(std::vector<uint32_t> rows, index_->MatchSpanConditions(f, c));
      EXPECT_EQ(rows, plain);
    }
    return plain;
  }

  SearchCache cache_{size_t{64} << 20};
  SearchCache tiny_{4096};
  ScanPool pool_{2};
  fs::path dir_;
  std::string path_;
  BlockMeta meta_;
  std::vector<otlp::ExportTraceServiceRequest> traces_, read_back_;
  std::shared_ptr<const TraceBlockIndex> index_;
};

TEST_F(TraceBlockV2Test, RandomTracesRoundTripExactly) {
  Build(4000, 1);
  ASSERT_GT(index_->row_group_count(), 1u);
  TraceBlockIndex::PageCache cache;
  for (size_t i = 0; i < traces_.size(); ++i) {
    std::optional<size_t> row =
        index_->Find(traces_[i].resource_spans[0].scope_spans[0].spans[0].trace_id);
    ASSERT_EQ(row, i);
    Result<otlp::ExportTraceServiceRequest> back = index_->ReadTrace(i, i % 50 ? &cache : nullptr);
    ASSERT_TRUE(back.ok()) << back.status().message();
    ASSERT_EQ(*back, traces_[i]) << "trace " << i;
  }
  EXPECT_EQ(index_->ReadTrace(traces_.size()).status().code(), StatusCode::kOutOfRange);
}

TEST_F(TraceBlockV2Test, MatchSpanConditionsAgreesWithSpanMatches) {
  Build(3000, 2);
  struct Case {
    const char* name;
    std::function<void(TraceFilter*)> set;
  };
  const std::vector<Case> cases = {
      {"no conditions", [](TraceFilter*) {}},
      {"service", [](TraceFilter* f) { f->service = "a"; }},
      {"empty service", [](TraceFilter* f) { f->service = ""; }},
      {"unknown service", [](TraceFilter* f) { f->service = "zz"; }},
      {"span name", [](TraceFilter* f) { f->span_name = "GET /a"; }},
      {"empty span name", [](TraceFilter* f) { f->span_name = ""; }},
      {"route (indexed, also a resource attribute)",
       [](TraceFilter* f) {
         f->string_attributes = {{"http.route", "/b"}};
       }},
      {"route spelled as an int",
       [](TraceFilter* f) {
         f->string_attributes = {{"http.route", "200"}};
       }},
      {"int attribute",
       [](TraceFilter* f) {
         f->string_attributes = {{"http.status_code", "500"}};
       }},
      {"int attribute, non-canonical",
       [](TraceFilter* f) {
         f->string_attributes = {{"http.status_code", "0500"}};
       }},
      {"bool attribute (also string, also resource)",
       [](TraceFilter* f) {
         f->string_attributes = {{"ok", "true"}};
       }},
      {"bool false",
       [](TraceFilter* f) {
         f->string_attributes = {{"ok", "false"}};
       }},
      {"high-cardinality key (not indexed)",
       [](TraceFilter* f) {
         f->string_attributes = {{"uid", "u17"}};
       }},
      {"mixed-type key",
       [](TraceFilter* f) {
         f->string_attributes = {{"any", "GET"}};
       }},
      {"absent key",
       [](TraceFilter* f) {
         f->string_attributes = {{"nope", "x"}};
       }},
      {"numeric >= (ints)",
       [](TraceFilter* f) {
         f->numeric_attributes = {{"http.status_code", NumericAttributeCondition::Op::kGte, 500}};
       }},
      {"numeric != on a mixed-type key",
       [](TraceFilter* f) {
         f->numeric_attributes = {{"any", NumericAttributeCondition::Op::kNeq, 0}};
       }},
      {"numeric < on a string key",
       [](TraceFilter* f) {
         f->numeric_attributes = {{"http.route", NumericAttributeCondition::Op::kLt, 1000}};
       }},
      {"min duration", [](TraceFilter* f) { f->min_span_duration_ns = 150; }},
      {"max duration", [](TraceFilter* f) { f->max_span_duration_ns = 10; }},
      {"error", [](TraceFilter* f) { f->span_has_error = true; }},
      {"range",
       [](TraceFilter* f) {
         f->range = {1'700'000'000'100'000'000, 1'700'000'000'400'000'000};
       }},
      {"combination",
       [](TraceFilter* f) {
         f->service = "b";
         f->span_has_error = true;
         f->string_attributes = {{"http.status_code", "200"}, {"uid", "u3"}};
         f->min_span_duration_ns = 20;
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TraceFilter f;
    c.set(&f);
    Result<std::vector<uint32_t>> rows = Match(f);
    ASSERT_TRUE(rows.ok()) << rows.status().message();
    EXPECT_EQ(*rows, BruteForce(f));
  }
  // Random combinations must agree too, and not all be empty.
  std::mt19937_64 rng(3);
  static const char* kKeys[] = {"http.route", "http.status_code", "ok", "uid",
                                "any",        "service.name"};
  static const char* kValues[] = {"/a", "/b", "200", "500", "true", "false", "u1", "a", "GET", ""};
  size_t nonempty = 0;
  for (int i = 0; i < 300; ++i) {
    TraceFilter f;
    if (rng() % 3 == 0) f.service = std::string(1, static_cast<char>('a' + rng() % 3));
    if (rng() % 3 == 0) f.span_name = rng() % 2 ? "GET /a" : "SELECT";
    for (int k = static_cast<int>(rng() % 3); k > 0; --k) {
      f.string_attributes.emplace_back(kKeys[rng() % 6], kValues[rng() % 10]);
    }
    if (rng() % 5 == 0) {
      f.numeric_attributes.push_back({kKeys[rng() % 6],
                                      static_cast<NumericAttributeCondition::Op>(rng() % 6),
                                      static_cast<double>(rng() % 3 == 0 ? 500 : rng() % 300)});
    }
    if (rng() % 4 == 0) f.min_span_duration_ns = static_cast<int64_t>(rng() % 300);
    if (rng() % 4 == 0) f.max_span_duration_ns = static_cast<int64_t>(rng() % 300);
    f.span_has_error = rng() % 4 == 0;
    if (rng() % 4 == 0) {
      const int64_t lo = 1'700'000'000'000'000'000 + static_cast<int64_t>(rng() % 1'000'000'000);
      f.range = {lo, lo + 200'000'000};
    }
    Result<std::vector<uint32_t>> rows = Match(f);
    ASSERT_TRUE(rows.ok());
    std::vector<uint32_t> want = BruteForce(f);
    ASSERT_EQ(*rows, want) << "random filter " << i;
    nonempty += !want.empty();
  }
  EXPECT_GT(nonempty, 50u);
  const SearchCacheStats stats = cache_.stats();
  EXPECT_GT(stats.hits, 0);
  EXPECT_LE(stats.bytes, cache_.budget_bytes());
  EXPECT_GT(tiny_.stats().evictions + tiny_.stats().misses, 0);
}

// Rewrites the block with one section's bytes replaced (checksums valid).
std::string Rewrite(const std::string& path, std::string_view section,
                    const std::function<std::string(std::string)>& edit) {
  auto r = BlockReader::Open(path);
  EXPECT_TRUE(r.ok());
  const std::string out = path + "." + std::string(section);
  auto w = BlockWriter::Create(out);
  EXPECT_TRUE(w.ok());
  for (const SectionInfo& s : (*r)->sections()) {
    std::string bytes = *(*r)->ReadSection(s.name);
    if (s.name == section) {
      if (!edit) continue;
      bytes = edit(std::move(bytes));
    }
    EXPECT_TRUE((*w)->AddSection(s.name, bytes, s.codec).ok());
  }
  EXPECT_TRUE((*w)->Finish((*r)->meta()).ok());
  return out;
}

TEST_F(TraceBlockV2Test, DamagedSectionsAreRefusedWithNamedErrors) {
  Build(300, 4);
  auto garbage = [](std::string s) { return std::string(s.size(), '\x7f'); };
  auto truncate = [](std::string s) { return s.substr(0, s.size() / 2); };
  auto flip = [](std::string s) {
    for (size_t i = 0; i < s.size(); i += 7) s[i] = static_cast<char>(s[i] ^ 0x5a);
    return s;
  };
  struct Case {
    const char* section;
    std::function<std::string(std::string)> edit;  // null: drop the section
    const char* error;                             // substring of the status message
  };
  const std::vector<Case> cases = {
      {"format", nullptr, "unsupported trace block format"},
      {"format", [](std::string) { return std::string("trace-block-v9"); },
       "unsupported trace block format"},
      {"rg.spans", [](std::string) { return EncodeUint32s(std::vector<uint32_t>{1}); },
       "row group"},
      {"loc.group", [](std::string) { return EncodeUint32s(std::vector<uint32_t>(300, 1)); },
       "row group"},
      {"loc.spans", [](std::string) { return EncodeUint32s(std::vector<uint32_t>(300, 1000)); },
       "row group"},
      {"rg.0.x", nullptr, "missing row group section"},
      {"table.resources", garbage, ""},
      {"table.scopes", truncate, ""},
      {"post.keys", garbage, ""},
      {"post.lens", [](std::string) { return EncodeInt64s(std::vector<int64_t>{1 << 30}); },
       "post.lens"},
      {"post.0", truncate, "postings"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.section);
    Result<std::shared_ptr<const TraceBlockIndex>> index = Open(Rewrite(path_, c.section, c.edit));
    ASSERT_FALSE(index.ok());
    EXPECT_TRUE(index.status().code() == StatusCode::kDataLoss ||
                index.status().code() == StatusCode::kNotFound ||
                index.status().code() == StatusCode::kInvalidArgument)
        << index.status().message();
    EXPECT_NE(index.status().message().find(c.error), std::string::npos)
        << index.status().message();
  }
  // Row-group damage is found when a trace or a search reads the group.
  for (const char* family : {"s", "a", "x"}) {
    for (const std::function<std::string(std::string)>& edit :
         std::vector<std::function<std::string(std::string)>>{garbage, truncate, flip}) {
      const std::string section = std::string("rg.0.") + family;
      SCOPED_TRACE(section);
      Result<std::shared_ptr<const TraceBlockIndex>> index = Open(Rewrite(path_, section, edit));
      ASSERT_TRUE(index.ok()) << index.status().message();
      Result<otlp::ExportTraceServiceRequest> trace = (*index)->ReadTrace(0);
      if (!trace.ok()) {
        EXPECT_EQ(trace.status().code(), StatusCode::kDataLoss);
        EXPECT_NE(trace.status().message().find("row group 0"), std::string::npos);
      }
      TraceFilter f;
      f.span_name = "GET /a";
      f.string_attributes = {{"uid", "u1"}};
      (void)(*index)->MatchSpanConditions(f);  // must not crash
    }
  }
}

TEST(TraceBlockV2, V1BlockIsRefused) {
  // A v1 block: the index sections without `format` (or row groups).
  const fs::path dir =
      fs::temp_directory_path() / ("trace_block_v1_" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  const std::string path = (dir / "v1.blk").string();
  {
    auto w = BlockWriter::Create(path);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->AddSection("ids", std::string(16, '\1'), Codec::kNone).ok());
    ASSERT_TRUE((*w)->AddSection("page.0", "blob").ok());
    ASSERT_TRUE((*w)->Finish(BlockMeta().ToJson()).ok());
  }
  auto reader = BlockReader::Open(path);
  ASSERT_TRUE(reader.ok());
  auto index =
      TraceBlockIndex::Load(BlockMeta(), std::shared_ptr<const BlockReader>(std::move(*reader)));
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(index.status().message().find("unsupported trace block format"), std::string::npos);
  fs::remove_all(dir);
}

TEST(TraceBlockV2, SpansOfAnotherTraceAreRefused) {
  const fs::path dir =
      fs::temp_directory_path() / ("trace_block_tid_" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  auto b = TraceBlockBuilder::Create((dir / "X.blk").string());
  ASSERT_TRUE(b.ok());
  TraceId t;
  t.bytes[0] = 1;
  otlp::ExportTraceServiceRequest spans = OneSpan(t, "a", true, 5);
  TraceSummary s = Summarize(spans);
  s.trace_id.bytes[1] = 2;
  EXPECT_EQ((*b)->Add(s, spans).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*b)->trace_count(), 0u);
  b->reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace quartet::store
