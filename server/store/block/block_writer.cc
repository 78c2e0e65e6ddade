#include "server/store/block/block_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/crc32c.h"
#include "server/store/block/block_format.h"
#include "server/store/block/varint.h"
#include "server/store/block/zstd_context.h"

namespace quartet::store {
namespace {

using namespace block_format;  // NOLINT: the format's constants, local to this file

Status IoError(std::string_view what, const std::string& path, int err) {
  std::string msg = std::string(what) + " " + path + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return Status::ResourceExhausted(std::move(msg));
  return Status::Internal(std::move(msg));
}

Status SyncDirOf(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("opening dir", dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  return rc == 0 ? Status::Ok() : IoError("syncing dir", dir, err);
}

}  // namespace

BlockWriter::BlockWriter(std::string path, int fd)
    : path_(std::move(path)), tmp_path_(path_ + ".tmp"), fd_(fd) {}

BlockWriter::~BlockWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!finished_) ::unlink(tmp_path_.c_str());
}

Result<std::unique_ptr<BlockWriter>> BlockWriter::Create(std::string path) {
  if (path.empty()) return Status::InvalidArgument("block path is empty");
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("creating", tmp, errno);
  std::unique_ptr<BlockWriter> w(new BlockWriter(std::move(path), fd));
  RETURN_IF_ERROR(w->Write(std::string_view(kHeaderMagic, kHeaderSize)));
  return w;
}

Status BlockWriter::Write(std::string_view data) {
  if (fd_ < 0) return Status::FailedPrecondition("block " + path_ + " is already finished");
  while (!data.empty()) {
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("writing", tmp_path_, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
    offset_ += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Status BlockWriter::AddSection(std::string_view name, std::string_view bytes, Codec codec,
                               int level) {
  if (finished_ || fd_ < 0) return Status::FailedPrecondition("block " + path_ + " is finished");
  if (name.empty() || name.size() > 255) {
    return Status::InvalidArgument("section name must be 1..255 bytes");
  }
  if (names_.contains(name)) {
    return Status::InvalidArgument("duplicate section '" + std::string(name) + "' in " + path_);
  }
  std::string_view stored = bytes;
  if (codec == Codec::kZstd) {
    if (Status s = ZstdCompress(bytes, level, &scratch_); !s.ok()) {
      return Status::Internal("section '" + std::string(name) + "': " + std::string(s.message()));
    }
    stored = scratch_;
  } else if (codec != Codec::kNone) {
    return Status::InvalidArgument("unknown codec");
  }
  SectionInfo info{std::string(name), offset_, stored.size(),
                   bytes.size(),      codec,   crc32c::Value(stored)};
  RETURN_IF_ERROR(Write(stored));
  names_.insert(info.name);
  sections_.push_back(std::move(info));
  return Status::Ok();
}

Status BlockWriter::Finish(std::string_view meta_json) {
  if (finished_ || fd_ < 0) return Status::FailedPrecondition("block " + path_ + " is finished");
  std::string footer;
  PutVarint64(&footer, sections_.size());
  for (const SectionInfo& s : sections_) {
    PutLengthPrefixed(&footer, s.name);
    PutVarint64(&footer, s.offset);
    PutVarint64(&footer, s.stored_len);
    PutVarint64(&footer, s.raw_len);
    footer.push_back(static_cast<char>(s.codec));
    PutFixed32(&footer, crc32c::Mask(s.crc));
  }
  PutLengthPrefixed(&footer, meta_json);

  std::string trailer;
  PutFixed64(&trailer, offset_);
  PutFixed32(&trailer, static_cast<uint32_t>(footer.size()));
  PutFixed32(&trailer, crc32c::Mask(crc32c::Value(footer)));
  PutFixed32(&trailer, kVersion);
  PutFixed32(&trailer, crc32c::Mask(crc32c::Value(trailer)));
  trailer.append(kTrailerMagic, sizeof(kTrailerMagic));
  if (footer.size() > UINT32_MAX) return Status::InvalidArgument("block footer too large");
  RETURN_IF_ERROR(Write(footer));
  RETURN_IF_ERROR(Write(trailer));
  if (::fsync(fd_) != 0) return IoError("syncing", tmp_path_, errno);
  int rc = ::close(fd_);
  fd_ = -1;
  if (rc != 0) return IoError("closing", tmp_path_, errno);
  if (::rename(tmp_path_.c_str(), path_.c_str()) != 0) return IoError("renaming", tmp_path_, errno);
  finished_ = true;
  return SyncDirOf(path_);
}

}  // namespace quartet::store
