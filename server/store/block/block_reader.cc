#include "server/store/block/block_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <set>

#include "base/crc32c.h"
#include "server/store/block/block_format.h"
#include "server/store/block/varint.h"
#include "server/store/block/zstd_context.h"

namespace quartet::store {

using namespace block_format;  // NOLINT: the format's constants, local to this file

BlockReader::BlockReader(std::string path, std::string_view data, void* map)
    : path_(std::move(path)), data_(data), map_(map) {}

BlockReader::~BlockReader() {
  if (map_ != nullptr) ::munmap(map_, data_.size());
}

Result<std::unique_ptr<BlockReader>> BlockReader::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string msg = "opening block " + path + ": " + std::strerror(err);
    return err == ENOENT ? Status::NotFound(msg) : Status::Internal(msg);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return Status::Internal("stat block " + path + ": " + std::strerror(err));
  }
  size_t size = static_cast<size_t>(st.st_size);
  void* map = nullptr;
  if (size > 0) {
    map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      return Status::Internal("mapping block " + path + ": " + std::strerror(err));
    }
  }
  ::close(fd);  // the mapping keeps the file
  std::unique_ptr<BlockReader> r(
      new BlockReader(path, std::string_view(static_cast<const char*>(map), size), map));
  RETURN_IF_ERROR(r->Parse());
  return r;
}

Result<std::unique_ptr<BlockReader>> BlockReader::FromBytes(std::string_view file,
                                                            std::string name) {
  std::unique_ptr<BlockReader> r(new BlockReader(std::move(name), file, nullptr));
  RETURN_IF_ERROR(r->Parse());
  return r;
}

Status BlockReader::Corrupt(std::string_view what) const {
  return Status::DataLoss("block " + path_ + ": " + std::string(what));
}

Status BlockReader::Parse() {
  if (data_.size() < kHeaderSize + kTrailerSize) {
    return Corrupt("file of " + std::to_string(data_.size()) + " bytes is too short");
  }
  if (std::memcmp(data_.data(), kHeaderMagic, kHeaderSize) != 0) return Corrupt("bad header magic");
  const char* t = data_.data() + data_.size() - kTrailerSize;
  if (std::memcmp(t + 24, kTrailerMagic, sizeof(kTrailerMagic)) != 0) {
    return Corrupt("bad trailer magic (truncated or not a block)");
  }
  if (crc32c::Unmask(GetFixed32(t + 20)) != crc32c::Value(t, 20)) {
    return Corrupt("trailer checksum mismatch");
  }
  uint32_t version = GetFixed32(t + 16);
  if (version != kVersion) return Corrupt("unsupported version " + std::to_string(version));
  uint64_t footer_offset = GetFixed64(t);
  uint64_t footer_len = GetFixed32(t + 8);
  uint64_t footer_end = data_.size() - kTrailerSize;
  if (footer_offset < kHeaderSize || footer_offset > footer_end ||
      footer_len != footer_end - footer_offset) {
    return Corrupt("footer position out of range");
  }
  std::string_view footer = data_.substr(footer_offset, footer_len);
  if (crc32c::Unmask(GetFixed32(t + 12)) != crc32c::Value(footer)) {
    return Corrupt("footer checksum mismatch");
  }
  uint64_t count;
  if (!GetVarint64(&footer, &count) || count > footer.size()) return Corrupt("bad section count");
  std::set<std::string_view> names;
  for (uint64_t i = 0; i < count; ++i) {
    SectionInfo s;
    std::string_view name;
    uint64_t codec;
    if (!GetLengthPrefixed(&footer, &name) || name.empty() || !GetVarint64(&footer, &s.offset) ||
        !GetVarint64(&footer, &s.stored_len) || !GetVarint64(&footer, &s.raw_len) ||
        footer.size() < 5) {
      return Corrupt("bad section directory entry " + std::to_string(i));
    }
    codec = static_cast<uint8_t>(footer[0]);
    s.crc = crc32c::Unmask(GetFixed32(footer.data() + 1));
    footer.remove_prefix(5);
    s.name = std::string(name);
    if (codec > static_cast<uint8_t>(Codec::kZstd)) {
      return Corrupt("section '" + s.name + "' has unknown codec " + std::to_string(codec));
    }
    s.codec = static_cast<Codec>(codec);
    if (s.offset < kHeaderSize || s.offset > footer_offset ||
        s.stored_len > footer_offset - s.offset) {
      return Corrupt("section '" + s.name + "' lies outside the data area");
    }
    if ((s.codec == Codec::kNone && s.raw_len != s.stored_len) || s.raw_len > kMaxRawSectionBytes) {
      return Corrupt("section '" + s.name + "' has an impossible length");
    }
    if (!names.insert(name).second) return Corrupt("duplicate section '" + s.name + "'");
    sections_.push_back(std::move(s));
  }
  std::string_view meta;
  if (!GetLengthPrefixed(&footer, &meta) || !footer.empty()) {
    return Corrupt("bad meta in footer");
  }
  meta_ = std::string(meta);
  return Status::Ok();
}

