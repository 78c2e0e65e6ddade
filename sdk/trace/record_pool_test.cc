#include "sdk/trace/record_pool.h"

#include <gtest/gtest.h>

namespace quartet::trace_internal {
namespace {

TEST(SpanRecordPoolTest, RecycledRecordsAreCleanAndReuseAttributeStrings) {
  SpanRecordPool pool(4);
  SpanRecord* r = pool.Acquire();
  r->name = "first";
  r->context.span_id.bytes[0] = 1;
  r->SetAttribute("http.response.status_code", AttributeValue(int64_t{200}));
  r->SetAttribute("a.rather.long.attribute.key",
                  AttributeValue("a value longer than sixteen bytes"));
  r->events.push_back({});
  pool.Release(r);

  SpanRecord* again = pool.Acquire();
  EXPECT_EQ(again, r);  // recycled, not reallocated
  EXPECT_TRUE(again->name.empty());
  EXPECT_FALSE(again->context.span_id.valid());
  EXPECT_TRUE(again->attributes.empty());
  EXPECT_TRUE(again->events.empty());
  // Types may change between uses of the same spare entry.
  again->SetAttribute("x", AttributeValue("text"));
  again->SetAttribute("y", AttributeValue(int64_t{7}));
  again->SetAttribute("z", AttributeValue(true));
  ASSERT_EQ(again->attributes.size(), 3u);
  EXPECT_EQ(again->attributes[0].key, "x");
  EXPECT_EQ(std::get<std::string>(again->attributes[0].value), "text");
  EXPECT_EQ(again->attributes[1].key, "y");
  EXPECT_EQ(std::get<int64_t>(again->attributes[1].value), 7);
  EXPECT_EQ(std::get<bool>(again->attributes[2].value), true);
  pool.Release(again);
}

TEST(SpanRecordPoolTest, BoundedFreeList) {
  SpanRecordPool pool(2);
  SpanRecord* a = pool.Acquire();
  SpanRecord* b = pool.Acquire();
  SpanRecord* c = pool.Acquire();
  pool.Release(a);
  pool.Release(b);
  pool.Release(c);  // beyond capacity: freed (ASan would flag a leak otherwise)
  SpanRecord* d = pool.Acquire();
  EXPECT_TRUE(d == a || d == b);
  pool.Release(d);
}

}  // namespace
}  // namespace quartet::trace_internal
