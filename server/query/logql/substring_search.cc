#include "server/query/logql/substring_search.h"

#include <cstring>

namespace quartet::logql {
namespace {

// Rough frequency rank of bytes in log text (JSON, logfmt, access logs):
// higher is more common. Unlisted bytes (upper case, most punctuation,
// non-ASCII) score 0 and are preferred as memchr targets.
int Commonness(unsigned char c) {
  static constexpr std::string_view kByFrequency =
      " e\"t0a1o:i2n,s3r4l5c6d7u8h9m.p_-g/f=ywbTkvSEAZx";
  size_t pos = kByFrequency.find(static_cast<char>(c));
  return pos == std::string_view::npos ? 0 : static_cast<int>(kByFrequency.size() - pos);
}

}  // namespace

SubstringSearcher::SubstringSearcher(std::string needle) : needle_(std::move(needle)) {
  int best = 1 << 30;
  for (size_t i = 0; i < needle_.size(); ++i) {
    int c = Commonness(static_cast<unsigned char>(needle_[i]));
    if (c < best) {
      best = c;
      rare_ = i;
    }
  }
}

bool SubstringSearcher::Contains(std::string_view hay) const {
  const size_t n = needle_.size();
  if (n == 0) return true;
  if (hay.size() < n) return false;
  const char* base = hay.data();
  const char* const rare_end = base + (hay.size() - n) + rare_ + 1;  // last candidate + 1
  const char rare = needle_[rare_];
  const char* p = base + rare_;
  // Give up on the heuristic after this many false candidates: memmem is
  // linear in the worst case, memchr+memcmp is not.
  size_t budget = 16 + hay.size() / 64;
  while (p < rare_end) {
    p = static_cast<const char*>(std::memchr(p, rare, static_cast<size_t>(rare_end - p)));
    if (p == nullptr) return false;
    const char* start = p - rare_;
    if (std::memcmp(start, needle_.data(), n) == 0) return true;
    if (--budget == 0) {
      return memmem(start + 1, static_cast<size_t>(base + hay.size() - start - 1), needle_.data(),
                    n) != nullptr;
    }
    ++p;
  }
  return false;
}

}  // namespace quartet::logql
