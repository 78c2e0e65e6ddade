#include "server/store/wal/wal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

#include "base/crc32c.h"
#include "server/store/wal/format.h"

namespace quartet::store {
namespace {

using namespace wal_format;  // NOLINT: the format's constants, local to this file

// A group stops growing here so one leader never holds everybody up for long;
// the leader's own writer is always included, however large.
constexpr size_t kMaxGroupBytes = 8 << 20;

Status IoError(std::string_view what, const std::string& path, int err) {
  std::string msg = std::string(what) + " " + path + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return Status::ResourceExhausted(std::move(msg));
  return Status::Internal(std::move(msg));
}

// Segment indexes present in dir, ascending.
Result<std::vector<uint64_t>> ListSegments(const std::string& dir) {
  std::vector<uint64_t> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.size() < 12 || !name.ends_with(".wal")) continue;
    std::string_view digits(name.data(), name.size() - 4);
    uint64_t index = 0;
    auto [ptr, err] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (err != std::errc() || ptr != digits.data() + digits.size() || index == 0) continue;
    out.push_back(index);
  }
  if (ec) return Status::Internal("listing WAL dir " + dir + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("writing", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// Appends the fragments of one record to out, the file being at *offset
// before them; returns the offset of the record's first header.
uint64_t Frame(std::string* out, uint64_t* offset, std::string_view record) {
  bool begin = true;
  uint64_t start = 0;
  do {
    size_t leftover = kBlockSize - *offset % kBlockSize;
    if (leftover < kHeaderSize) {
      out->append(leftover, '\0');
      *offset += leftover;
      leftover = kBlockSize;
    }
    if (begin) start = *offset;
    size_t n = std::min(record.size(), leftover - kHeaderSize);
    bool end = n == record.size();
    uint8_t type = begin && end ? kFullType : begin ? kFirstType : end ? kLastType : kMiddleType;
    char header[kHeaderSize];
    header[4] = static_cast<char>(n & 0xff);
    header[5] = static_cast<char>(n >> 8);
    header[6] = static_cast<char>(type);
    uint32_t crc = crc32c::Extend(crc32c::Value(header + 6, 1), record.data(), n);
    EncodeFixed32(header, crc32c::Mask(crc));
    out->append(header, kHeaderSize);
    out->append(record.data(), n);
    *offset += kHeaderSize + n;
    record.remove_prefix(n);
    begin = false;
  } while (!record.empty());
  return start;
}

size_t FramedSizeBound(size_t payload) {
  return payload + (payload / (kBlockSize - kHeaderSize) + 2) * (kHeaderSize * 2);
}

}  // namespace

std::string WalSegmentName(uint64_t index) {
  char name[32];
  std::snprintf(name, sizeof(name), "%08llu.wal", static_cast<unsigned long long>(index));
  return name;
}

struct Wal::Writer {
  enum Kind { kAppend, kRotate } kind = kAppend;
  std::span<const std::string_view> records;
  size_t bytes = 0;
  WalPosition pos;  // of records[0], set by the leader
  uint64_t rotated_to = 0;
  Status status;
  bool done = false;
  std::condition_variable cv;
};

Wal::Wal(const WalOptions& options) : options_(options) {}

Wal::~Wal() { (void)Close(); }

Result<std::unique_ptr<Wal>> Wal::Open(const WalOptions& options) {
  if (options.dir.empty()) return Status::InvalidArgument("WalOptions.dir is empty");
  if (options.segment_bytes < kBlockSize) {
    return Status::InvalidArgument("WalOptions.segment_bytes must be at least 32768");
  }
  if (options.sync == SyncPolicy::kInterval && options.sync_interval.count() <= 0) {
    return Status::InvalidArgument("WalOptions.sync_interval must be positive");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return Status::Internal("creating WAL dir " + options.dir + ": " + ec.message());

  std::unique_ptr<Wal> wal(new Wal(options));
  wal->dir_fd_ = ::open(options.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (wal->dir_fd_ < 0) return IoError("opening", options.dir, errno);
  std::string lock_path = options.dir + "/LOCK";
  wal->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (wal->lock_fd_ < 0) return IoError("opening", lock_path, errno);
  if (::flock(wal->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Status::Unavailable("WAL dir " + options.dir + " is in use by another Wal");
    }
    return IoError("locking", lock_path, errno);
  }

  ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(options.dir));
  if (segments.empty()) {
    RETURN_IF_ERROR(wal->OpenSegmentForAppend(1, /*create=*/true));
  } else {
    // Appends go to a fresh segment unless Replay verifies and adopts the
    // last one: nothing is ever written after an unchecked (maybe torn) tail.
    wal->last_segment_on_disk_ = segments.back();
    wal->segment_ = segments.back() + 1;
    wal->replay_pending_ = true;
  }
  if (options.sync == SyncPolicy::kInterval) {
    wal->sync_thread_ = std::thread([w = wal.get()] { w->SyncLoop(); });
  }
  return wal;
}

Status Wal::OpenSegmentForAppend(uint64_t index, bool create) {
  std::string path = options_.dir + "/" + WalSegmentName(index);
  int flags = O_WRONLY | O_APPEND | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0);
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) return IoError("opening", path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return IoError("stat", path, err);
  }
  if (create && options_.sync != SyncPolicy::kNever && ::fsync(dir_fd_) != 0) {
    int err = errno;
    ::close(fd);
    return IoError("syncing dir", options_.dir, err);
  }
  std::lock_guard<std::mutex> l(mu_);
  fd_ = fd;
  segment_ = index;
  file_size_ = static_cast<uint64_t>(st.st_size);
  segment_path_ = std::move(path);
  last_segment_on_disk_ = std::max(last_segment_on_disk_, index);
  return Status::Ok();
}

Status Wal::SyncAndCloseSegment() {
  int fd;
  {
    std::lock_guard<std::mutex> l(mu_);
    fd = fd_;
    fd_ = -1;
  }
  if (fd < 0) return Status::Ok();
  int rc = ::fdatasync(fd);
  int err = errno;
  ::close(fd);
  std::lock_guard<std::mutex> l(mu_);
  if (rc != 0) {
    error_ = IoError("syncing", options_.dir + "/" + WalSegmentName(segment_), err);
    return error_;
  }
  ++stats_.syncs;
  return Status::Ok();
}

Status Wal::EnsureSegment(size_t incoming_bytes) {
  if (fd_ < 0) return OpenSegmentForAppend(last_segment_on_disk_ + 1, /*create=*/true);
  if (file_size_ > 0 && file_size_ + incoming_bytes > options_.segment_bytes) {
    uint64_t next = segment_ + 1;
    RETURN_IF_ERROR(SyncAndCloseSegment());
    return OpenSegmentForAppend(next, /*create=*/true);
  }
  return Status::Ok();
}

Result<WalPosition> Wal::Append(std::string_view record) {
  Writer w;
  w.records = std::span<const std::string_view>(&record, 1);
  w.bytes = record.size();
  RETURN_IF_ERROR(Commit(&w));
  return w.pos;
}

Status Wal::AppendBatch(std::span<const std::string_view> records) {
  if (records.empty()) return Status::Ok();
  Writer w;
  w.records = records;
  for (std::string_view r : records) w.bytes += r.size();
  return Commit(&w);
}

Result<uint64_t> Wal::Rotate() {
  Writer w;
  w.kind = Writer::kRotate;
  RETURN_IF_ERROR(Commit(&w));
  return w.rotated_to;
}

Status Wal::Commit(Writer* w) {
  for (std::string_view r : w->records) {
    if (r.size() > kMaxRecordBytes) {
      return Status::InvalidArgument("WAL record of " + std::to_string(r.size()) +
                                     " bytes exceeds the limit of " +
                                     std::to_string(kMaxRecordBytes));
    }
  }
  std::unique_lock<std::mutex> l(mu_);
  if (closed_) return Status::FailedPrecondition("WAL " + options_.dir + " is closed");
  if (!error_.ok()) return error_;
  appended_ = true;
  queue_.push_back(w);
  while (!w->done && w != queue_.front()) w->cv.wait(l);
  if (w->done) return w->status;

  // This thread leads: it commits its own writer and the appends queued
  // behind it in one write (and one fdatasync).
  std::vector<Writer*> group{w};
  if (w->kind == Writer::kAppend) {
    size_t bytes = w->bytes;
    for (size_t i = 1; i < queue_.size(); ++i) {
      Writer* x = queue_[i];
      if (x->kind != Writer::kAppend || bytes + x->bytes > kMaxGroupBytes) break;
      bytes += x->bytes;
      group.push_back(x);
    }
  }
  Status s = error_;
  if (s.ok() && !closed_) {
    l.unlock();
    if (w->kind == Writer::kRotate) {
      uint64_t next = fd_ < 0 ? last_segment_on_disk_ + 1 : segment_ + 1;
      s = SyncAndCloseSegment();
      if (s.ok()) s = OpenSegmentForAppend(next, /*create=*/true);
      w->rotated_to = next;
    } else {
      s = WriteGroup(group);
    }
    l.lock();
  } else if (s.ok()) {
    s = Status::FailedPrecondition("WAL " + options_.dir + " is closed");
  }
  for (Writer* x : group) {
    queue_.pop_front();
    x->status = s;
    x->done = true;
    if (x != w) x->cv.notify_one();
  }
  if (!queue_.empty()) queue_.front()->cv.notify_one();
  return s;
}

Status Wal::WriteGroup(std::span<Writer* const> group) {
  size_t payload = 0, records = 0;
  for (const Writer* x : group) {
    payload += FramedSizeBound(x->bytes) + x->records.size() * kHeaderSize;
    records += x->records.size();
  }
  RETURN_IF_ERROR(EnsureSegment(payload));
  buf_.clear();
  uint64_t offset = file_size_;
  for (Writer* x : group) {
    for (size_t i = 0; i < x->records.size(); ++i) {
      uint64_t start = Frame(&buf_, &offset, x->records[i]);
      if (i == 0) x->pos = WalPosition{segment_, start};
    }
  }
  const std::string& path = segment_path_;
  Status s = WriteAll(fd_, buf_, path);
  if (!s.ok()) {
    // Cut the partial write so the segment still ends on a record boundary.
    if (::ftruncate(fd_, static_cast<off_t>(file_size_)) != 0) {
      std::lock_guard<std::mutex> l(mu_);
      error_ = s;
    }
    return s;
  }
  file_size_ = offset;
  bool synced = false;
  if (options_.sync == SyncPolicy::kAlways) {
    if (::fdatasync(fd_) != 0) {
      s = IoError("syncing", path, errno);
      std::lock_guard<std::mutex> l(mu_);
      error_ = s;
      return s;
    }
    synced = true;
  }
  std::lock_guard<std::mutex> l(mu_);
  stats_.bytes += buf_.size();
  stats_.records += records;
  stats_.groups += 1;
  stats_.syncs += synced ? 1 : 0;
  return Status::Ok();
}

Status Wal::Replay(const WalRecordFn& fn, WalReplayReport* report) {
  WalReplayReport local;
  if (report == nullptr) report = &local;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (closed_) return Status::FailedPrecondition("WAL " + options_.dir + " is closed");
    if (appended_) return Status::FailedPrecondition("Wal::Replay must precede the first append");
  }
  ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(options_.dir));
  for (size_t i = 0; i < segments.size(); ++i) {
    uint64_t index = segments[i];
    bool last = i + 1 == segments.size();
    std::string path = options_.dir + "/" + WalSegmentName(index);
    int fd = ::open(path.c_str(), (last && replay_pending_ ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) return IoError("opening", path, errno);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      return IoError("stat", path, err);
    }
    size_t size = static_cast<size_t>(st.st_size);
    void* map = nullptr;
    if (size > 0) {
      map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (map == MAP_FAILED) {
        int err = errno;
        ::close(fd);
        return IoError("mapping", path, err);
      }
      ::madvise(map, size, MADV_SEQUENTIAL);
    }
    ++report->segments;
    Result<SegmentScan> scan =
        ScanSegment(std::string_view(static_cast<const char*>(map), size), index, fn, report);
    if (map != nullptr) ::munmap(map, size);
    if (!scan.ok()) {
      ::close(fd);
      return scan.status();
    }
    if (last && replay_pending_) {
      uint64_t keep = scan->intact_end;
      if (keep < size) {
        if (::ftruncate(fd, static_cast<off_t>(keep)) != 0 || ::fsync(fd) != 0) {
          int err = errno;
          ::close(fd);
          return IoError("truncating damaged tail of", path, err);
        }
        report->truncated_bytes = size - keep;
      }
      ::close(fd);
      RETURN_IF_ERROR(OpenSegmentForAppend(index, /*create=*/false));
      replay_pending_ = false;
    } else {
      ::close(fd);
    }
  }
  return Status::Ok();
}

