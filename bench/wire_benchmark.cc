// Wire codec throughput: the SDK's streaming OTLP trace encoder (spans/s for
// a typical span: 5 attributes, ~20-char name, one batch of 512) and the
// server's OTLP/protobuf decoder (MB/s over a realistic 512-span request),
// and the hex decoding of trace and span ids.
// Run: build/bin/wire_benchmark --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/hex.h"
#include "wire/otlp/decode.h"
#include "wire/otlp/encode.h"
#include "wire/protobuf/reader.h"

namespace {

using namespace quartet;
using namespace quartet::otlp;

constexpr int kBatch = 512;

const KeyValueView kResource[] = {
    {"service.name", AnyValueView::String("checkout")},
    {"service.version", AnyValueView::String("1.4.2")},
    {"deployment.environment", AnyValueView::String("prod")},
    {"host.name", AnyValueView::String("web-7f9c6d-x2k4p")},
};

struct SdkSpan {  // what an SDK keeps per finished span
  TraceId trace_id;
  SpanId span_id;
  SpanId parent;
  std::string name;
  std::string route;
  uint64_t start, end;
  int64_t status_code;
};

std::vector<SdkSpan> MakeSpans() {
  std::vector<SdkSpan> spans(kBatch);
  for (int i = 0; i < kBatch; ++i) {
    SdkSpan& s = spans[i];
    for (int b = 0; b < 16; ++b) s.trace_id.bytes[b] = static_cast<uint8_t>(i * 7 + b + 1);
    for (int b = 0; b < 8; ++b) s.span_id.bytes[b] = static_cast<uint8_t>(i * 3 + b + 1);
    if (i % 4) s.parent.bytes[0] = 1;
    s.name = "GET /api/v1/orders/{id}";  // ~20 chars
    s.route = "/api/v1/orders/{id}";
    s.start = 1795479849352000000ull + i * 1000;
    s.end = s.start + 250000 + i;
    s.status_code = i % 50 ? 200 : 500;
  }
  return spans;
}

std::string EncodeBatch(TraceRequestBuilder& b, const std::vector<SdkSpan>& spans) {
  for (const SdkSpan& s : spans) {
    const KeyValueView attrs[] = {
        {"http.request.method", AnyValueView::String("GET")},
        {"http.route", AnyValueView::String(s.route)},
        {"http.response.status_code", AnyValueView::Int(s.status_code)},
        {"server.address", AnyValueView::String("checkout.internal")},
        {"request_id", AnyValueView::String("7f3a9c12e4b5")},
    };
    SpanView v;
    v.trace_id = s.trace_id;
    v.span_id = s.span_id;
    v.parent_span_id = s.parent;
    v.name = s.name;
    v.kind = SpanKind::kServer;
    v.start_time_unix_nano = s.start;
    v.end_time_unix_nano = s.end;
    v.attributes = attrs;
    v.flags = 0x101;
    if (s.status_code >= 500) v.status.code = SpanStatusCode::kError;
    b.AddSpan(v);
  }
  return b.Finish();
}

void BM_EncodeSpansStreaming(benchmark::State& state) {
  std::vector<SdkSpan> spans = MakeSpans();
  TraceRequestBuilder b(kResource, "quartet", "0.1.0");
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out = EncodeBatch(b, spans);
    bytes += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);  // items/s = spans/s
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_EncodeSpansStreaming);

void BM_DecodeTraces(benchmark::State& state) {
  TraceRequestBuilder b(kResource, "quartet", "0.1.0");
  std::string body = EncodeBatch(b, MakeSpans());
  for (auto _ : state) {
    auto req = DecodeTraces(body);
    if (!req.ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(req);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["request_bytes"] = static_cast<double>(body.size());
}
BENCHMARK(BM_DecodeTraces);

// The zero-copy Reader alone, walking every nested message: the floor under
// any decoder built on it.
size_t WalkAll(protobuf::Reader& r) {
  size_t n = 0;
  protobuf::Field f;
  while (r.Next(&f)) {
    ++n;
    if (f.type == protobuf::WireType::kLengthDelimited && f.bytes.size() > 1 &&
        static_cast<uint8_t>(f.bytes[0]) == 0x0a) {
      auto child = r.Message(f);
      if (child.ok()) n += WalkAll(*child);
    }
  }
  return n;
}

void BM_ReaderWalk(benchmark::State& state) {
  TraceRequestBuilder b(kResource, "quartet", "0.1.0");
  std::string body = EncodeBatch(b, MakeSpans());
  for (auto _ : state) {
    protobuf::Reader r(body);
    benchmark::DoNotOptimize(WalkAll(r));
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}
BENCHMARK(BM_ReaderWalk);

// A trace id and a span id from hex, as ingest does for every JSON log line
// that carries them (server/ingest/trace_link.cc).
void BM_HexDecodeIds(benchmark::State& state) {
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736", span = "00f067aa0ba902b7";
  uint8_t out[16];
  for (auto _ : state) {
    benchmark::DoNotOptimize(HexDecode(trace, out, 16));
    benchmark::DoNotOptimize(HexDecode(span, out, 8));
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HexDecodeIds);

}  // namespace

BENCHMARK_MAIN();
