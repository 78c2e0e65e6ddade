// SubstringSearcher: the `|=` / `!=` line filter's search. It scans with
// memchr for the needle's rarest byte (by a fixed table of byte frequencies
// in log text) and verifies candidates with memcmp; when a line produces too
// many false candidates it finishes with glibc's memmem (two-way, linear), so
// the worst case stays linear. Immutable after construction; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace quartet::logql {

class SubstringSearcher {
 public:
  explicit SubstringSearcher(std::string needle);

  // True when the needle occurs in `haystack` (always true for "").
  bool Contains(std::string_view haystack) const;

  const std::string& needle() const { return needle_; }

 private:
  std::string needle_;
  size_t rare_ = 0;  // index of the byte memchr looks for
};

}  // namespace quartet::logql
