// Process metrics read from /proc/self at scrape time, named as the
// Prometheus Go client names them (process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes,
// process_virtual_memory_max_bytes, process_open_fds, process_max_fds,
// process_start_time_seconds). The thread count has no client_golang name,
// so it is quartet_process_threads.
//
// Thread-safety: thread-safe; each call reads /proc afresh.
#pragma once

#include <vector>

#include "wire/prometheus/text_format.h"

namespace quartet::metrics_internal {

// Appends the families it can read; a missing /proc file skips its family.
void AppendProcessFamilies(std::vector<prometheus::Family>* out);

}  // namespace quartet::metrics_internal
