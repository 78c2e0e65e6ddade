#include "server/store/logs/log_head.h"

#include <algorithm>
#include <queue>
#include <set>

namespace quartet::store {
namespace {

size_t LabelsBytes(const Labels& labels) {
  size_t n = labels.capacity() * sizeof(labels[0]);
  for (const auto& [k, v] : labels) n += k.size() + v.size();
  return n;
}

}  // namespace

size_t LogHead::CountNewStreams(const std::vector<LogStream>& streams) const {
  std::set<std::string> fresh;
  for (const LogStream& stream : streams) {
    std::string key = loki::FormatLabelSet(stream.labels);
    if (stream_index_.count(key) == 0) fresh.insert(std::move(key));
  }
  return fresh.size();
}

int64_t LogHead::Add(std::vector<LogStream> streams) {
  int64_t added = 0;
  const size_t index_bytes = by_trace_.bytes();
  for (LogStream& in : streams) {
    std::string key = loki::FormatLabelSet(in.labels);
    auto [it, inserted] = stream_index_.try_emplace(std::move(key), streams_.size());
    if (inserted) {
      bytes_ += it->first.size() + LabelsBytes(in.labels) + sizeof(Stream);
      streams_.push_back(Stream{.labels = std::move(in.labels)});
    }
    const uint32_t stream_id = it->second;
    Stream& stream = streams_[stream_id];
    constexpr size_t kPrefetchAhead = 8;
    for (size_t e = 0; e < in.entries.size(); ++e) {
      if (e + kPrefetchAhead < in.entries.size()) {
        const TraceId& ahead = in.entries[e + kPrefetchAhead].trace_id;
        if (ahead.valid()) by_trace_.Prefetch(ahead);
      }
      LogEntry& entry = in.entries[e];
      const auto index = static_cast<uint32_t>(entries_.size());
      const int64_t ts = entry.timestamp_ns;
      bytes_ += sizeof(Entry) + entry.line.capacity() + LabelsBytes(entry.structured_metadata) +
                sizeof(uint32_t);
      if (entry.trace_id.valid()) by_trace_.Add(entry.trace_id, index);
      entries_.push_back(Entry{stream_id, std::move(entry)});
      // Entries mostly arrive in order: append; a late one is inserted after
      // the entries with the same or an earlier timestamp.
      if (stream.by_time.empty() || entries_[stream.by_time.back()].entry.timestamp_ns <= ts) {
        stream.by_time.push_back(index);
      } else {
        auto at = std::upper_bound(
            stream.by_time.begin(), stream.by_time.end(), ts,
            [&](int64_t t, uint32_t i) { return t < entries_[i].entry.timestamp_ns; });
        stream.by_time.insert(at, index);
      }
      stream.min_time_ns = std::min(stream.min_time_ns, ts);
      stream.max_time_ns = std::max(stream.max_time_ns, ts);
      min_time_ns_ = std::min(min_time_ns_, ts);
      max_time_ns_ = std::max(max_time_ns_, ts);
      ++added;
    }
  }
  bytes_ += by_trace_.bytes() - index_bytes;
  return added;
}

LogRow LogHead::RowOf(uint32_t index) const {
  const Entry& e = entries_[index];
  return LogRow{.stream = &streams_[e.stream].labels,
                .timestamp_ns = e.entry.timestamp_ns,
                .line = e.entry.line,
                .structured_metadata = &e.entry.structured_metadata,
                .trace_id = e.entry.trace_id,
                .span_id = e.entry.span_id};
}

void LogHead::Scan(const CompiledMatchers& matchers, const TimeRange& range, Direction direction,
                   const std::function<bool(const LogRow&)>& fn) const {
  struct Cursor {
    const std::vector<uint32_t>* order;
    size_t next;  // forward: next to deliver; backward: one past it
    size_t end;   // forward: one past the last; backward: the first
  };
  std::vector<Cursor> cursors;
  auto ts_of = [&](uint32_t i) { return entries_[i].entry.timestamp_ns; };
  for (const Stream& stream : streams_) {
    if (!range.Overlaps(stream.min_time_ns, stream.max_time_ns)) continue;
    if (!matchers.Matches(stream.labels)) continue;
    const auto& order = stream.by_time;
    const size_t lo = std::lower_bound(order.begin(), order.end(), range.start_ns,
                                       [&](uint32_t i, int64_t t) { return ts_of(i) < t; }) -
                      order.begin();
    const size_t hi = std::lower_bound(order.begin(), order.end(), range.end_ns,
                                       [&](uint32_t i, int64_t t) { return ts_of(i) < t; }) -
                      order.begin();
    if (lo >= hi) continue;
    if (direction == Direction::kForward) {
      cursors.push_back(Cursor{&order, lo, hi});
    } else {
      cursors.push_back(Cursor{&order, hi, lo});
    }
  }
  const bool forward = direction == Direction::kForward;
  auto head_ts = [&](size_t c) {
    const Cursor& cur = cursors[c];
    return ts_of((*cur.order)[forward ? cur.next : cur.next - 1]);
  };
  // Heap of cursor indexes; the top is the next entry in the scan order.
  auto later = [&](size_t a, size_t b) {
    const int64_t ta = head_ts(a), tb = head_ts(b);
    if (ta != tb) return forward ? ta > tb : ta < tb;
    return a > b;
  };
  std::priority_queue<size_t, std::vector<size_t>, decltype(later)> heap(later);
  for (size_t c = 0; c < cursors.size(); ++c) heap.push(c);
  while (!heap.empty()) {
    const size_t c = heap.top();
    heap.pop();
    Cursor& cur = cursors[c];
    const uint32_t index = forward ? (*cur.order)[cur.next++] : (*cur.order)[--cur.next];
    if (!fn(RowOf(index))) return;
    if (forward ? cur.next < cur.end : cur.next > cur.end) heap.push(c);
  }
}

std::vector<LogHead::StreamSlice> LogHead::Slices(const CompiledMatchers& matchers,
                                                  const TimeRange& range) const {
  std::vector<StreamSlice> out;
  auto before = [&](uint32_t i, int64_t t) { return entries_[i].entry.timestamp_ns < t; };
  for (const Stream& stream : streams_) {
    if (!range.Overlaps(stream.min_time_ns, stream.max_time_ns)) continue;
    if (!matchers.Matches(stream.labels)) continue;
    const auto& order = stream.by_time;
    const size_t lo =
        std::lower_bound(order.begin(), order.end(), range.start_ns, before) - order.begin();
    const size_t hi =
        std::lower_bound(order.begin(), order.end(), range.end_ns, before) - order.begin();
    if (lo < hi) out.push_back(StreamSlice{&stream.labels, &order, lo, hi});
  }
  return out;
}

void LogHead::ForEachStreamSorted(
    const std::function<void(const Labels&, const std::vector<uint32_t>&)>& fn) const {
  for (const auto& [key, id] : stream_index_) fn(streams_[id].labels, streams_[id].by_time);
}

void LogHead::ScanTrace(const TraceId& trace_id, const SpanId& span_id,
                        const std::function<bool(const LogRow&)>& fn) const {
  std::vector<uint32_t> order = by_trace_.Entries(trace_id);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return entries_[a].entry.timestamp_ns < entries_[b].entry.timestamp_ns;
  });
  for (uint32_t index : order) {
    if (span_id.valid() && entries_[index].entry.span_id != span_id) continue;
    if (!fn(RowOf(index))) return;
  }
}

int64_t LogHead::CountTrace(const TraceId& trace_id) const { return by_trace_.Count(trace_id); }

void LogHead::ForEachStream(const TimeRange& range,
                            const std::function<void(const Labels&)>& fn) const {
  for (const Stream& stream : streams_) {
    if (range.Overlaps(stream.min_time_ns, stream.max_time_ns)) fn(stream.labels);
  }
}

}  // namespace quartet::store