const SectionInfo* BlockReader::Find(std::string_view name) const {
  for (const SectionInfo& s : sections_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::vector<std::string> BlockReader::SectionNames() const {
  std::vector<std::string> out;
  for (const SectionInfo& s : sections_) out.push_back(s.name);
  return out;
}

Result<std::string_view> BlockReader::StoredSection(std::string_view name) const {
  const SectionInfo* s = Find(name);
  if (s == nullptr) {
    return Status::NotFound("block " + path_ + " has no section '" + std::string(name) + "'");
  }
  std::string_view stored = data_.substr(s->offset, s->stored_len);
  if (crc32c::Value(stored) != s->crc) {
    return Corrupt("section '" + s->name + "' checksum mismatch");
  }
  return stored;
}

Result<std::string> BlockReader::ReadSection(std::string_view name) const {
  ASSIGN_OR_RETURN(std::string_view stored, StoredSection(name));
  const SectionInfo& s = *Find(name);
  if (s.codec == Codec::kNone) return std::string(stored);
  RETURN_IF_ERROR(CheckFrame(s, stored));
  std::string out(s.raw_len, '\0');
  RETURN_IF_ERROR(Decompress(s, stored, out.data()));
  return out;
}

Status BlockReader::ReadSectionInto(std::string_view name, std::unique_ptr<char[]>* out,
                                    size_t* size) const {
  ASSIGN_OR_RETURN(std::string_view stored, StoredSection(name));
  const SectionInfo& s = *Find(name);
  if (s.codec == Codec::kNone) {
    out->reset(new char[stored.size()]);
    memcpy(out->get(), stored.data(), stored.size());
    *size = stored.size();
    return Status::Ok();
  }
  RETURN_IF_ERROR(CheckFrame(s, stored));
  // new char[] leaves the bytes uninitialized; raw_len was checked above.
  out->reset(new (std::nothrow) char[s.raw_len]);
  if (*out == nullptr) return Corrupt("section '" + s.name + "' too large to read");
  *size = s.raw_len;
  return Decompress(s, stored, out->get());
}

Status BlockReader::CheckFrame(const SectionInfo& s, std::string_view stored) const {
  // The frame must declare the directory's size before anything is
  // allocated; a section over 1 GiB is no block of ours.
  if (ZSTD_getFrameContentSize(stored.data(), stored.size()) != s.raw_len ||
      s.raw_len > (uint64_t{1} << 30)) {
    return Corrupt("section '" + s.name + "' zstd frame does not match its raw length");
  }
  return Status::Ok();
}

Status BlockReader::Decompress(const SectionInfo& s, std::string_view stored, char* out) const {
  if (Status st = ZstdDecompressExactly(stored, s.raw_len, out); !st.ok()) {
    return Corrupt("section '" + s.name + "' does not decompress to " + std::to_string(s.raw_len) +
                   " bytes: " + std::string(st.message()));
  }
  return Status::Ok();
}

}  // namespace quartet::store
