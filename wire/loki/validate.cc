// Validate(): Loki's per-stream and per-entry ingestion limits. Messages
// follow Loki's wording (pkg/validation/validate.go) so that operators who
// know Loki recognise them, plus the stream index and entry index.
#include "wire/loki/push.h"

namespace quartet::loki {
namespace {

std::string Cut(std::string_view s, size_t max = 128) {
  if (s.size() <= max) return std::string(s);
  return std::string(s.substr(0, max)) + "...";
}

Status ValidateStream(const Stream& stream, const Limits& limits, const std::string& path) {
  if (stream.labels.empty()) {
    return Status::InvalidArgument(path + ": at least one label pair is required per stream");
  }
  if (limits.max_label_names_per_series != 0 &&
      stream.labels.size() > limits.max_label_names_per_series) {
    return Status::InvalidArgument(path + ": stream '" + Cut(FormatLabelSet(stream.labels)) +
                                   "' has " + std::to_string(stream.labels.size()) +
                                   " label names; limit " +
                                   std::to_string(limits.max_label_names_per_series));
  }
  for (const auto& [name, value] : stream.labels) {
    if (limits.max_label_name_length != 0 && name.size() > limits.max_label_name_length) {
      return Status::InvalidArgument(
          path + ": label name too long (" + std::to_string(name.size()) + " bytes, limit " +
          std::to_string(limits.max_label_name_length) + "): '" + Cut(name) + "'");
    }
    if (limits.max_label_value_length != 0 && value.size() > limits.max_label_value_length) {
      return Status::InvalidArgument(path + ": label " + Cut(name) + " has a value too long (" +
                                     std::to_string(value.size()) + " bytes, limit " +
                                     std::to_string(limits.max_label_value_length) + "): '" +
                                     Cut(value) + "'");
    }
  }
  for (size_t i = 0; i < stream.entries.size(); ++i) {
    const Entry& entry = stream.entries[i];
    if (limits.max_line_size != 0 && entry.line.size() > limits.max_line_size) {
      return Status::InvalidArgument(
          path + ".entries[" + std::to_string(i) + "]: max entry size '" +
          std::to_string(limits.max_line_size) + "' bytes exceeded for stream '" +
          Cut(FormatLabelSet(stream.labels)) + "' while adding an entry with length '" +
          std::to_string(entry.line.size()) + "' bytes");
    }
    const auto& md = entry.structured_metadata;
    if (limits.max_structured_metadata_entries != 0 &&
        md.size() > limits.max_structured_metadata_entries) {
      return Status::InvalidArgument(path + ".entries[" + std::to_string(i) +
                                     "]: " + std::to_string(md.size()) +
                                     " structured metadata entries; limit " +
                                     std::to_string(limits.max_structured_metadata_entries));
    }
    size_t md_bytes = 0;
    for (const auto& [name, value] : md) {
      if (name.empty()) {
        return Status::InvalidArgument(path + ".entries[" + std::to_string(i) +
                                       "]: structured metadata with an empty name");
      }
      md_bytes += name.size() + value.size();
    }
    if (limits.max_structured_metadata_bytes != 0 &&
        md_bytes > limits.max_structured_metadata_bytes) {
      return Status::InvalidArgument(path + ".entries[" + std::to_string(i) +
                                     "]: structured metadata of " + std::to_string(md_bytes) +
                                     " bytes; limit " +
                                     std::to_string(limits.max_structured_metadata_bytes));
    }
  }
  return Status::Ok();
}

}  // namespace

Status Validate(const PushRequest& push, const Limits& limits) {
  for (size_t s = 0; s < push.streams.size(); ++s) {
    RETURN_IF_ERROR(ValidateStream(push.streams[s], limits, "streams[" + std::to_string(s) + "]"));
  }
  return Status::Ok();
}

}  // namespace quartet::loki
