#include "sdk/log/record_ring.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace quartet::log_internal {
namespace {

TEST(RecordRingTest, EncodeDecodeRoundTrip) {
  const std::string big(kMaxStringBytes + 10, 'x');
  const LogAttr attrs[] = {
      LogAttr("s", "value"), LogAttr("i", int64_t{-5}), LogAttr("u", uint64_t{1} << 63),
      LogAttr("d", 2.5),     LogAttr("b", true),        LogAttr("dur", std::chrono::seconds(3)),
      LogAttr("big", big),   LogAttr("", ""),
  };
  RecordHeader h;
  h.time_unix_nano = 123;
  h.level = LogLevel::kError;
  h.has_span = 1;
  h.trace_id.bytes[0] = 7;
  h.span_id.bytes[7] = 9;
  h.trace_flags = 1;
  const size_t size = EncodedSize("msg", "req", attrs);
  std::vector<char> buf(size + 16, '\x5a');
  EncodeRecord(h, "msg", "req", attrs, buf.data());
  EXPECT_EQ(buf[size], '\x5a');  // wrote exactly EncodedSize bytes

  DecodedRecord rec;
  std::vector<LogAttr> out;
  DecodeRecord(buf.data(), &rec, &out);
  EXPECT_EQ(rec.header.time_unix_nano, 123);
  EXPECT_EQ(rec.header.level, LogLevel::kError);
  EXPECT_EQ(rec.header.trace_id, h.trace_id);
  EXPECT_EQ(rec.header.span_id, h.span_id);
  EXPECT_EQ(rec.header.trace_flags, 1);
  EXPECT_EQ(rec.message, "msg");
  EXPECT_EQ(rec.request_id, "req");
  ASSERT_EQ(out.size(), std::size(attrs));
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].key(), attrs[i].key());
    EXPECT_EQ(out[i].type(), attrs[i].type());
  }
  EXPECT_EQ(out[0].string_value(), "value");
  EXPECT_EQ(out[1].int_value(), -5);
  EXPECT_EQ(out[2].uint_value(), uint64_t{1} << 63);
  EXPECT_EQ(out[3].double_value(), 2.5);
  EXPECT_TRUE(out[4].bool_value());
  EXPECT_EQ(out[5].duration_nanos(), 3'000'000'000);
  EXPECT_EQ(out[6].string_value().size(), kMaxStringBytes);  // truncated
}

TEST(RecordRingTest, AttributeCountIsCapped) {
  std::vector<LogAttr> attrs;
  for (size_t i = 0; i < kMaxAttrs + 5; ++i) attrs.emplace_back("k", static_cast<int64_t>(i));
  std::vector<char> buf(EncodedSize("m", "", attrs));
  EncodeRecord({}, "m", "", attrs, buf.data());
  DecodedRecord rec;
  std::vector<LogAttr> out;
  DecodeRecord(buf.data(), &rec, &out);
  ASSERT_EQ(out.size(), kMaxAttrs);
  EXPECT_EQ(out.back().int_value(), static_cast<int64_t>(kMaxAttrs - 1));
}

TEST(RecordRingTest, ClaimPublishConsumeInOrderAndReportFull) {
  RecordRing ring(3);  // rounds up to 4
  ASSERT_EQ(ring.capacity(), 4u);
  EXPECT_EQ(ring.Front(), nullptr);
  std::vector<RecordRing::Slot*> slots;
  for (int i = 0; i < 4; ++i) {
    RecordRing::Slot* s = ring.TryClaim();
    ASSERT_NE(s, nullptr);
    s->inline_data[0] = static_cast<char>('a' + i);
    slots.push_back(s);
  }
  EXPECT_EQ(ring.TryClaim(), nullptr);  // full
  EXPECT_EQ(ring.claimed(), 4u);
  // Published out of order: the consumer still waits for the oldest.
  ring.Publish(slots[1]);
  EXPECT_EQ(ring.Front(), nullptr);
  ring.Publish(slots[0]);
  ASSERT_NE(ring.Front(), nullptr);
  EXPECT_EQ(ring.Front()->inline_data[0], 'a');
  ring.PopFront();
  EXPECT_EQ(ring.Front()->inline_data[0], 'b');
  ring.PopFront();
  EXPECT_EQ(ring.Front(), nullptr);           // slot 2 claimed but not published
  RecordRing::Slot* again = ring.TryClaim();  // space returned
  ASSERT_NE(again, nullptr);
  again->heap = new char[8];  // a spilled record is freed by PopFront
  again->heap[0] = 'e';
  ring.Publish(slots[2]);
  ring.Publish(slots[3]);
  ring.Publish(again);
  std::string seen;
  while (RecordRing::Slot* s = ring.Front()) {
    seen.push_back(s->data()[0]);
    ring.PopFront();
  }
  EXPECT_EQ(seen, "cde");
  EXPECT_EQ(ring.consumed(), 5u);
}

}  // namespace
}  // namespace quartet::log_internal
