#include <gtest/gtest.h>

#include "sdk/context/current.h"
#include "sdk/trace/test_util.h"

namespace quartet::trace_internal {
namespace {

TEST(SpanTest, ParentChildIdsThroughScope) {
  TestProvider tp;
  SpanContext root_ctx, child_ctx, grandchild_ctx;
  {
    Span root = tp.tracer().StartSpan("root", {.kind = SpanKind::kServer});
    Scope scope(root);
    Span child = tp.tracer().StartSpan("child");
    {
      Scope inner(child);
      Span grandchild = tp.tracer().StartSpan("grandchild");
      grandchild_ctx = grandchild.context();
    }
    root_ctx = root.context();
    child_ctx = child.context();
  }
  auto spans = tp.Flush();
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_TRUE(root_ctx.valid());
  EXPECT_TRUE(root_ctx.sampled());
  EXPECT_EQ(child_ctx.trace_id, root_ctx.trace_id);
  EXPECT_EQ(grandchild_ctx.trace_id, root_ctx.trace_id);
  EXPECT_FALSE(child_ctx.span_id == root_ctx.span_id);
  for (const SpanRecord& r : spans) {
    if (r.name == "root") {
      EXPECT_FALSE(r.parent_span_id.valid());
      EXPECT_EQ(r.kind, SpanKind::kServer);
    } else if (r.name == "child") {
      EXPECT_EQ(r.parent_span_id, root_ctx.span_id);
    } else {
      EXPECT_EQ(r.parent_span_id, child_ctx.span_id);
    }
    EXPECT_GT(r.end_unix_nanos, 0);
    EXPECT_LE(r.start_unix_nanos, r.end_unix_nanos);
  }
  EXPECT_EQ(context_internal::Current(), nullptr);  // scopes popped
}

TEST(SpanTest, ExplicitParentAndRoot) {
  TestProvider tp;
  Span a = tp.tracer().StartSpan("a");
  Scope scope(a);
  SpanContext remote;
  remote.trace_id.bytes[15] = 7;
  remote.span_id.bytes[7] = 9;
  remote.trace_flags = 1;
  remote.is_remote = true;
  Span b = tp.tracer().StartSpan("b", {.parent = remote});
  EXPECT_EQ(b.context().trace_id, remote.trace_id);
  Span c = tp.tracer().StartSpan("c", {.parent = SpanParent::Root()});
  EXPECT_FALSE(c.context().trace_id == a.context().trace_id);
  Span d = tp.tracer().StartSpan("d", {.parent = Context().WithSpan(a)});
  EXPECT_EQ(d.context().trace_id, a.context().trace_id);
  b.End();
  c.End();
  d.End();
  auto spans = tp.Flush();
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[0].parent_span_id, remote.span_id);
  EXPECT_TRUE(spans[0].parent_is_remote);
  EXPECT_FALSE(spans[1].parent_span_id.valid());
  EXPECT_EQ(spans[2].parent_span_id, a.context().span_id);
}

TEST(SpanTest, RecordsAttributesEventsLinksStatus) {
  TestProvider tp;
  SpanContext linked;
  linked.trace_id.bytes[0] = 1;
  linked.span_id.bytes[0] = 2;
  {
    Span s = tp.tracer().StartSpan("op", {.attributes = {{"http.route", "/x"}, {"n", 3}},
                                          .links = {{linked, {{"why", "retry"}}}}});
    s.SetAttribute("s", "str");
    s.SetAttribute("i", int64_t{-4});
    s.SetAttribute("d", 2.5);
    s.SetAttribute("b", true);
    s.SetAttribute("n", 5);  // replaces
    s.AddEvent("cache miss", {{"key", "k1"}});
    s.RecordException("std::runtime_error", "boom");
    s.AddLink(linked);
    s.SetStatus(SpanStatus::kError, "failed");
    s.SetStatus(SpanStatus::kUnset);  // ignored
    s.UpdateName("op2");
    EXPECT_TRUE(s.IsRecording());
    s.End();
    EXPECT_FALSE(s.IsRecording());
    s.End();                    // idempotent
    s.SetAttribute("late", 1);  // ignored after End
  }
  auto spans = tp.Flush();
  ASSERT_EQ(spans.size(), 1u);
  const SpanRecord& r = spans[0];
  EXPECT_EQ(r.name, "op2");
  EXPECT_EQ(r.attributes.size(), 6u);
  EXPECT_EQ(std::get<std::string>(*FindAttr(r.attributes, "http.route")), "/x");
  EXPECT_EQ(std::get<int64_t>(*FindAttr(r.attributes, "n")), 5);
  EXPECT_EQ(std::get<std::string>(*FindAttr(r.attributes, "s")), "str");
  EXPECT_EQ(std::get<int64_t>(*FindAttr(r.attributes, "i")), -4);
  EXPECT_EQ(std::get<double>(*FindAttr(r.attributes, "d")), 2.5);
  EXPECT_EQ(std::get<bool>(*FindAttr(r.attributes, "b")), true);
  EXPECT_EQ(FindAttr(r.attributes, "late"), nullptr);
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0].name, "cache miss");
  EXPECT_EQ(r.events[1].name, "exception");
  EXPECT_EQ(std::get<std::string>(*FindAttr(r.events[1].attributes, "exception.type")),
            "std::runtime_error");
  EXPECT_EQ(std::get<std::string>(*FindAttr(r.events[1].attributes, "exception.message")), "boom");
  ASSERT_EQ(r.links.size(), 2u);
  EXPECT_EQ(r.links[0].context.trace_id, linked.trace_id);
  EXPECT_EQ(std::get<std::string>(*FindAttr(r.links[0].attributes, "why")), "retry");
  EXPECT_EQ(r.status, SpanStatus::kError);
  EXPECT_EQ(r.status_message, "failed");
}

