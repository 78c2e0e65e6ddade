#include "sdk/metrics/cells.h"

#include <bit>
#include <memory>
#include <new>
#include <vector>

namespace quartet::metrics_internal {

constinit thread_local ThreadCells* tls_cells __attribute__((tls_model("initial-exec"))) = nullptr;

namespace {

struct Store {
  std::mutex mu;
  std::vector<CellKind> kinds;  // by slot, for folding exited threads
  uint32_t next_slot = 0;
  std::vector<ThreadCells*> threads;
  // Totals of exited threads; plain integers (double bits for kF64), guarded by mu.
  std::unique_ptr<uint64_t[]> retired[kMaxChunks];

  uint64_t* RetiredCell(uint32_t slot) {
    auto& chunk = retired[slot >> kChunkBits];
    if (chunk == nullptr) chunk.reset(new (std::nothrow) uint64_t[kChunkSize]());
    return chunk == nullptr ? nullptr : &chunk[slot & (kChunkSize - 1)];
  }
};

// Leaked on purpose: threads may exit (and fold) after static destructors ran.
Store& GetStore() {
  static Store* store = new Store;
  return *store;
}

void FoldAndUnlink(ThreadCells* t) {
  Store& s = GetStore();
  std::lock_guard<std::mutex> lock(s.mu);
  for (uint32_t ci = 0; ci < kMaxChunks; ++ci) {
    Cell* chunk = t->chunks[ci].load(std::memory_order_relaxed);
    if (chunk == nullptr) continue;
    for (uint32_t j = 0; j < kChunkSize; ++j) {
      uint32_t slot = (ci << kChunkBits) | j;
      if (slot >= s.next_slot) break;
      uint64_t v = chunk[j].load(std::memory_order_relaxed);
      if (v == 0) continue;
      uint64_t* r = s.RetiredCell(slot);
      if (r == nullptr) continue;  // out of memory: this thread's share is lost
      if (s.kinds[slot] == CellKind::kU64) {
        *r += v;
      } else {
        *r = std::bit_cast<uint64_t>(std::bit_cast<double>(*r) + std::bit_cast<double>(v));
      }
    }
  }
  std::erase(s.threads, t);
}

thread_local bool tls_exited __attribute__((tls_model("initial-exec"))) = false;

// Its destructor runs at thread exit; it is touched only when a thread first
// gets cells, so threads that never count pay nothing.
struct Reaper {
  bool armed = false;
  ~Reaper() {
    ThreadCells* t = tls_cells;
    tls_exited = true;  // later increments (other TLS destructors) go to retired
    if (t == nullptr) return;
    tls_cells = nullptr;
    FoldAndUnlink(t);
    for (auto& c : t->chunks) delete[] c.load(std::memory_order_relaxed);
    delete t;
  }
};
thread_local Reaper tls_reaper;

}  // namespace

uint32_t AllocateSlots(std::span<const CellKind> kinds) noexcept {
  if (kinds.empty() || kinds.size() > kChunkSize) return kNoSlot;
  Store& s = GetStore();
  std::lock_guard<std::mutex> lock(s.mu);
  uint32_t base = s.next_slot;
  uint32_t n = static_cast<uint32_t>(kinds.size());
  if ((base & (kChunkSize - 1)) + n > kChunkSize) {
    base = (base | (kChunkSize - 1)) + 1;  // start of the next chunk
  }
  if (static_cast<uint64_t>(base) + n > uint64_t{kChunkSize} * kMaxChunks) return kNoSlot;
  try {
    s.kinds.resize(base + n, CellKind::kU64);
  } catch (...) {
    return kNoSlot;
  }
  for (uint32_t i = 0; i < n; ++i) s.kinds[base + i] = kinds[i];
  s.next_slot = base + n;
  return base;
}

Cell* TouchCell(uint32_t slot) noexcept {
  if (tls_exited || slot == kNoSlot) return nullptr;
  ThreadCells* t = tls_cells;
  if (t == nullptr) {
    t = new (std::nothrow) ThreadCells;
    if (t == nullptr) return nullptr;
    Store& s = GetStore();
    {
      std::lock_guard<std::mutex> lock(s.mu);
      try {
        s.threads.push_back(t);
      } catch (...) {
        delete t;
        return nullptr;
      }
    }
    tls_cells = t;
    tls_reaper.armed = true;  // registers the thread-exit destructor
  }
  std::atomic<Cell*>& slot_chunk = t->chunks[slot >> kChunkBits];
  Cell* chunk = slot_chunk.load(std::memory_order_relaxed);
  if (chunk == nullptr) {
    chunk = new (std::nothrow) Cell[kChunkSize]();
    if (chunk == nullptr) return nullptr;
    slot_chunk.store(chunk, std::memory_order_release);  // readers load with acquire
  }
  return chunk + (slot & (kChunkSize - 1));
}

void AddRetired(uint32_t slot, uint64_t n) noexcept {
  if (slot == kNoSlot) return;
  Store& s = GetStore();
  std::lock_guard<std::mutex> lock(s.mu);
  if (uint64_t* r = s.RetiredCell(slot)) *r += n;
}

void AddRetired(uint32_t slot, double v) noexcept {
  if (slot == kNoSlot) return;
  Store& s = GetStore();
  std::lock_guard<std::mutex> lock(s.mu);
  if (uint64_t* r = s.RetiredCell(slot)) {
    *r = std::bit_cast<uint64_t>(std::bit_cast<double>(*r) + v);
  }
}

CellReader::CellReader() : lock_(GetStore().mu) {}

uint64_t CellReader::U64(uint32_t slot) const {
  if (slot == kNoSlot) return 0;
  Store& s = GetStore();
  uint32_t ci = slot >> kChunkBits, off = slot & (kChunkSize - 1);
  uint64_t sum = s.retired[ci] != nullptr ? s.retired[ci][off] : 0;
  for (ThreadCells* t : s.threads) {
    Cell* chunk = t->chunks[ci].load(std::memory_order_acquire);
    if (chunk != nullptr) sum += chunk[off].load(std::memory_order_relaxed);
  }
  return sum;
}

double CellReader::F64(uint32_t slot) const {
  if (slot == kNoSlot) return 0;
  Store& s = GetStore();
  uint32_t ci = slot >> kChunkBits, off = slot & (kChunkSize - 1);
  double sum = s.retired[ci] != nullptr ? std::bit_cast<double>(s.retired[ci][off]) : 0.0;
  for (ThreadCells* t : s.threads) {
    Cell* chunk = t->chunks[ci].load(std::memory_order_acquire);
    if (chunk != nullptr) sum += std::bit_cast<double>(chunk[off].load(std::memory_order_relaxed));
  }
  return sum;
}

size_t LiveCellThreads() noexcept {
  Store& s = GetStore();
  std::lock_guard<std::mutex> lock(s.mu);
  return s.threads.size();
}

}  // namespace quartet::metrics_internal
