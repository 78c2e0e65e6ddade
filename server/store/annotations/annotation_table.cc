#include "server/store/annotations/annotation_table.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <unordered_map>

#include "base/clock.h"
#include "server/store/annotations/annotation_record.h"

namespace quartet::store {
namespace {

namespace log = annotation_log;

Status IoError(std::string_view what, const std::string& path, int err) {
  return Status::Internal(std::string(what) + " " + path + ": " + std::strerror(err));
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

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("opening dir", dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  return rc == 0 ? Status::Ok() : IoError("syncing dir", dir, err);
}

// Writes `data` to a new file at `path` (replacing it) and fsyncs it.
Status WriteFileSynced(const std::string& path, std::string_view data, bool sync) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("creating", path, errno);
  Status st = WriteAll(fd, data, path);
  if (st.ok() && sync && ::fsync(fd) != 0) st = IoError("syncing", path, errno);
  ::close(fd);
  return st;
}

Result<std::string> ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path);
    return IoError("opening", path, errno);
  }
  std::string data;
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return IoError("reading", path, err);
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return data;
}

bool HasTag(const Annotation& a, const std::string& tag) {
  return std::find(a.tags.begin(), a.tags.end(), tag) != a.tags.end();
}

bool Matches(const Annotation& a, const AnnotationQuery& q) {
  if (a.time_ms > q.to_ms || a.time_end_ms < q.from_ms) return false;
  if (q.dashboard_uid && a.dashboard_uid != *q.dashboard_uid) return false;
  if (q.dashboard_id && a.dashboard_id != *q.dashboard_id) return false;
  if (q.panel_id && a.panel_id != *q.panel_id) return false;
  if (!q.text_contains.empty() && a.text.find(q.text_contains) == std::string::npos) return false;
  if (q.tags.empty()) return true;
  if (q.match_any) {
    return std::any_of(q.tags.begin(), q.tags.end(), [&](const auto& t) { return HasTag(a, t); });
  }
  return std::all_of(q.tags.begin(), q.tags.end(), [&](const auto& t) { return HasTag(a, t); });
}

Status CheckTimes(const Annotation& a) {
  if (a.time_end_ms < a.time_ms) {
    return Status::InvalidArgument("timeEnd " + std::to_string(a.time_end_ms) + " is before time " +
                                   std::to_string(a.time_ms));
  }
  return Status::Ok();
}

}  // namespace

AnnotationTable::AnnotationTable(AnnotationTableOptions options)
    : options_(std::move(options)), path_(options_.dir + "/annotations.log") {}

AnnotationTable::~AnnotationTable() { (void)Close(); }

Result<std::unique_ptr<AnnotationTable>> AnnotationTable::Open(AnnotationTableOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return Status::Internal("creating " + options.dir + ": " + ec.message());
  std::unique_ptr<AnnotationTable> table(new AnnotationTable(std::move(options)));
  RETURN_IF_ERROR(table->Replay());
  return table;
}

int64_t AnnotationTable::NowMs() const {
  return options_.now_ms ? options_.now_ms() : UnixNanos() / 1'000'000;
}

