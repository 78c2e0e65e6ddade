#include "server/store/metrics/head_arena.h"

#include <sys/mman.h>

#include <bit>
#include <cstring>
#include <new>

namespace quartet::store {
namespace {

// Regions start small (a test's head touches a page or two) and double up
// to 4 MiB; only the pages carved so far are resident.
constexpr size_t kFirstRegionBytes = 64 * 1024;
constexpr size_t kMaxRegionBytes = 4 * 1024 * 1024;

char* NextOf(char* block) {
  char* next;
  std::memcpy(&next, block, sizeof(next));
  return next;
}

void SetNext(char* block, char* next) { std::memcpy(block, &next, sizeof(next)); }

}  // namespace

// A large block's header: the arena links its large blocks so that its
// destructor frees those its owners never returned (a head frees nothing
// when it is destroyed).
struct HeadArena::LargeBlock {
  LargeBlock* prev;
  LargeBlock* next;
};

HeadArena::~HeadArena() {
  while (large_ != nullptr) {
    LargeBlock* next = large_->next;
    ::operator delete (large_, std::align_val_t{16});
    large_ = next;
  }
  for (const Region& r : regions_) munmap(r.base, r.size);
}

int HeadArena::ClassOf(size_t n) {
  if (n <= 128) return n == 0 ? 0 : static_cast<int>((n - 1) / 16);
  const int k = std::bit_width(n - 1) - 1;  // 2^k < n <= 2^(k+1)
  const size_t sub = (n - 1 - (size_t{1} << k)) >> (k - 3);
  return 8 + (k - 7) * 8 + static_cast<int>(sub);
}

size_t HeadArena::ClassBytes(int c) {
  if (c < 8) return 16 * static_cast<size_t>(c + 1);
  const int k = 7 + (c - 8) / 8;
  const size_t sub = static_cast<size_t>((c - 8) % 8);
  return (size_t{1} << k) + (sub + 1) * (size_t{1} << (k - 3));
}

size_t HeadArena::Capacity(size_t n) const {
  return n > kMaxClassBytes ? n : ClassBytes(ClassOf(n));
}

char* HeadArena::Carve(size_t bytes) {
  if (static_cast<size_t>(bump_end_ - bump_) < bytes) {
    size_t size =
        regions_.empty() ? kFirstRegionBytes : std::min(kMaxRegionBytes, 2 * regions_.back().size);
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    regions_.push_back(Region{static_cast<char*>(p), size});
    bump_ = static_cast<char*>(p);
    bump_end_ = bump_ + size;
  }
  char* out = bump_;
  bump_ += bytes;
  used_ += bytes;
  return out;
}

char* HeadArena::Allocate(size_t n) {
  if (n == 0) return nullptr;
  if (n > kMaxClassBytes) {
    static_assert(sizeof(LargeBlock) == 16);  // keeps the block 16-byte aligned
    large_bytes_ += n;
    auto* block =
        static_cast<LargeBlock*>(::operator new (sizeof(LargeBlock) + n, std::align_val_t{16}));
    block->prev = nullptr;
    block->next = large_;
    if (large_ != nullptr) large_->prev = block;
    large_ = block;
    return reinterpret_cast<char*>(block + 1);
  }
  const int c = ClassOf(n);
  const size_t bytes = ClassBytes(c);
  live_ += bytes;
  if (char* block = free_[c]) {
    free_[c] = NextOf(block);
    return block;
  }
  return Carve(bytes);
}

void HeadArena::Free(char* p, size_t n) {
  if (p == nullptr) return;
  if (n > kMaxClassBytes) {
    large_bytes_ -= n;
    auto* block = reinterpret_cast<LargeBlock*>(p) - 1;
    if (block->prev != nullptr) {
      block->prev->next = block->next;
    } else {
      large_ = block->next;
    }
    if (block->next != nullptr) block->next->prev = block->prev;
    ::operator delete (block, std::align_val_t{16});
    return;
  }
  const int c = ClassOf(n);
  live_ -= ClassBytes(c);
  SetNext(p, free_[c]);
  free_[c] = p;
}

}  // namespace quartet::store
