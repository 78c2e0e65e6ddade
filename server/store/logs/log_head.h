// LogHead: the in-memory part of the log table — streams (label sets) and
// their entries, not yet written to a block. Each stream keeps its entries'
// indexes sorted by time (late entries are inserted in place), so a scan is
// a k-way merge over binary-searched stream ranges; a trace index maps each
// trace id to its entries, so the logs of a trace need no scan at all.
//
// Thread-safety: none; LogTable serialises writers and readers. Streams and
// entries never move or change once added (deques), so a reader may keep
// pointers to them (LogEntry*, the labels) after the table lock is released,
// as long as it keeps the head itself alive.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "server/store/interface.h"
#include "server/store/label_match.h"
#include "server/store/logs/log_trace_index.h"
#include "wire/loki/label_set.h"

namespace quartet::store {

class LogHead {
 public:
  // Adds the entries of `streams` (labels must be sorted and non-empty).
  int64_t Add(std::vector<LogStream> streams);

  // Delivers entries of the streams `matchers` accept, in [range), merged in
  // time order per `direction`, until fn returns false.
  void Scan(const CompiledMatchers& matchers, const TimeRange& range, Direction direction,
            const std::function<bool(const LogRow&)>& fn) const;
  // Delivers the entries carrying `trace_id` (and `span_id` when valid) in
  // time order.
  void ScanTrace(const TraceId& trace_id, const SpanId& span_id,
                 const std::function<bool(const LogRow&)>& fn) const;
  // Number of entries carrying `trace_id`.
  int64_t CountTrace(const TraceId& trace_id) const;

  // Calls fn with the labels of every stream that has entries in `range`.
  void ForEachStream(const TimeRange& range, const std::function<void(const Labels&)>& fn) const;

  // Pull-style access for the table's cross-source merge and block writer.
  // Streams `matchers` accept with entries in `range`, and the [lo, hi)
  // slice of their time-sorted entry indexes inside the range.
  struct StreamSlice {
    const Labels* labels;
    const std::vector<uint32_t>* by_time;
    size_t lo, hi;
  };
  std::vector<StreamSlice> Slices(const CompiledMatchers& matchers, const TimeRange& range) const;
  // Every stream in label-text order with its time-sorted entry indexes.
  void ForEachStreamSorted(
      const std::function<void(const Labels&, const std::vector<uint32_t>&)>& fn) const;
  const LogEntry& entry(uint32_t index) const { return entries_[index].entry; }
  LogRow RowOf(uint32_t index) const;

  int64_t entry_count() const { return static_cast<int64_t>(entries_.size()); }
  size_t stream_count() const { return streams_.size(); }
  // How many distinct label sets of `streams` the head does not hold yet.
  size_t CountNewStreams(const std::vector<LogStream>& streams) const;
  int64_t min_time_ns() const { return min_time_ns_; }
  int64_t max_time_ns() const { return max_time_ns_; }
  size_t bytes() const { return bytes_; }

 private:
  struct Entry {
    uint32_t stream;
    LogEntry entry;
  };
  struct Stream {
    Labels labels;
    std::vector<uint32_t> by_time;  // indexes into entries_, sorted by timestamp
    int64_t min_time_ns = INT64_MAX;
    int64_t max_time_ns = INT64_MIN;
  };

  std::deque<Stream> streams_;
  std::map<std::string, uint32_t> stream_index_;  // loki::FormatLabelSet(labels) -> streams_ index
  std::deque<Entry> entries_;
  LogTraceIndex by_trace_;
  int64_t min_time_ns_ = INT64_MAX;
  int64_t max_time_ns_ = INT64_MIN;
  size_t bytes_ = 0;
};

}  // namespace quartet::store
