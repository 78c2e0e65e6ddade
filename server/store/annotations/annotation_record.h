// The records of the annotation log (docs/formats/annotations.md): a put
// (the whole annotation as it now is, after a create or a patch), a delete,
// and the next id (written first by a rewrite, so that ids of deleted
// annotations are never reused). Encode frames a record with its length and
// masked CRC-32C; ReadRecord decodes one frame and says precisely why it
// cannot. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "server/store/interface.h"

namespace quartet::store::annotation_log {

// The first bytes of every annotation log file.
inline constexpr std::string_view kMagic = "QANNLOG1";
// masked crc32c (4, LE) | payload length (4, LE) | type (1); the CRC covers
// the type byte and the payload.
inline constexpr size_t kHeaderSize = 9;
// A payload longer than this is taken for a damaged length field.
inline constexpr uint32_t kMaxPayload = 16u << 20;

enum class RecordType : uint8_t { kPut = 1, kDelete = 2, kNextId = 3 };

struct Record {
  RecordType type = RecordType::kPut;
  Annotation annotation;  // kPut
  int64_t id = 0;         // kDelete: the id; kNextId: the next id to assign
};

// The framed bytes of a record, ready to append.
std::string Encode(const Record& record);

// How reading one frame at the start of `data` went.
struct ReadResult {
  enum class Kind {
    kOk,         // record decoded; `size` bytes consumed
    kTruncated,  // `data` ends inside the frame (a torn write at the tail)
    kCorrupt,    // checksum or content wrong; `size` > 0 when the length is
                 // plausible, so the reader may skip the frame and go on
  };
  Kind kind = Kind::kOk;
  size_t size = 0;
  std::string problem;  // for kTruncated and kCorrupt
};
ReadResult ReadRecord(std::string_view data, Record* record);

}  // namespace quartet::store::annotation_log
