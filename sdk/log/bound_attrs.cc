#include "sdk/log/bound_attrs.h"

#include <new>

#include "sdk/log/log_line.h"

namespace quartet::log_internal {

std::shared_ptr<const BoundAttrs> BoundAttrs::Make(const std::shared_ptr<const BoundAttrs>& parent,
                                                   std::span<const LogAttr> added) noexcept {
  if (added.empty()) return parent;
  try {
    auto b = std::make_shared<BoundAttrs>();
    std::vector<LogAttr> all;
    if (parent != nullptr) all = parent->attrs;
    all.insert(all.end(), added.begin(), added.end());
    // Copy every string into one arena sized up front, so the views taken
    // below stay valid (the arena never reallocates after this reserve).
    size_t bytes = 0;
    for (const LogAttr& a : all) {
      bytes += a.key().size();
      if (a.type() == LogAttr::Type::kString) bytes += a.string_value().size();
    }
    b->arena.reserve(bytes);
    auto keep = [&](std::string_view s) {
      const size_t at = b->arena.size();
      b->arena.append(s);
      return std::string_view(b->arena.data() + at, s.size());
    };
    b->attrs.reserve(all.size());
    for (const LogAttr& a : all) {
      const std::string_view key = keep(a.key());
      const std::string_view str =
          a.type() == LogAttr::Type::kString ? keep(a.string_value()) : std::string_view();
      b->attrs.push_back(MakeAttr(a.type(), key, str, AttrBits(a)));
    }
    for (const LogAttr& a : b->attrs) AppendAttr(a, &b->json);
    return b;
  } catch (...) {  // std::bad_alloc: keep logging with the parent's attributes
    return parent;
  }
}

}  // namespace quartet::log_internal
