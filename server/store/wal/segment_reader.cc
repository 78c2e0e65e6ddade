#include "server/store/wal/segment_reader.h"

#include <optional>

#include "base/crc32c.h"
#include "server/store/wal/format.h"

namespace quartet::store {
namespace {

using namespace wal_format;  // NOLINT: the format's constants, local to this file

// Walks physical fragments and assembles logical records. A damaged stretch is
// opened at the first byte lost and closed when the next record starts
// cleanly, so adjacent problems are reported once.
class Scanner {
 public:
  Scanner(std::string_view data, uint64_t segment, const WalRecordFn& fn, WalReplayReport* report)
      : data_(data), segment_(segment), fn_(fn), report_(report) {}

  Result<SegmentScan> Run() {
    size_t pos = 0;
    while (pos < data_.size()) {
      size_t leftover = kBlockSize - pos % kBlockSize;
      if (leftover < kHeaderSize) {
        // Block trailer: the writer pads it with zeros; anything else is damage.
        size_t n = std::min(leftover, data_.size() - pos);
        if (data_.substr(pos, n).find_first_not_of('\0') != std::string_view::npos) {
          Lose(pos, "nonzero block trailer");
        }
        pos += n;
        continue;
      }
      if (data_.size() - pos < kHeaderSize) {
        Lose(pos, "truncated fragment header");
        break;
      }
      const char* h = data_.data() + pos;
      uint32_t stored = DecodeFixed32(h);
      size_t length = static_cast<uint8_t>(h[4]) | size_t{static_cast<uint8_t>(h[5])} << 8;
      uint8_t type = static_cast<uint8_t>(h[6]);
      if (type == kZeroType && length == 0 && stored == 0) {
        // Zero-filled space: skip the rest of the block.
        Lose(pos, "zero-filled space");
        pos += leftover;
        continue;
      }
      if (type > kMaxRecordType || type == kZeroType) {
        Lose(pos, "bad fragment type");
        pos += leftover;
        continue;
      }
      if (kHeaderSize + length > leftover) {
        Lose(pos, "fragment length crosses block boundary");
        pos += leftover;
        continue;
      }
      if (pos + kHeaderSize + length > data_.size()) {
        Lose(pos, "truncated fragment");
        break;
      }
      std::string_view payload = data_.substr(pos + kHeaderSize, length);
      uint32_t actual = crc32c::Extend(crc32c::Value(h + 6, 1), payload);
      if (crc32c::Unmask(stored) != actual) {
        // The length may be the damaged field: trust nothing else in this block.
        Lose(pos, "checksum mismatch");
        pos += leftover;
        continue;
      }
      size_t next = pos + kHeaderSize + length;
      switch (type) {
        case kFullType:
          DropPartial("record missing its last fragment");
          StartClean(pos);
          RETURN_IF_ERROR(Deliver(payload, pos));
          break;
        case kFirstType:
          DropPartial("record missing its last fragment");
          StartClean(pos);
          partial_start_ = pos;
          scratch_.assign(payload);
          break;
        case kMiddleType:
          if (!partial_start_) {
            Lose(pos, "fragment without a first fragment");
          } else {
            scratch_.append(payload);
          }
          break;
        case kLastType:
          if (!partial_start_) {
            Lose(pos, "fragment without a first fragment");
          } else {
            scratch_.append(payload);
            size_t start = *partial_start_;
            partial_start_.reset();
            RETURN_IF_ERROR(Deliver(scratch_, start));
          }
          break;
      }
      pos = next;
    }
    DropPartial("record missing its last fragment");
    SegmentScan scan;
    scan.intact_end = data_.size();
    if (lost_start_) {
      scan.intact_end = *lost_start_;
      report_->corruptions.push_back({segment_, *lost_start_, data_.size() - *lost_start_,
                                      /*tail=*/true, lost_reason_});
    }
    return scan;
  }

 private:
  // Marks bytes from `pos` as lost unless a damaged stretch is already open.
  void Lose(size_t pos, const char* reason) {
    if (partial_start_) {
      pos = *partial_start_;  // the partial record is lost with it
      partial_start_.reset();
    }
    if (!lost_start_) {
      lost_start_ = pos;
      lost_reason_ = reason;
    }
  }

  void DropPartial(const char* reason) {
    if (partial_start_) Lose(*partial_start_, reason);
  }

  // A record starts cleanly at pos: close the open damaged stretch, if any.
  void StartClean(size_t pos) {
    if (!lost_start_) return;
    report_->corruptions.push_back(
        {segment_, *lost_start_, pos - *lost_start_, /*tail=*/false, lost_reason_});
    lost_start_.reset();
  }

  Status Deliver(std::string_view record, size_t pos) {
    ++report_->records;
    report_->record_bytes += record.size();
    return fn_(record, WalPosition{segment_, pos});
  }

  std::string_view data_;
  uint64_t segment_;
  const WalRecordFn& fn_;
  WalReplayReport* report_;
  std::optional<size_t> partial_start_;  // first fragment of the record being assembled
  std::string scratch_;
  std::optional<size_t> lost_start_;  // open damaged stretch
  std::string lost_reason_;
};

}  // namespace

Result<SegmentScan> ScanSegment(std::string_view data, uint64_t segment, const WalRecordFn& fn,
                                WalReplayReport* report) {
  return Scanner(data, segment, fn, report).Run();
}

}  // namespace quartet::store
