// BlockWriter writes one immutable block file: named sections, each
// compressed on its own (zstd by default) and checksummed, then a footer
// directory and a fixed trailer (docs/formats/block.md). The file appears
// under its final name only when complete: it is written to <path>.tmp,
// fsynced, renamed, and the directory fsynced.
//
// Not thread-safe: one thread writes a block. Abandoning a writer without
// Finish removes the temporary file.
//
//   ASSIGN_OR_RETURN(auto w, BlockWriter::Create(dir + "/" + id + ".blk"));
//   RETURN_IF_ERROR(w->AddSection("ts", EncodeInt64s(timestamps)));
//   RETURN_IF_ERROR(w->Finish(meta.ToJson()));
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace quartet::store {

enum class Codec : uint8_t {
  kNone = 0,  // stored as is, for data already compact (or tiny)
  kZstd = 1,
};

// One entry of a block's section directory.
struct SectionInfo {
  std::string name;
  uint64_t offset = 0;      // of the stored bytes in the file
  uint64_t stored_len = 0;  // bytes on disk
  uint64_t raw_len = 0;     // bytes after decompression
  Codec codec = Codec::kNone;
  uint32_t crc = 0;  // CRC-32C of the stored bytes (unmasked)
};

class BlockWriter {
 public:
  static Result<std::unique_ptr<BlockWriter>> Create(std::string path);
  ~BlockWriter();
  BlockWriter(const BlockWriter&) = delete;
  BlockWriter& operator=(const BlockWriter&) = delete;

  // Compresses and writes one section. Names are unique non-empty strings of
  // at most 255 bytes; level is the zstd level (ignored for kNone).
  Status AddSection(std::string_view name, std::string_view bytes, Codec codec = Codec::kZstd,
                    int level = 3);

  // Writes the directory, meta (any bytes; by convention BlockMeta JSON) and
  // trailer, makes the file durable and visible under its final path.
  Status Finish(std::string_view meta_json);

  const std::string& path() const { return path_; }
  uint64_t bytes_written() const { return offset_; }
  const std::vector<SectionInfo>& sections() const { return sections_; }

 private:
  BlockWriter(std::string path, int fd);
  Status Write(std::string_view data);

  std::string path_;
  std::string tmp_path_;
  int fd_ = -1;
  uint64_t offset_ = 0;
  bool finished_ = false;
  std::vector<SectionInfo> sections_;
  std::set<std::string, std::less<>> names_;
  std::string scratch_;
};

}  // namespace quartet::store
