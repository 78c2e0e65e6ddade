// Evaluation of parsed LogQL (parser.h) over a LogSource (log_source.h):
//   - EvaluateLogs: a log query -> streams of entries, grouped by each entry's
//     final label set (after parsers, label_format, drop/keep, metadata);
//   - EvaluateRange / EvaluateInstant: a metric query -> series, with the
//     Prometheus range-query semantics Loki uses: the point at step t covers
//     the entries in (t - range - offset, t - offset]; a step with no entries
//     has no point (absent_over_time is the exception).
// A metric query whose series still carry __error__ fails with Loki's
// "pipeline error" message (filter with `| __error__=""`). Bounds: at most
// EvalLimits::max_points points per series (Loki's 11000), max_series series
// and max_samples buffered samples -> ResourceExhausted. Stateless functions;
// safe to call concurrently (each call builds its own pipelines).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "server/query/logql/ast.h"
#include "server/query/logql/log_source.h"

namespace quartet::logql {

struct Stream {
  Labels labels;
  std::vector<std::pair<int64_t, std::string>> entries;  // (ts_ns, line), in query direction
};

struct Series {
  Labels labels;
  std::vector<std::pair<int64_t, double>> points;  // (ts_ns, value), ascending
};

struct EvalLimits {
  size_t max_entries = 5000;        // largest accepted `limit` (Loki's max_entries_limit_per_query)
  size_t max_points = 11000;        // per series: (end - start) / step + 1
  size_t max_series = 10000;        // series alive at any stage of a metric query
  size_t max_samples = 20'000'000;  // samples buffered by range aggregations (16 bytes each)
};

// Loki semantics: `limit` (1..max_entries) entries in total, the oldest ones
// for kForward and the newest for kBackward, within [start_ns, end_ns).
// Streams are sorted by labels; each stream's entries follow `dir`.
// InvalidArgument for a metric query or a bad limit.
Result<std::vector<Stream>> EvaluateLogs(const Expr& expr, LogSource& source, int64_t start_ns,
                                         int64_t end_ns, size_t limit, Direction dir,
                                         const EvalLimits& limits = {});

// Points at start_ns, start_ns + step_ns, ... <= end_ns. Series are sorted by
// labels. InvalidArgument for a log query, step_ns <= 0, end before start or
// too many points.
Result<std::vector<Series>> EvaluateRange(const Expr& expr, LogSource& source, int64_t start_ns,
                                          int64_t end_ns, int64_t step_ns,
                                          const EvalLimits& limits = {});

// One point per series, at time_ns.
Result<std::vector<Series>> EvaluateInstant(const Expr& expr, LogSource& source, int64_t time_ns,
                                            const EvalLimits& limits = {});

// True when the query yields series (a metric query) rather than streams.
inline bool IsMetricQuery(const Expr& expr) { return std::holds_alternative<MetricPtr>(expr); }

// `{a="b", c="d"}`: labels as Loki prints them in messages.
std::string LabelsToString(const Labels& labels);

}  // namespace quartet::logql
