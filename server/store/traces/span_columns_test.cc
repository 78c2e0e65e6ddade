// Span columns keep what they decode readable after the decoded structs are
// moved (returned, stored in containers): the non-scalar attribute values,
// events and links are views into bytes those structs own.
#include "server/store/traces/span_columns.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace quartet::store {
namespace {

TEST(SpanColumnsTest, ShortNonScalarValuesSurviveMovingTheColumns) {
  otlp::Span span;
  span.span_id.bytes[7] = 1;
  span.name = "s";
  // Short enough for the encoded column to fit a std::string's inline buffer.
  otlp::AnyValue array;
  array.type = otlp::AnyValue::Type::kArray;
  array.array_value = {otlp::AnyValue::Int(7)};
  span.attributes = {{"a", array}};
  otlp::SpanEvent event;
  event.name = "e";
  span.events = {event};
  SpanColumnsBuilder builder;
  const SpanRef ref{&span, 0, 0, kGroupNewResource | kGroupNewScope};
  builder.AddTrace(std::span<const SpanRef>(&ref, 1), 0);
  SpanColumnsBuilder::Sections sections = builder.Finish();

  Result<SpanAttributeColumns> attrs = SpanAttributeColumns::Decode(sections.attributes, 1, 64);
  ASSERT_TRUE(attrs.ok()) << attrs.status().message();
  Result<SpanExtraColumns> extra = SpanExtraColumns::Decode(sections.extra, 1, 64, 1);
  ASSERT_TRUE(extra.ok()) << extra.status().message();
  ASSERT_TRUE(extra->events.has_value());
  const std::string event_bytes((*extra->events)[0]);
  ASSERT_FALSE(event_bytes.empty());
  std::vector<SpanAttributeColumns> attr_store;
  std::vector<SpanExtraColumns> extra_store;
  attr_store.push_back(std::move(*attrs));
  extra_store.push_back(std::move(*extra));
  for (int i = 0; i < 8; ++i) {  // each reallocation moves element 0 again
    attr_store.emplace_back();
    extra_store.emplace_back();
  }
  otlp::AnyValue back;
  ASSERT_TRUE(attr_store[0].Value(0, &back).ok());
  EXPECT_TRUE(back == array);
  EXPECT_EQ((*extra_store[0].events)[0], event_bytes);
}

}  // namespace
}  // namespace quartet::store
