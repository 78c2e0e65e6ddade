// Head sampling: which new spans are recorded and exported. Supports the
// OTEL_TRACES_SAMPLER names always_on, always_off, traceidratio and
// parentbased_{always_on,always_off,traceidratio}, plus "always sampled
// routes": a root or server span whose http.route (given at StartSpan) is in
// the set is kept whatever the sampler says, so rare but important endpoints
// are never starved by a low ratio.
//
// traceidratio decides from the trace id alone (bytes 8-15 big-endian, top 63
// bits, compared with ratio * 2^63, as the OpenTelemetry Go and Java SDKs do),
// so every service using the same ratio keeps the same traces.
//
// Immutable after construction; ShouldSample is thread-safe and lock-free.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "quartet/trace.h"

namespace quartet::trace_internal {

enum class SamplerKind {
  kAlwaysOn,
  kAlwaysOff,
  kTraceIdRatio,
  kParentBasedAlwaysOn,
  kParentBasedAlwaysOff,
  kParentBasedTraceIdRatio,
};

struct SamplerConfig {
  SamplerKind kind = SamplerKind::kParentBasedAlwaysOn;
  double ratio = 1.0;  // for the traceidratio kinds, in [0, 1]
  std::vector<std::string> always_sampled_routes;
};

// Builds a config from OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG values.
// An empty name means the default (parentbased_always_on); an empty arg for
// a ratio sampler means 1.0. Unknown names and bad ratios are errors.
Result<SamplerConfig> ParseSamplerConfig(std::string_view name, std::string_view arg);

std::string_view SamplerName(SamplerKind kind);

class Sampler {
 public:
  explicit Sampler(SamplerConfig config);

  // `parent` is null for a root span. Returns true to record and sample.
  bool ShouldSample(const SpanContext* parent, const TraceId& trace_id, SpanKind kind,
                    std::initializer_list<Attribute> attributes) const noexcept;

  const SamplerConfig& config() const { return config_; }

 private:
  bool RatioDecision(const TraceId& trace_id) const noexcept;
  bool RouteForced(std::initializer_list<Attribute> attributes) const noexcept;

  SamplerConfig config_;
  uint64_t threshold_ = 0;  // sample when (id >> 1) < threshold_
  bool ratio_always_ = false;
  std::set<std::string, std::less<>> routes_;
};

}  // namespace quartet::trace_internal
