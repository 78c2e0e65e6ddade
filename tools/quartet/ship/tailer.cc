#include "tools/quartet/ship/tailer.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/clock.h"

namespace quartet::ship {
namespace {

constexpr size_t kChunk = 64 * 1024;

FileId IdOf(const struct stat& st) {
  return FileId{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
}

// A sibling of `path` (same directory) that is the file `id`, or "".
std::string FindSibling(const std::string& path, const FileId& id) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return "";
  std::string found;
  while (struct dirent* e = ::readdir(d)) {
    std::string candidate = dir + "/" + e->d_name;
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && IdOf(st) == id) {
      found = candidate;
      break;
    }
  }
  ::closedir(d);
  return found;
}

}  // namespace

FileTailer::FileTailer(std::string path, size_t max_line_bytes)
    : path_(std::move(path)), max_line_bytes_(max_line_bytes) {}

FileTailer::~FileTailer() { CloseFile(); }

void FileTailer::CloseFile() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  partial_.clear();
  skipping_ = false;
}

void FileTailer::Restore(const FilePosition& pos) {
  restored_ = true;
  restore_ = pos;
  struct stat st;
  if (::stat(path_.c_str(), &st) == 0 && IdOf(st) == pos.file) return;  // OpenPath resumes
  std::string sibling = FindSibling(path_, pos.file);
  if (sibling.empty()) return;  // gone: the path's current file is read from 0
  int fd = ::open(sibling.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  struct stat fst;
  if (::fstat(fd, &fst) != 0 || !(IdOf(fst) == pos.file)) {
    ::close(fd);
    return;
  }
  std::fprintf(stderr, "quartet ship: %s: finishing rotated file %s from offset %lld\n",
               path_.c_str(), sibling.c_str(), static_cast<long long>(pos.offset));
  fd_ = fd;
  id_ = pos.file;
  read_offset_ = pos.offset <= fst.st_size ? pos.offset : 0;
}

bool FileTailer::OpenPath(int64_t offset) {
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return false;
  }
  fd_ = fd;
  id_ = IdOf(st);
  read_offset_ = 0;
  if (restored_ && restore_.file == id_ && restore_.offset <= st.st_size) {
    read_offset_ = restore_.offset;
  } else if (offset <= st.st_size) {
    read_offset_ = offset;
  }
  restored_ = false;  // a restore applies to the first open only
  return true;
}

void FileTailer::Emit(std::string text, int64_t end_offset, std::vector<TailedLine>* out) {
  if (!text.empty() && text.back() == '\r') text.pop_back();
  out->push_back(TailedLine{std::move(text), static_cast<int64_t>(UnixNanos()),
                            FilePosition{id_, end_offset}});
}

int64_t FileTailer::ReadAvailable(size_t max_bytes, std::vector<TailedLine>* out) {
  char buf[kChunk];
  int64_t total = 0;
  while (static_cast<size_t>(total) < max_bytes) {
    ssize_t n = ::pread(fd_, buf, sizeof(buf), read_offset_);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) break;
    const char* p = buf;
    const char* end = buf + n;
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
      const char* stop = nl ? nl : end;
      if (!skipping_) {
        size_t room = max_line_bytes_ - partial_.size();
        size_t take = std::min(room, static_cast<size_t>(stop - p));
        partial_.append(p, take);
        if (take < static_cast<size_t>(stop - p)) {
          skipping_ = true;
          ++cut_lines_;
        }
      }
      if (nl == nullptr) break;
      int64_t end_offset = read_offset_ + (nl + 1 - buf);
      Emit(std::move(partial_), end_offset, out);
      partial_.clear();
      skipping_ = false;
      p = nl + 1;
    }
    read_offset_ += n;
    total += n;
  }
  return total;
}

Status FileTailer::Poll(size_t max_bytes, std::vector<TailedLine>* out) {
  if (fd_ < 0 && !OpenPath(0)) {
    if (errno == ENOENT) return Status::Ok();
    return Status::Unavailable("open " + path_ + ": " + std::strerror(errno));
  }
  for (int round = 0; round < 2; ++round) {
    struct stat fst;
    if (::fstat(fd_, &fst) == 0 && fst.st_size < read_offset_) {
      // copytruncate: what was read is gone; the file starts over.
      std::fprintf(
          stderr, "quartet ship: %s: truncated (size %lld < offset %lld), reading from 0\n",
          path_.c_str(), static_cast<long long>(fst.st_size), static_cast<long long>(read_offset_));
      ++truncations_;
      read_offset_ = 0;
      partial_.clear();
      skipping_ = false;
    }
    int64_t got = ReadAvailable(max_bytes, out);
    if (got < 0) return Status::Unavailable("read " + path_ + ": " + std::strerror(errno));
    if (static_cast<size_t>(got) >= max_bytes) return Status::Ok();  // more to read; no EOF yet
    struct stat pst;
    if (::stat(path_.c_str(), &pst) != 0 || IdOf(pst) == id_) return Status::Ok();
    // The path names another file. Switch once the old one stopped growing,
    // so that a writer still holding it for a moment loses nothing.
    if (got > 0) return Status::Ok();
    if (!partial_.empty()) Emit(std::move(partial_), read_offset_, out);
    ++rotations_;
    CloseFile();
    if (!OpenPath(0)) return Status::Ok();
    max_bytes -= static_cast<size_t>(got);
  }
  return Status::Ok();
}

}  // namespace quartet::ship
