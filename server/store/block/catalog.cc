#include "server/store/block/catalog.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

namespace quartet::store {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kBlockExt = ".blk";

bool ByTime(const std::shared_ptr<const CatalogBlock>& a,
            const std::shared_ptr<const CatalogBlock>& b) {
  if (a->meta.min_time_ns != b->meta.min_time_ns) return a->meta.min_time_ns < b->meta.min_time_ns;
  return a->meta.id < b->meta.id;
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

std::string BlockCatalog::PathFor(std::string_view id) const {
  return dir_ + "/" + std::string(id) + std::string(kBlockExt);
}

Status BlockCatalog::SyncDir() const {
  int fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::Internal("opening dir " + dir_ + ": " + std::strerror(errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return Status::Internal("syncing dir " + dir_ + ": " + std::strerror(err));
  return Status::Ok();
}

Result<std::shared_ptr<const CatalogBlock>> BlockCatalog::Load(const std::string& path) const {
  ASSIGN_OR_RETURN(std::unique_ptr<BlockReader> reader, BlockReader::Open(path));
  auto meta = BlockMeta::FromJson(reader->meta());
  if (!meta.ok()) {
    return Status::DataLoss("block " + path + ": " + std::string(meta.status().message()));
  }
  auto block = std::make_shared<CatalogBlock>();
  block->meta = std::move(meta).value();
  block->meta.bytes = reader->file_bytes();
  block->path = path;
  block->reader = std::move(reader);
  return std::shared_ptr<const CatalogBlock>(std::move(block));
}

Result<std::unique_ptr<BlockCatalog>> BlockCatalog::Open(std::string dir) {
  if (dir.empty()) return Status::InvalidArgument("block catalog dir is empty");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Internal("creating " + dir + ": " + ec.message());
  std::unique_ptr<BlockCatalog> cat(new BlockCatalog(std::move(dir)));

  std::vector<std::string> names;
  for (fs::directory_iterator it(cat->dir_, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  if (ec) return Status::Internal("listing " + cat->dir_ + ": " + ec.message());
  std::sort(names.begin(), names.end());

  bool changed = false;
  std::vector<std::shared_ptr<const CatalogBlock>> loaded;
  for (const std::string& name : names) {
    std::string path = cat->dir_ + "/" + name;
    if (name.ends_with(".tmp")) {
      fs::remove(path, ec);
      cat->issues_.push_back({path, "unfinished block (writer crashed)", "deleted"});
      changed = true;
      continue;
    }
    if (!name.ends_with(kBlockExt)) continue;
    auto block = cat->Load(path);
    Status problem = block.ok() ? Status::Ok() : block.status();
    if (block.ok() && (*block)->meta.id + std::string(kBlockExt) != name) {
      problem = Status::DataLoss("block " + path + ": meta id " + (*block)->meta.id +
                                 " does not match the file name");
    }
    if (problem.ok()) {
      loaded.push_back(*block);
      continue;
    }
    // Never fatal: keep the bytes for inspection, out of the way of queries.
    std::string aside = path + ".corrupt";
    fs::rename(path, aside, ec);
    cat->issues_.push_back({path, problem.ToString(),
                            ec ? "could not move aside: " + ec.message() : "moved to " + aside});
    changed = true;
  }

  // Finish compactions interrupted by a crash: the replacement is intact, so
  // the blocks it names as sources are obsolete.
  std::map<std::string, std::string> replaced_by;
  for (const auto& b : loaded) {
    for (const auto& src : b->meta.sources) replaced_by[src] = b->meta.id;
  }
  BlockList live;
  for (const auto& b : loaded) {
    auto it = replaced_by.find(b->meta.id);
    if (it == replaced_by.end()) {
      live.push_back(b);
      continue;
    }
    fs::remove(b->path, ec);
    cat->issues_.push_back({b->path, "compacted into " + it->second + " before a crash",
                            ec ? "could not delete: " + ec.message() : "deleted"});
    changed = true;
  }
  if (changed) RETURN_IF_ERROR(cat->SyncDir());
  std::lock_guard<std::mutex> l(cat->mu_);
  cat->Publish(std::move(live));
  return cat;
}

void BlockCatalog::Publish(BlockList blocks) {
  std::sort(blocks.begin(), blocks.end(), ByTime);
  blocks_ = std::make_shared<const BlockList>(std::move(blocks));
}

Result<std::shared_ptr<const CatalogBlock>> BlockCatalog::LoadIntoDir(const std::string& path) {
  ASSIGN_OR_RETURN(auto block, Load(path));
  std::string want = PathFor(block->meta.id);
  std::error_code ec;
  if (fs::weakly_canonical(path, ec) == fs::weakly_canonical(want, ec)) return block;
  if (fs::exists(want, ec)) {
    return Status::InvalidArgument("block " + block->meta.id + " already exists in " + dir_);
  }
  fs::rename(path, want, ec);
  if (ec) return Status::Internal("moving " + path + " to " + want + ": " + ec.message());
  RETURN_IF_ERROR(SyncDir());
  auto moved = std::make_shared<CatalogBlock>(*block);
  moved->path = want;
  return std::shared_ptr<const CatalogBlock>(std::move(moved));
}

Status BlockCatalog::Add(const std::string& path) {
  std::lock_guard<std::mutex> w(write_mu_);
  ASSIGN_OR_RETURN(auto probe, Load(path));
  auto current = Blocks();
  for (const auto& b : *current) {
    if (b->meta.id == probe->meta.id) {
      return Status::InvalidArgument("block " + b->meta.id + " is already in the catalog");
    }
  }
  ASSIGN_OR_RETURN(auto block, LoadIntoDir(path));
  std::lock_guard<std::mutex> l(mu_);
  BlockList next = *blocks_;
  next.push_back(std::move(block));
  Publish(std::move(next));
  return Status::Ok();
}

Status BlockCatalog::Replace(std::span<const std::string> old_ids, const std::string& new_path) {
  std::lock_guard<std::mutex> w(write_mu_);
  ASSIGN_OR_RETURN(auto probe, Load(new_path));
  std::set<std::string> sources(probe->meta.sources.begin(), probe->meta.sources.end());
  std::set<std::string> old(old_ids.begin(), old_ids.end());
  for (const std::string& id : old) {
    if (!sources.contains(id)) {
      return Status::InvalidArgument("block " + probe->meta.id + " does not list " + id +
                                     " in meta.sources; Replace would not be crash-safe");
    }
  }
  auto current = Blocks();
  std::vector<std::shared_ptr<const CatalogBlock>> removed;
  for (const auto& b : *current) {
    if (old.contains(b->meta.id)) removed.push_back(b);
    if (b->meta.id == probe->meta.id) {
      return Status::InvalidArgument("block " + b->meta.id + " is already in the catalog");
    }
  }
  if (removed.size() != old.size()) {
    return Status::NotFound("Replace: not every old block is in the catalog");
  }
  // Step 1 (durable before anything is deleted): the new block in dir.
  ASSIGN_OR_RETURN(auto block, LoadIntoDir(new_path));
  // Step 2: readers switch to the new set in one pointer swap.
  {
    std::lock_guard<std::mutex> l(mu_);
    BlockList next;
    for (const auto& b : *blocks_) {
      if (!old.contains(b->meta.id)) next.push_back(b);
    }
    next.push_back(std::move(block));
    Publish(std::move(next));
  }
  // Step 3: delete the old files; a crash before this is finished by Open.
  std::error_code ec;
  for (const auto& b : removed) {
    if (!fs::remove(b->path, ec) && ec) {
      std::lock_guard<std::mutex> l(mu_);
      issues_.push_back(
          {b->path, "replaced by " + probe->meta.id, "could not delete: " + ec.message()});
    }
  }
  return SyncDir();
}

Result<RetentionResult> BlockCatalog::ApplyRetention(std::chrono::nanoseconds max_age,
                                                     uint64_t max_bytes, int64_t now_unix_nanos) {
  std::lock_guard<std::mutex> w(write_mu_);
  auto current = Blocks();
  // Oldest data first: by end of range, then id.
  BlockList order = *current;
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    if (a->meta.max_time_ns != b->meta.max_time_ns)
      return a->meta.max_time_ns < b->meta.max_time_ns;
    return a->meta.id < b->meta.id;
  });
  uint64_t total = 0;
  for (const auto& b : order) total += b->meta.bytes;
  std::set<std::string> doomed;
  RetentionResult result;
  for (const auto& b : order) {
    bool too_old = max_age.count() > 0 && b->meta.max_time_ns < now_unix_nanos - max_age.count();
    bool too_big = max_bytes > 0 && total > max_bytes;
    if (!too_old && !too_big) continue;
    doomed.insert(b->meta.id);
    total -= b->meta.bytes;
    result.removed_ids.push_back(b->meta.id);
    result.removed_bytes += b->meta.bytes;
  }
  if (doomed.empty()) return result;
  {
    std::lock_guard<std::mutex> l(mu_);
    BlockList next;
    for (const auto& b : *blocks_) {
      if (!doomed.contains(b->meta.id)) next.push_back(b);
    }
    Publish(std::move(next));
  }
  std::error_code ec;
  for (const auto& b : order) {
    if (doomed.contains(b->meta.id) && !fs::remove(b->path, ec) && ec) {
      return Status::Internal("deleting " + b->path + ": " + ec.message());
    }
  }
  RETURN_IF_ERROR(SyncDir());
  return result;
}

std::vector<CompactionGroup> BlockCatalog::CompactionCandidates(uint32_t level, int64_t window_ns,
                                                                size_t min_blocks) const {
  std::vector<CompactionGroup> out;
  if (window_ns <= 0) return out;
  std::map<int64_t, CompactionGroup> windows;
  for (const auto& b : *Blocks()) {
    if (b->meta.level != level) continue;
    int64_t w = FloorDiv(b->meta.min_time_ns, window_ns);
    if (FloorDiv(b->meta.max_time_ns, window_ns) != w) continue;  // straddles windows
    CompactionGroup& g = windows[w];
    g.level = level;
    g.window_start_ns = w * window_ns;
    g.ids.push_back(b->meta.id);
  }
  for (auto& [w, g] : windows) {
    if (g.ids.size() >= std::max<size_t>(min_blocks, 1)) out.push_back(std::move(g));
  }
  return out;
}

std::shared_ptr<const BlockList> BlockCatalog::Blocks() const {
  std::lock_guard<std::mutex> l(mu_);
  return blocks_;
}

uint64_t BlockCatalog::total_bytes() const {
  uint64_t total = 0;
  for (const auto& b : *Blocks()) total += b->meta.bytes;
  return total;
}

std::vector<CatalogIssue> BlockCatalog::issues() const {
  std::lock_guard<std::mutex> l(mu_);
  return issues_;
}

}  // namespace quartet::store