Status Wal::RemoveSegmentsBefore(uint64_t segment) {
  uint64_t current;
  {
    std::lock_guard<std::mutex> l(mu_);
    current = segment_;
  }
  ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(options_.dir));
  bool removed = false;
  for (uint64_t index : segments) {
    if (index >= segment || index >= current) break;
    std::string path = options_.dir + "/" + WalSegmentName(index);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return IoError("removing", path, errno);
    removed = true;
  }
  if (removed && ::fsync(dir_fd_) != 0) return IoError("syncing dir", options_.dir, errno);
  return Status::Ok();
}

void Wal::SyncLoop() {
  std::unique_lock<std::mutex> l(mu_);
  uint64_t synced_bytes = 0;
  while (!closed_) {
    sync_cv_.wait_for(l, options_.sync_interval, [this] { return closed_; });
    if (closed_ || fd_ < 0 || !error_.ok() || stats_.bytes == synced_bytes) continue;
    uint64_t bytes = stats_.bytes;
    // A duplicate keeps the file open even if the leader rotates meanwhile
    // (rotation syncs the old segment itself).
    int fd = ::dup(fd_);
    uint64_t segment = segment_;
    l.unlock();
    int rc = fd < 0 ? -1 : ::fdatasync(fd);
    int err = errno;
    if (fd >= 0) ::close(fd);
    l.lock();
    if (rc != 0) {
      error_ = IoError("syncing", options_.dir + "/" + WalSegmentName(segment), err);
    } else {
      ++stats_.syncs;
      synced_bytes = bytes;
    }
  }
}

Status Wal::Close() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (closed_) return Status::Ok();
    closed_ = true;
  }
  sync_cv_.notify_all();
  if (sync_thread_.joinable()) sync_thread_.join();
  Status s = SyncAndCloseSegment();
  if (lock_fd_ >= 0) ::close(lock_fd_);
  if (dir_fd_ >= 0) ::close(dir_fd_);
  lock_fd_ = dir_fd_ = -1;
  return s;
}

WalStats Wal::stats() const {
  std::lock_guard<std::mutex> l(mu_);
  return stats_;
}

uint64_t Wal::current_segment() const {
  std::lock_guard<std::mutex> l(mu_);
  return segment_;
}

}  // namespace quartet::store
