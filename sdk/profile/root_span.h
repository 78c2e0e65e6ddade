// The link from traces to profiles, Pyroscope's convention: while the
// profiler runs, a root span (no parent, or a remote one: the first span of
// the request in this process) records the attribute `pyroscope.profile.id`
// holding its own span id, the id the CPU samples of that request carry as
// label span_id. The tracer reads the flag when it starts a span; header-only
// so sdk/trace needs no link dependency on the profiler.
//
// Thread-safety: a lock-free atomic.
#pragma once

#include <atomic>

namespace quartet::profile_internal {

inline constexpr char kProfileIdAttribute[] = "pyroscope.profile.id";

// Set by the profiler while it runs with span labels on.
inline std::atomic<bool> g_tag_root_spans{false};

inline bool TagRootSpans() noexcept { return g_tag_root_spans.load(std::memory_order_relaxed); }

}  // namespace quartet::profile_internal
