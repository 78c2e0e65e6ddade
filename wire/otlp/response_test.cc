#include "wire/otlp/response.h"

#include <gtest/gtest.h>

#include <string>

namespace quartet::otlp {
namespace {

TEST(ResponseTest, ExportResponseEncodingAndRoundTrip) {
  EXPECT_EQ(EncodeExportResponse({}), "");
  ExportResponse partial{ExportPartialSuccess{3, "3 spans had no trace_id"}};
  std::string bytes = EncodeExportResponse(partial);
  // partial_success{rejected 3, error_message "..."}
  EXPECT_EQ(bytes.substr(0, 4), std::string("\x0a\x1b\x08\x03", 4));
  auto back = DecodeExportResponse(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, partial);

  // An empty partial_success message is present but rejects nothing.
  auto empty = DecodeExportResponse(std::string("\x0a\x00", 2));
  ASSERT_TRUE(empty.ok());
  ASSERT_TRUE(empty->partial_success.has_value());
  EXPECT_EQ(empty->partial_success->rejected, 0);
  auto none = DecodeExportResponse("");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->partial_success.has_value());
}

TEST(ResponseTest, ExportResponseErrors) {
  auto bad = DecodeExportResponse(std::string("\x0a\x01\x08", 3));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "partial_success: at offset 0: truncated varint");
  auto wrong = DecodeExportResponse(std::string("\x0a\x09\x09", 3) + std::string(8, '\0'));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().message(),
            "partial_success.rejected: field 1 has wire type fixed64, expected varint");
}

TEST(ResponseTest, RpcStatusRoundTrip) {
  RpcStatus st;
  st.code = 8;
  st.message = "too many requests";
  st.details = {{"type.googleapis.com/google.rpc.RetryInfo", std::string("\x0a\x02\x08\x05", 4)}};
  auto back = DecodeRpcStatus(EncodeRpcStatus(st));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, st);
  EXPECT_EQ(EncodeRpcStatus({3, "bad", {}}), std::string("\x08\x03\x12\x03"
                                                         "bad",
                                                         7));
  auto bad = DecodeRpcStatus(std::string("\x1a\x03\x0a\x05x", 5));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "details[0]: at offset 0: length 5 of field 1 exceeds the 1 bytes remaining");
}

}  // namespace
}  // namespace quartet::otlp
