// BlockReader opens one block file (docs/formats/block.md) by mapping it into
// memory; Open verifies only the trailer and footer directory, so opening a
// block of any size touches a few pages. ReadSection verifies the section's
// CRC and decompressed length before returning its bytes. Every mismatch is a
// DataLoss status naming the file (and section).
//
// Thread-safe after Open: all methods are const; hold it in a
// shared_ptr<const BlockReader> to share it between queries. The mapping
// stays valid after the file is unlinked.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "server/store/block/block_writer.h"

namespace quartet::store {

class BlockReader {
 public:
  static Result<std::unique_ptr<BlockReader>> Open(const std::string& path);
  // For the fuzz target and tests: the same checks over bytes in memory
  // (which must outlive the reader).
  static Result<std::unique_ptr<BlockReader>> FromBytes(std::string_view file,
                                                        std::string name = "<memory>");
  ~BlockReader();
  BlockReader(const BlockReader&) = delete;
  BlockReader& operator=(const BlockReader&) = delete;

  // The decompressed section. NotFound if absent; DataLoss if damaged.
  Result<std::string> ReadSection(std::string_view name) const;
  // The same into a buffer that is not zeroed first (*size bytes): for a
  // log page's text (~1 MB) zeroing costs ~8% of a scan.
  Status ReadSectionInto(std::string_view name, std::unique_ptr<char[]>* out, size_t* size) const;
  // The stored (possibly compressed) bytes after checking their CRC: for
  // kNone sections, the data itself without a copy.
  Result<std::string_view> StoredSection(std::string_view name) const;

  bool HasSection(std::string_view name) const { return Find(name) != nullptr; }
  std::vector<std::string> SectionNames() const;
  const std::vector<SectionInfo>& sections() const { return sections_; }
  const std::string& meta() const { return meta_; }
  uint64_t file_bytes() const { return data_.size(); }
  const std::string& path() const { return path_; }

 private:
  BlockReader(std::string path, std::string_view data, void* map);
  Status Parse();
  const SectionInfo* Find(std::string_view name) const;
  Status Corrupt(std::string_view what) const;
  Status CheckFrame(const SectionInfo& s, std::string_view stored) const;
  Status Decompress(const SectionInfo& s, std::string_view stored, char* out) const;

  std::string path_;
  std::string_view data_;
  void* map_ = nullptr;  // munmap'ed on destruction when set
  std::vector<SectionInfo> sections_;
  std::string meta_;
};

}  // namespace quartet::store