TEST(SpanTest, StatusOkIsFinal) {
  TestProvider tp;
  {
    Span s = tp.tracer().StartSpan("op");
    s.SetStatus(SpanStatus::kOk, "ignored message");
    s.SetStatus(SpanStatus::kError, "too late");
  }
  auto spans = tp.Flush();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].status, SpanStatus::kOk);
  EXPECT_EQ(spans[0].status_message, "");
}

TEST(SpanTest, AttributeLimitCountsDrops) {
  TestProvider tp;
  {
    Span s = tp.tracer().StartSpan("op");
    for (int i = 0; i < 130; ++i) s.SetAttribute("k" + std::to_string(i), i);
  }
  auto spans = tp.Flush();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].attributes.size(), kMaxAttributes);
  EXPECT_EQ(spans[0].dropped_attributes, 2u);
}

TEST(SpanTest, MoveTransfersOwnershipAndDestructionEnds) {
  TestProvider tp;
  {
    Span a = tp.tracer().StartSpan("moved");
    Span b = std::move(a);
    EXPECT_FALSE(
        a.IsRecording());  // NOLINT(bugprone-use-after-move): checking the moved-from state
    EXPECT_TRUE(b.IsRecording());
    Span c = tp.tracer().StartSpan("overwritten");
    c = std::move(b);  // ends "overwritten"
  }
  auto spans = tp.Flush();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].name, "overwritten");
  EXPECT_EQ(spans[1].name, "moved");
  EXPECT_EQ(tp.provider->counters().spans_started.load(), 2u);
  EXPECT_EQ(tp.provider->counters().spans_ended.load(), 2u);
  EXPECT_EQ(tp.provider->counters().spans_exported.load(), 2u);
}

TEST(SpanTest, DroppedSpanKeepsValidUnsampledContext) {
  TestProvider tp({SamplerKind::kAlwaysOff, 1.0, {}});
  SpanContext parent;
  {
    Span root = tp.tracer().StartSpan("root");
    EXPECT_FALSE(root.IsRecording());
    EXPECT_TRUE(root.context().valid());
    EXPECT_FALSE(root.context().sampled());
    Scope scope(root);
    Span child = tp.tracer().StartSpan("child");
    EXPECT_EQ(child.context().trace_id, root.context().trace_id);
    EXPECT_FALSE(child.context().span_id == root.context().span_id);
    child.SetAttribute("ignored", 1);
  }
  EXPECT_EQ(tp.Flush().size(), 0u);
  EXPECT_EQ(tp.provider->counters().spans_started.load(), 0u);
}

TEST(SpanTest, RequestIdFromCurrentContextBecomesAttribute) {
  TestProvider tp;
  {
    Scope request(Context().WithRequestId("req-42"));
    Span s = tp.tracer().StartSpan("handler");
    Scope scope(s);
    EXPECT_EQ(context_internal::Current()->request_id, "req-42");
    EXPECT_EQ(context_internal::Current()->recording_span != nullptr, true);
  }
  auto spans = tp.Flush();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(std::get<std::string>(*FindAttr(spans[0].attributes, "request_id")), "req-42");
}

TEST(SpanTest, GlobalTracerIsNoopUntilInstalled) {
  SpanContext parent;
  parent.trace_id.bytes[3] = 3;
  parent.span_id.bytes[4] = 4;
  parent.trace_flags = 1;
  Span noop = quartet::Tracer().StartSpan("x", {.parent = parent});
  EXPECT_FALSE(noop.IsRecording());
  EXPECT_EQ(noop.context().trace_id, parent.trace_id);  // propagates the parent as is
  EXPECT_EQ(noop.context().span_id, parent.span_id);

  TestProvider tp;
  tp.provider->InstallGlobal();
  {
    Span s = quartet::Tracer().StartSpan("global");
    EXPECT_TRUE(s.IsRecording());
  }
  EXPECT_TRUE(tp.provider->Shutdown(std::chrono::seconds(5)));
  EXPECT_EQ(tp.exporter->size(), 1u);
  EXPECT_TRUE(tp.exporter->is_shutdown());
  EXPECT_FALSE(quartet::Tracer().StartSpan("after").IsRecording());
}

TEST(SpanTest, SpansEndedAfterShutdownAreDroppedAndCounted) {
  TestProvider tp;
  Span s = tp.tracer().StartSpan("late");
  EXPECT_TRUE(tp.provider->Shutdown(std::chrono::seconds(5)));
  s.End();
  EXPECT_EQ(tp.provider->counters().spans_dropped.load(), 1u);
  EXPECT_EQ(tp.exporter->size(), 0u);
}

}  // namespace
}  // namespace quartet::trace_internal
