// HeadArena: where a metric head keeps its long-lived chunk bytes (sealed
// chunks, open chunks' bit streams). Blocks come in size classes (16-byte
// steps up to 128 bytes, then 8 classes per power of two, so at most 1/8 of
// a block is rounding) carved from regions the arena maps itself; a freed
// block goes to its class's free list and serves the next request of that
// class. The whole arena is unmapped when the head is destroyed.
//
// Why not malloc: a remote_write request allocates megabytes of transient
// label strings and vectors while the head grows its chunks; in malloc's
// heap the two interleave, and the holes the transients leave are kept as
// RSS (measured: half of the head's 4 KiB per series). Here chunk bytes
// sit densely in their own pages and the heap is left to transients,
// which malloc can return between requests.
//
// Thread-safety: none; the head's owner serialises writers. Reading blocks
// concurrently is fine (the arena never moves a live block).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "server/store/metrics/chunk.h"  // ByteArena

namespace quartet::store {

class HeadArena final : public ByteArena {
 public:
  HeadArena() = default;
  ~HeadArena() override;
  HeadArena(const HeadArena&) = delete;
  HeadArena& operator=(const HeadArena&) = delete;

  // A block of at least `n` bytes, 16-byte aligned; `Capacity(n)` bytes are
  // usable. n == 0 returns null. Blocks over kMaxClassBytes come from the
  // global heap (freed with the arena unless returned before).
  char* Allocate(size_t n) override;
  // Returns a block; `n` is the size it was allocated with (or any size
  // with the same Capacity).
  void Free(char* p, size_t n) override;
  // The usable size of a block allocated for n bytes.
  size_t Capacity(size_t n) const override;

  // Bytes taken from the system (mapped regions touched so far, plus large
  // blocks): what the head costs in memory.
  size_t MemoryBytes() const { return used_ + large_bytes_; }
  // Bytes in live blocks (by capacity).
  size_t LiveBytes() const { return live_; }

  static constexpr size_t kMaxClassBytes = 16 * 1024;

 private:
  static int ClassOf(size_t n);
  static size_t ClassBytes(int c);
  char* Carve(size_t bytes);

  static constexpr int kClasses = 8 + 8 * 7;  // 16..128, then 8 per doubling to 16 KiB
  // Free blocks of each class, linked through their first 8 bytes.
  char* free_[kClasses] = {};
  struct Region {
    char* base;
    size_t size;
  };
  std::vector<Region> regions_;
  struct LargeBlock;
  LargeBlock* large_ = nullptr;  // blocks over kMaxClassBytes, from the heap
  char* bump_ = nullptr;
  char* bump_end_ = nullptr;
  size_t used_ = 0;  // carved from regions
  size_t live_ = 0;
  size_t large_bytes_ = 0;
};

}  // namespace quartet::store
