#include "sdk/trace/sampler.h"

#include <charconv>
#include <cmath>

namespace quartet::trace_internal {

std::string_view SamplerName(SamplerKind kind) {
  switch (kind) {
    case SamplerKind::kAlwaysOn:
      return "always_on";
    case SamplerKind::kAlwaysOff:
      return "always_off";
    case SamplerKind::kTraceIdRatio:
      return "traceidratio";
    case SamplerKind::kParentBasedAlwaysOn:
      return "parentbased_always_on";
    case SamplerKind::kParentBasedAlwaysOff:
      return "parentbased_always_off";
    case SamplerKind::kParentBasedTraceIdRatio:
      return "parentbased_traceidratio";
  }
  return "unknown";
}

Result<SamplerConfig> ParseSamplerConfig(std::string_view name, std::string_view arg) {
  SamplerConfig config;
  if (name.empty()) return config;
  bool found = false;
  for (SamplerKind kind :
       {SamplerKind::kAlwaysOn, SamplerKind::kAlwaysOff, SamplerKind::kTraceIdRatio,
        SamplerKind::kParentBasedAlwaysOn, SamplerKind::kParentBasedAlwaysOff,
        SamplerKind::kParentBasedTraceIdRatio}) {
    if (SamplerName(kind) == name) {
      config.kind = kind;
      found = true;
    }
  }
  if (!found) return Status::InvalidArgument("unknown sampler \"" + std::string(name) + "\"");
  if (config.kind == SamplerKind::kTraceIdRatio ||
      config.kind == SamplerKind::kParentBasedTraceIdRatio) {
    if (!arg.empty()) {
      double ratio = 0;
      auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), ratio);
      if (ec != std::errc() || end != arg.data() + arg.size() || !(ratio >= 0 && ratio <= 1)) {
        return Status::InvalidArgument("sampler ratio must be a number in [0, 1], got \"" +
                                       std::string(arg) + "\"");
      }
      config.ratio = ratio;
    }
  }
  return config;
}

Sampler::Sampler(SamplerConfig config) : config_(std::move(config)) {
  const double ratio = std::isnan(config_.ratio) ? 0.0 : config_.ratio;
  ratio_always_ = ratio >= 1.0;
  threshold_ = ratio <= 0 ? 0 : static_cast<uint64_t>(ratio * 9223372036854775808.0);  // 2^63
  routes_.insert(config_.always_sampled_routes.begin(), config_.always_sampled_routes.end());
}

bool Sampler::RatioDecision(const TraceId& trace_id) const noexcept {
  if (ratio_always_) return true;
  uint64_t x = 0;
  for (int i = 8; i < 16; ++i) x = (x << 8) | trace_id.bytes[i];
  return (x >> 1) < threshold_;
}

bool Sampler::RouteForced(std::initializer_list<Attribute> attributes) const noexcept {
  for (const Attribute& a : attributes) {
    if (a.key == "http.route" && a.value.type() == AttributeValue::Type::kString) {
      return routes_.find(a.value.string_value()) != routes_.end();
    }
  }
  return false;
}

bool Sampler::ShouldSample(const SpanContext* parent, const TraceId& trace_id, SpanKind kind,
                           std::initializer_list<Attribute> attributes) const noexcept {
  if (!routes_.empty() && (parent == nullptr || kind == SpanKind::kServer) &&
      RouteForced(attributes)) {
    return true;
  }
  switch (config_.kind) {
    case SamplerKind::kAlwaysOn:
      return true;
    case SamplerKind::kAlwaysOff:
      return false;
    case SamplerKind::kTraceIdRatio:
      return RatioDecision(trace_id);
    case SamplerKind::kParentBasedAlwaysOn:
      // Remote and local parents follow their sampled flag (the spec's
      // default delegates for all four parent cases).
      return parent == nullptr ? true : parent->sampled();
    case SamplerKind::kParentBasedAlwaysOff:
      return parent == nullptr ? false : parent->sampled();
    case SamplerKind::kParentBasedTraceIdRatio:
      return parent == nullptr ? RatioDecision(trace_id) : parent->sampled();
  }
  return false;
}

}  // namespace quartet::trace_internal