Status AnnotationTable::Replay() {
  std::lock_guard<std::mutex> lock(mu_);
  Result<std::string> read = ReadFile(path_);
  bool rewrite = false;
  std::string data;
  if (read.ok()) {
    data = std::move(*read);
  } else if (read.status().code() == StatusCode::kNotFound) {
    rewrite = true;  // a new table: write the header
  } else {
    return read.status();
  }
  std::string_view rest = data;
  if (read.ok()) {
    if (rest.size() < log::kMagic.size() && log::kMagic.starts_with(rest)) {
      // Created but cut short before its header was complete: empty.
      report_.dropped_bytes = static_cast<int64_t>(rest.size());
      if (!rest.empty()) report_.problems.push_back("offset 0: file header cut short");
      rest = {};
      rewrite = true;
    } else if (!rest.starts_with(log::kMagic)) {
      return Status::DataLoss(path_ + " is not an annotation log (bad header); not touching it");
    } else {
      rest.remove_prefix(log::kMagic.size());
    }
  }
  while (!rest.empty()) {
    const size_t offset = data.size() - rest.size();
    log::Record record;
    log::ReadResult r = log::ReadRecord(rest, &record);
    if (r.kind != log::ReadResult::Kind::kOk) {
      report_.problems.push_back("offset " + std::to_string(offset) + ": " + r.problem);
      if (r.size == 0) {  // nothing after this point can be framed: drop it
        report_.dropped_bytes += static_cast<int64_t>(rest.size());
        break;
      }
      ++report_.skipped_records;
      report_.dropped_bytes += static_cast<int64_t>(r.size);
      rest.remove_prefix(r.size);
      continue;
    }
    rest.remove_prefix(r.size);
    ++report_.records;
    ++log_records_;
    switch (record.type) {
      case log::RecordType::kPut:
        next_id_ = std::max(next_id_, record.annotation.id + 1);
        live_[record.annotation.id] = std::move(record.annotation);
        break;
      case log::RecordType::kDelete:
        next_id_ = std::max(next_id_, record.id + 1);
        live_.erase(record.id);
        break;
      case log::RecordType::kNextId:
        next_id_ = std::max(next_id_, record.id);
        break;
    }
  }
  if (!report_.problems.empty() && !data.empty()) {
    // Keep what was found for inspection; the log is rewritten from what
    // replayed, so later appends never land behind damaged bytes.
    report_.damaged_copy = path_ + ".damaged-" + std::to_string(NowMs());
    RETURN_IF_ERROR(WriteFileSynced(report_.damaged_copy, data, options_.sync));
    rewrite = true;
  }
  if (rewrite) {
    RETURN_IF_ERROR(RewriteLocked());
    rewrites_ = 0;  // counts compactions, not the repair or creation at open
    return Status::Ok();
  }
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0) return IoError("opening", path_, errno);
  return Status::Ok();
}

Status AnnotationTable::RewriteLocked() {
  std::string data(log::kMagic);
  data += log::Encode({.type = log::RecordType::kNextId, .id = next_id_});
  for (const auto& [id, a] : live_) {
    data += log::Encode({.type = log::RecordType::kPut, .annotation = a});
  }
  const std::string tmp = path_ + ".tmp";
  RETURN_IF_ERROR(WriteFileSynced(tmp, data, options_.sync));
  if (::rename(tmp.c_str(), path_.c_str()) != 0) return IoError("renaming", tmp, errno);
  // From here on the new file is the log: the old descriptor points at the
  // unlinked one and must not be written again.
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (options_.sync) RETURN_IF_ERROR(SyncDir(options_.dir));
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0) return IoError("opening", path_, errno);
  log_records_ = static_cast<int64_t>(live_.size()) + 1;
  ++rewrites_;
  return Status::Ok();
}

Status AnnotationTable::AppendLocked(const std::string& record) {
  if (fd_ < 0) return Status::Unavailable("annotation log is closed");
  if (broken_) {
    return Status::Unavailable("annotation log refused writes after an I/O error; restart");
  }
  struct stat st;
  if (::fstat(fd_, &st) != 0) return IoError("stat", path_, errno);
  Status written = WriteAll(fd_, record, path_);
  if (!written.ok()) {
    // Cut the partial record off so later records are not framed behind it.
    if (::ftruncate(fd_, st.st_size) != 0) broken_ = true;
    return written;
  }
  if (options_.sync && ::fdatasync(fd_) != 0) {
    // After a failed fsync the kernel may have dropped the pages: what is on
    // disk is unknown, so no later write may be acknowledged.
    broken_ = true;
    return IoError("syncing", path_, errno);
  }
  ++log_records_;
  return Status::Ok();
}

