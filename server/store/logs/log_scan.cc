#include "server/store/logs/log_scan.h"

#include <algorithm>
#include <queue>

namespace quartet::store {
namespace {

bool ContainsAll(std::string_view line, std::span<const std::string> needles) {
  for (const std::string& n : needles) {
    if (line.find(n) == std::string_view::npos) return false;
  }
  return true;
}

class HeadCursor final : public LogCursor {
 public:
  HeadCursor(std::shared_ptr<const LogHead> head, const LogHead::StreamSlice& slice, bool forward,
             std::span<const std::string> needles)
      : head_(std::move(head)), labels_(slice.labels), forward_(forward), needles_(needles) {
    rows_.reserve(slice.hi - slice.lo);
    for (size_t i = slice.lo; i < slice.hi; ++i)
      rows_.push_back(&head_->entry((*slice.by_time)[i]));
    next_ = forward ? 0 : rows_.size();
    end_ = forward ? rows_.size() : 0;
    Settle();
  }
  bool Valid() const override { return forward_ ? next_ < end_ : next_ > end_; }
  int64_t timestamp() const override { return Current().timestamp_ns; }
  bool Row(LogRow* row) override {
    const LogEntry& e = Current();
    *row = LogRow{.stream = labels_,
                  .timestamp_ns = e.timestamp_ns,
                  .line = e.line,
                  .structured_metadata = &e.structured_metadata,
                  .trace_id = e.trace_id,
                  .span_id = e.span_id};
    return true;
  }
  void Next() override {
    forward_ ? ++next_ : --next_;
    Settle();
  }

 private:
  const LogEntry& Current() const { return *rows_[forward_ ? next_ : next_ - 1]; }
  // Moves past rows that lack a needle.
  void Settle() {
    if (needles_.empty()) return;
    while (Valid() && !ContainsAll(Current().line, needles_)) forward_ ? ++next_ : --next_;
  }

  std::shared_ptr<const LogHead> head_;  // keeps rows_ and labels_ alive
  const Labels* labels_;
  std::vector<const LogEntry*> rows_;  // the slice, in time order
  const bool forward_;
  std::span<const std::string> needles_;
  size_t next_, end_;  // forward: next to deliver, one past the last; backward: one past it, first
};

class BlockCursor final : public LogCursor {
 public:
  BlockCursor(std::shared_ptr<const LogBlock> block, uint32_t stream,
              std::span<const LogBlockRun> runs, const TimeRange& range, bool forward,
              std::span<const std::string> needles, LogPageCache* pages,
              const BlockDamageFn& on_damage)
      : block_(std::move(block)),
        stream_(stream),
        runs_(runs),
        range_(range),
        forward_(forward),
        needles_(needles),
        pages_(pages),
        on_damage_(on_damage) {
    next_run_ = forward ? 0 : runs_.size();
    LoadNextRun();
  }
  bool Valid() const override { return page_ != nullptr; }
  int64_t timestamp() const override { return page_->timestamp(CurrentRow()); }
  bool Row(LogRow* row) override {
    const uint32_t r = CurrentRow();
    Status s = page_->Metadata(r, &metadata_);
    Result<std::pair<TraceId, SpanId>> ids =
        s.ok() ? page_->Ids(r) : Result<std::pair<TraceId, SpanId>>(s);
    if (!ids.ok()) {
      Fail(ids.status());
      return false;
    }
    *row = LogRow{.stream = &block_->streams()[stream_].labels,
                  .timestamp_ns = page_->timestamp(r),
                  .line = page_->line(r),
                  .structured_metadata = &metadata_,
                  .trace_id = ids->first,
                  .span_id = ids->second};
    return true;
  }
  void Next() override {
    if (++pos_ >= count_) LoadNextRun();
  }

