// Compiled stream-selector matchers (interface.h LabelMatch) with Prometheus
// and Loki semantics: =, !=, and RE2 regexes anchored at both ends; a label
// that is absent matches as the empty string. Shared by every table that
// selects streams or series by labels.
// Thread-safety: a compiled matcher set is immutable; share it freely.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "server/store/interface.h"

namespace re2 {
class RE2;
}

namespace quartet::store {

class CompiledMatchers {
 public:
  // InvalidArgument names the matcher whose regex does not compile.
  static Result<CompiledMatchers> Compile(const std::vector<LabelMatch>& matchers);
  ~CompiledMatchers();
  CompiledMatchers(CompiledMatchers&&) noexcept;
  CompiledMatchers& operator=(CompiledMatchers&&) noexcept;

  // True when `labels` (sorted by name) satisfy every matcher.
  bool Matches(const Labels& labels) const;

 private:
  CompiledMatchers() = default;
  struct Compiled {
    LabelMatch match;
    std::shared_ptr<re2::RE2> regex;  // for kRe / kNre
  };
  std::vector<Compiled> matchers_;
};

// The value of label `name` in sorted `labels`, "" when absent.
std::string_view LabelValue(const Labels& labels, std::string_view name);

}  // namespace quartet::store
