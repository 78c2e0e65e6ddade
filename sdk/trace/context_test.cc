#include <gtest/gtest.h>

#include <thread>

#include "sdk/context/current.h"
#include "sdk/trace/test_util.h"

namespace quartet::trace_internal {
namespace {

TEST(ContextTest, EmptyByDefault) {
  Context c = Context::Current();
  EXPECT_FALSE(c.span_context().valid());
  EXPECT_TRUE(c.request_id().empty());
  EXPECT_TRUE(c.baggage().empty());
}

TEST(ContextTest, ScopeExposesRequestIdSpanAndBaggageThroughFrame) {
  TestProvider tp;
  Span span = tp.tracer().StartSpan("s");
  Context ctx =
      Context().WithSpan(span).WithRequestId("r-1").WithBaggage(Baggage().Set("tenant", "acme"));
  {
    Scope scope(ctx);
    const context_internal::Frame* f = context_internal::Current();
    ASSERT_NE(f, nullptr);
    ASSERT_NE(f->span, nullptr);
    EXPECT_EQ(f->span->span_id, span.context().span_id);
    EXPECT_EQ(f->request_id, "r-1");
    ASSERT_NE(f->baggage, nullptr);
    EXPECT_EQ(static_cast<const Baggage*>(f->baggage)->Get("tenant"), "acme");

    Context now = Context::Current();
    EXPECT_EQ(now.span_context().span_id, span.context().span_id);
    EXPECT_EQ(now.request_id(), "r-1");
    EXPECT_EQ(now.baggage().Get("tenant"), "acme");

    // A nested span scope inherits the request id from below.
    Span child = tp.tracer().StartSpan("child");
    Scope inner(child);
    EXPECT_EQ(context_internal::Current()->request_id, "r-1");
    EXPECT_EQ(context_internal::Current()->span->span_id, child.context().span_id);
  }
  EXPECT_EQ(context_internal::Current(), nullptr);
}

TEST(ContextTest, CarriesAcrossThreads) {
  TestProvider tp;
  Span parent = tp.tracer().StartSpan("parent");
  Context ctx;
  {
    Scope scope(parent);
    ctx = Context::Current().WithRequestId("r-2");
  }
  SpanContext child_ctx;
  std::string seen_request;
  std::thread worker([&] {
    EXPECT_EQ(context_internal::Current(), nullptr);
    Scope scope(ctx);
    seen_request = std::string(context_internal::Current()->request_id);
    Span child = tp.tracer().StartSpan("child");
    child_ctx = child.context();
  });
  worker.join();
  EXPECT_EQ(child_ctx.trace_id, parent.context().trace_id);
  EXPECT_EQ(seen_request, "r-2");
}

TEST(ContextTest, ContextsAreImmutableValues) {
  Context a = Context().WithRequestId("a");
  Context b = a.WithRequestId("b");
  EXPECT_EQ(a.request_id(), "a");
  EXPECT_EQ(b.request_id(), "b");
  Baggage x = Baggage().Set("k", "1");
  Baggage y = x.Set("k", "2").Set("j", "3");
  EXPECT_EQ(x.Get("k"), "1");
  EXPECT_EQ(y.Get("k"), "2");
  EXPECT_EQ(y.entries().size(), 2u);
  EXPECT_EQ(y.Remove("k").entries().size(), 1u);
  EXPECT_FALSE(y.Get("missing").has_value());
}

}  // namespace
}  // namespace quartet::trace_internal