 private:
  // Positions count up in both directions; the row order flips.
  uint32_t CurrentRow() const {
    const size_t i = forward_ ? pos_ : count_ - 1 - pos_;
    return selected_.empty() ? static_cast<uint32_t>(lo_ + i) : selected_[i];
  }
  void Fail(const Status& status) {
    on_damage_(*block_, status);
    page_.reset();
    next_run_ = forward_ ? runs_.size() : 0;
  }
  void LoadNextRun() {
    page_.reset();
    while (forward_ ? next_run_ < runs_.size() : next_run_ > 0) {
      const LogBlockRun& run = runs_[forward_ ? next_run_++ : --next_run_];
      if (!range_.Overlaps(run.min_time_ns, run.max_time_ns)) continue;
      Result<std::shared_ptr<const LogPage>> page = pages_->Get(*block_, run.page);
      if (!page.ok()) return Fail(page.status());
      const LogPage& p = **page;
      // Rows of the run inside the range (the run is sorted by time).
      uint32_t lo = run.first, hi = run.first + run.rows;
      auto ts_before = [&](uint32_t i, int64_t t) { return p.timestamp(i) < t; };
      std::vector<uint32_t> index(0);
      if (run.min_time_ns < range_.start_ns || run.max_time_ns >= range_.end_ns) {
        uint32_t a = lo, b = hi;
        while (a < b) {  // first row >= start
          uint32_t m = a + (b - a) / 2;
          ts_before(m, range_.start_ns) ? a = m + 1 : b = m;
        }
        const uint32_t first = a;
        b = hi;
        while (a < b) {  // first row >= end
          uint32_t m = a + (b - a) / 2;
          ts_before(m, range_.end_ns) ? a = m + 1 : b = m;
        }
        lo = first;
        hi = a;
      }
      if (lo >= hi) continue;
      selected_.clear();
      if (!needles_.empty()) {
        selected_ = p.RowsContaining(lo, hi, needles_);
        if (selected_.empty()) continue;
        count_ = selected_.size();
      } else {
        count_ = hi - lo;
      }
      lo_ = lo;
      pos_ = 0;
      page_ = std::move(*page);
      return;
    }
  }

  std::shared_ptr<const LogBlock> block_;
  const uint32_t stream_;
  std::span<const LogBlockRun> runs_;
  const TimeRange range_;
  const bool forward_;
  std::span<const std::string> needles_;
  LogPageCache* pages_;
  const BlockDamageFn& on_damage_;
  size_t next_run_ = 0;
  std::shared_ptr<const LogPage> page_;  // null when exhausted
  uint32_t lo_ = 0;
  std::vector<uint32_t> selected_;  // with needles: the matching rows of the run
  size_t count_ = 0, pos_ = 0;
  Labels metadata_;
};

}  // namespace

Result<std::shared_ptr<const LogPage>> LogPageCache::Get(const LogBlock& block, uint32_t page) {
  std::weak_ptr<const LogPage>& slot = pages_[{&block, page}];
  if (std::shared_ptr<const LogPage> p = slot.lock()) return p;
  ASSIGN_OR_RETURN(std::shared_ptr<const LogPage> p, block.ReadPage(page));
  ++pages_decoded_;
  slot = p;
  return p;
}

void AddHeadCursors(std::shared_ptr<const LogHead> head, const CompiledMatchers& matchers,
                    const TimeRange& range, Direction direction,
                    std::span<const std::string> needles,
                    std::vector<std::unique_ptr<LogCursor>>* out) {
  for (const LogHead::StreamSlice& slice : head->Slices(matchers, range)) {
    auto c = std::make_unique<HeadCursor>(head, slice, direction == Direction::kForward, needles);
    if (c->Valid()) out->push_back(std::move(c));
  }
}

void AddBlockCursors(std::shared_ptr<const LogBlock> block, const CompiledMatchers& matchers,
                     const TimeRange& range, Direction direction,
                     std::span<const std::string> needles, LogPageCache* pages,
                     const BlockDamageFn& on_damage, std::vector<std::unique_ptr<LogCursor>>* out) {
  if (!range.Overlaps(block->meta().min_time_ns, block->meta().max_time_ns)) return;
  const auto& streams = block->streams();
  for (uint32_t s = 0; s < streams.size(); ++s) {
    if (!range.Overlaps(streams[s].min_time_ns, streams[s].max_time_ns)) continue;
    if (!matchers.Matches(streams[s].labels)) continue;
    auto c =
        std::make_unique<BlockCursor>(block, s, block->RunsOf(s), range,
                                      direction == Direction::kForward, needles, pages, on_damage);
    if (c->Valid()) out->push_back(std::move(c));
  }
}

void MergeCursors(std::vector<std::unique_ptr<LogCursor>> cursors, Direction direction,
                  const std::function<bool(const LogRow&)>& fn) {
  const bool forward = direction == Direction::kForward;
  std::vector<int64_t> ts(cursors.size());
  auto later = [&](size_t a, size_t b) {
    if (ts[a] != ts[b]) return forward ? ts[a] > ts[b] : ts[a] < ts[b];
    return a > b;
  };
  std::priority_queue<size_t, std::vector<size_t>, decltype(later)> heap(later);
  for (size_t c = 0; c < cursors.size(); ++c) {
    if (!cursors[c]->Valid()) continue;
    ts[c] = cursors[c]->timestamp();
    heap.push(c);
  }
  LogRow row;
  while (!heap.empty()) {
    const size_t c = heap.top();
    heap.pop();
    LogCursor& cur = *cursors[c];
    if (!cur.Row(&row)) continue;  // damaged: reported by the cursor, which stopped
    if (!fn(row)) return;
    cur.Next();
    if (cur.Valid()) {
      ts[c] = cur.timestamp();
      heap.push(c);
    }
  }
}

}  // namespace quartet::store
