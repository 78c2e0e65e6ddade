// Interop with a peer nobody here wrote: a Node client traced by the
// OpenTelemetry JS SDK calls the example; the example's server span must be
// the child of the JS client span, in the same trace.
#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/support/checkout.h"
#include "tests/support/otlp_receiver.h"
#include "wire/json/json_parser.h"

namespace quartet::testing {
namespace {

TEST(InteropNodeTest, JsClientSpanIsTheParentOfTheServerSpan) {
  ASSERT_EQ(
      access(SourcePath("tests/peers/node_modules/@opentelemetry/sdk-trace-base").c_str(), R_OK), 0)
      << "npm peers missing: run ./setup";
  OtlpReceiver receiver;
  CheckoutService service(receiver.endpoint());
  ASSERT_TRUE(service.ready());

  std::string dir = TempDir("node");
  std::string cmd = "cd " + SourcePath("tests/peers") + " && node traced_client.js '" +
                    service.url("/checkout?user_id=3") + "' tenant=acme > " + dir +
                    "/out.json 2> " + dir + "/err.txt";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadFile(dir + "/err.txt");
  auto client = json::Parse(ReadFile(dir + "/out.json"));
  ASSERT_TRUE(client.ok()) << ReadFile(dir + "/out.json");
  EXPECT_EQ(client->Find("status")->int_value(), 200);
  const std::string trace_id = JsonString(*client, "trace_id");
  const std::string span_id = JsonString(*client, "span_id");
  EXPECT_FALSE(JsonString(*client, "request_id").empty());
  EXPECT_EQ(service.Stop(), 0);

  bool found = false;
  for (const otlp::Span& span : receiver.Spans()) {
    if (span.name != "GET /checkout") continue;
    found = true;
    EXPECT_EQ(span.trace_id.ToHex(), trace_id);
    EXPECT_EQ(span.parent_span_id.ToHex(), span_id);
    EXPECT_EQ(span.flags & 0x1, 0x1u);  // sampled, as the JS parent decided
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace quartet::testing