Status AnnotationTable::MaybeRewriteLocked() {
  const int64_t live = static_cast<int64_t>(live_.size());
  const int64_t garbage = log_records_ - live;
  if (garbage <= live || garbage < options_.min_garbage_records) return Status::Ok();
  return RewriteLocked();
}

Result<Annotation> AnnotationTable::Create(Annotation a) {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = NowMs();
  if (a.time_ms == 0) a.time_ms = now;
  if (a.time_end_ms == 0) a.time_end_ms = a.time_ms;
  RETURN_IF_ERROR(CheckTimes(a));
  a.id = next_id_;
  a.created_ms = a.updated_ms = now;
  RETURN_IF_ERROR(AppendLocked(log::Encode({.type = log::RecordType::kPut, .annotation = a})));
  ++next_id_;
  live_[a.id] = a;
  // The record is durable; a failed compaction leaves the old log in place.
  (void)MaybeRewriteLocked();
  return a;
}

Result<Annotation> AnnotationTable::Get(int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(id);
  if (it == live_.end()) return Status::NotFound("annotation " + std::to_string(id) + " not found");
  return it->second;
}

Result<std::vector<Annotation>> AnnotationTable::Find(const AnnotationQuery& query) {
  std::vector<Annotation> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, a] : live_) {
      if (Matches(a, query)) out.push_back(a);
    }
  }
  std::sort(out.begin(), out.end(), [](const Annotation& x, const Annotation& y) {
    if (x.time_ms != y.time_ms) return x.time_ms > y.time_ms;
    if (x.time_end_ms != y.time_end_ms) return x.time_end_ms > y.time_end_ms;
    return x.id > y.id;
  });
  if (out.size() > query.limit) out.resize(query.limit);
  return out;
}

Result<Annotation> AnnotationTable::Patch(int64_t id, const AnnotationPatch& patch) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(id);
  if (it == live_.end()) return Status::NotFound("annotation " + std::to_string(id) + " not found");
  Annotation a = it->second;
  if (patch.time_ms) a.time_ms = *patch.time_ms;
  if (patch.time_end_ms) a.time_end_ms = *patch.time_end_ms;
  if (patch.tags) a.tags = *patch.tags;
  if (patch.text) a.text = *patch.text;
  if (patch.data_json) a.data_json = *patch.data_json;
  RETURN_IF_ERROR(CheckTimes(a));
  a.updated_ms = NowMs();
  RETURN_IF_ERROR(AppendLocked(log::Encode({.type = log::RecordType::kPut, .annotation = a})));
  it->second = a;
  (void)MaybeRewriteLocked();
  return a;
}

Status AnnotationTable::Delete(int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(id);
  if (it == live_.end()) return Status::NotFound("annotation " + std::to_string(id) + " not found");
  RETURN_IF_ERROR(AppendLocked(log::Encode({.type = log::RecordType::kDelete, .id = id})));
  live_.erase(it);
  (void)MaybeRewriteLocked();
  return Status::Ok();
}

Result<std::vector<AnnotationTagCount>> AnnotationTable::Tags(std::string_view prefix,
                                                              size_t limit) {
  std::unordered_map<std::string, int64_t> counts;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, a] : live_) {
      for (const std::string& tag : a.tags) {
        if (tag.starts_with(prefix)) ++counts[tag];
      }
    }
  }
  std::vector<AnnotationTagCount> out;
  out.reserve(counts.size());
  for (auto& [tag, count] : counts) out.push_back({tag, count});
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) {
    return x.count != y.count ? x.count > y.count : x.tag < y.tag;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

Status AnnotationTable::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ < 0) return Status::Ok();
  int rc = ::close(fd_);
  fd_ = -1;
  return rc == 0 ? Status::Ok() : IoError("closing", path_, errno);
}

AnnotationTable::Stats AnnotationTable::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {static_cast<int64_t>(live_.size()), log_records_, rewrites_};
}

}  // namespace quartet::store
