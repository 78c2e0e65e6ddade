// Test helpers for sdk/trace: a provider wired to an in-memory exporter.
#pragma once

#include <chrono>
#include <memory>
#include <string_view>
#include <variant>

#include "sdk/trace/tracer_provider.h"

namespace quartet::trace_internal {

struct TestProvider {
  explicit TestProvider(SamplerConfig sampler = {SamplerKind::kAlwaysOn, 1.0, {}}) {
    auto exp = std::make_unique<InMemorySpanExporter>();
    exporter = exp.get();
    TracerProviderOptions options;
    options.sampler = std::move(sampler);
    options.exporter = std::move(exp);
    options.batch.schedule_delay = std::chrono::milliseconds(10);
    provider = std::make_unique<TracerProvider>(std::move(options));
  }
  std::vector<SpanRecord> Flush() {
    EXPECT_TRUE(provider->ForceFlush(std::chrono::seconds(5)));
    return exporter->spans();
  }
  class Tracer& tracer() {
    return provider->tracer();
  }

  InMemorySpanExporter* exporter;  // owned by provider
  std::unique_ptr<TracerProvider> provider;
};

inline const OwnedValue* FindAttr(const std::vector<KeyValue>& attrs, std::string_view key) {
  for (const auto& kv : attrs) {
    if (kv.key == key) return &kv.value;
  }
  return nullptr;
}

}  // namespace quartet::trace_internal
