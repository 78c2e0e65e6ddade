#include "server/store/traces/trace_block.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

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

}  // namespace
}  // namespace quartet::store
