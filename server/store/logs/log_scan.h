// The log table's lazy cross-source scan: one cursor per (source, stream) —
// a head stream's time-sorted slice, or a block stream's runs, whose pages
// are decoded only when the cursor reaches them — merged with a heap in
// global time order, so a scan that stops after `limit` rows decodes only
// the pages those rows came from. Cursors skip rows that lack a required
// substring themselves (a whole run at a time for blocks).
//
// Thread-safety: a scan and its cursors belong to one thread. Head cursors
// are made under the table's shared lock and copy the time order of their
// slice (pointers to the head's immutable entries) and keep the head alive,
// so the merge itself runs without the lock, while appends go on; block
// cursors read immutable blocks.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "server/store/interface.h"
#include "server/store/logs/log_block.h"
#include "server/store/logs/log_head.h"

namespace quartet::store {

class LogCursor {
 public:
  virtual ~LogCursor() = default;
  // False once the cursor is exhausted (or its source failed).
  virtual bool Valid() const = 0;
  virtual int64_t timestamp() const = 0;
  // The current row; valid until the next call on this cursor. False when
  // the row could not be read (the cursor is then no longer Valid).
  virtual bool Row(LogRow* row) = 0;
  virtual void Next() = 0;
};

// Where a block cursor reports a damaged block (then it stops).
using BlockDamageFn = std::function<void(const LogBlock&, const Status&)>;

// Decoded pages shared by the cursors of one scan (several streams share a
// page); a page is freed when no cursor holds it any more.
class LogPageCache {
 public:
  Result<std::shared_ptr<const LogPage>> Get(const LogBlock& block, uint32_t page);
  uint64_t pages_decoded() const { return pages_decoded_; }

 private:
  std::map<std::pair<const LogBlock*, uint32_t>, std::weak_ptr<const LogPage>> pages_;
  uint64_t pages_decoded_ = 0;
};

// Cursors over the head's streams that `matchers` accept in `range`.
// The caller holds the table lock while this runs, not after.
void AddHeadCursors(std::shared_ptr<const LogHead> head, const CompiledMatchers& matchers,
                    const TimeRange& range, Direction direction,
                    std::span<const std::string> needles,
                    std::vector<std::unique_ptr<LogCursor>>* out);

// Cursors over a block's streams that `matchers` accept in `range`.
void AddBlockCursors(std::shared_ptr<const LogBlock> block, const CompiledMatchers& matchers,
                     const TimeRange& range, Direction direction,
                     std::span<const std::string> needles, LogPageCache* pages,
                     const BlockDamageFn& on_damage, std::vector<std::unique_ptr<LogCursor>>* out);

// Delivers the rows of all cursors in time order per `direction` (ties: the
// earlier cursor first) until fn returns false.
void MergeCursors(std::vector<std::unique_ptr<LogCursor>> cursors, Direction direction,
                  const std::function<bool(const LogRow&)>& fn);

}  // namespace quartet::store
