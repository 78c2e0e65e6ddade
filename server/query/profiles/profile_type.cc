#include "server/query/profiles/profile_type.h"

#include <vector>

namespace quartet::profiles {

std::string ProfileType::Id() const {
  return name + ":" + sample_type + ":" + sample_unit + ":" + period_type + ":" + period_unit;
}

std::string_view ProfileType::Units() const {
  if (sample_type == "cpu" || sample_unit == "nanoseconds") return "samples";
  if (sample_unit == "bytes") return "bytes";
  if (sample_unit == "count" || sample_type == "inuse_objects" || sample_type == "alloc_objects" ||
      sample_type == "goroutine" || sample_type == "goroutines") {
    return "objects";
  }
  return sample_unit;
}

int64_t ProfileType::SampleRate() const {
  return sample_unit == "nanoseconds" ? 1'000'000'000 : 100;
}

Result<ProfileType> ParseProfileType(std::string_view id) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t colon = id.find(':', start);
    parts.push_back(id.substr(start, colon == std::string_view::npos ? colon : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  if (parts.size() != 5) {
    return Status::InvalidArgument(
        "invalid profile type \"" + std::string(id) +
        "\": want <name>:<sample type>:<sample unit>:<period type>:<period unit>");
  }
  for (std::string_view p : parts) {
    if (p.empty()) {
      return Status::InvalidArgument("invalid profile type \"" + std::string(id) +
                                     "\": empty part");
    }
  }
  return ProfileType{std::string(parts[0]), std::string(parts[1]), std::string(parts[2]),
                     std::string(parts[3]), std::string(parts[4])};
}

}  // namespace quartet::profiles
