// LogSource: how the LogQL evaluator reads log entries. The store implements
// it; the evaluator (evaluator.h) calls it. Implementations must be safe to
// call from several queries at once.
//
// Contract of Scan:
//   - deliver only entries of streams whose labels match ALL `matchers`
//     (a missing label matches as ""), with start_ns <= ts < end_ns;
//   - deliver them in global time order across streams: ascending for
//     kForward, descending for kBackward (ties in any order). The evaluator
//     relies on this to stop early once `limit` entries are collected;
//   - stop as soon as fn returns false, and then return OK;
//   - `line_filters` are the query's leading line filters. A store MAY use
//     them to skip data that cannot match (e.g. a block's bloom filter or
//     LineFilter::Matches on each line) and MAY deliver entries they reject;
//     the evaluator re-applies them either way;
//   - stream_labels are sorted by name; structured_metadata is the entry's
//     metadata (any order). Views are valid only during the callback.
//   - an error (I/O, corruption) is returned as a non-OK Status and ends the
//     query with that status.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "server/query/logql/ast.h"

namespace quartet::logql {

enum class Direction { kForward, kBackward };

using EntryFn = std::function<bool(const Labels& stream_labels, int64_t ts_ns,
                                   std::string_view line, const Labels& structured_metadata)>;

class LogSource {
 public:
  virtual ~LogSource() = default;
  virtual Status Scan(const std::vector<LabelMatcher>& matchers,
                      const std::vector<LineFilter>& line_filters, int64_t start_ns, int64_t end_ns,
                      Direction dir, const EntryFn& fn) = 0;
};

}  // namespace quartet::logql
