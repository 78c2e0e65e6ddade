// BoundAttrs: the attributes a child logger (Logger::With) carries, copied
// into owned storage and rendered to their JSON fragment once, so each line
// only appends the fragment. Immutable after Make(); shared between loggers
// and in-flight records by shared_ptr; thread-safe to read.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "quartet/log.h"

namespace quartet::log_internal {

struct BoundAttrs {
  std::string json;            // ,"k":v,... (reserved keys renamed, see log_line.h)
  std::vector<LogAttr> attrs;  // structured copy for sinks; strings point into arena
  std::string arena;           // owns every key and string value of attrs

  // parent may be null. Never throws: on allocation failure returns parent.
  static std::shared_ptr<const BoundAttrs> Make(const std::shared_ptr<const BoundAttrs>& parent,
                                                std::span<const LogAttr> added) noexcept;
};

}  // namespace quartet::log_internal
