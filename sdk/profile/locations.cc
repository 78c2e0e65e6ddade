#include "sdk/profile/locations.h"

namespace quartet::profile_internal {

LocationTable::LocationTable(pprof::ProfileBuilder* builder, Symbolizer* symbolizer)
    : builder_(builder), symbolizer_(symbolizer) {
  symbolizer_->BeginBatch();
}

uint64_t LocationTable::Location(uintptr_t pc) {
  auto it = ids_.find(pc);
  if (it != ids_.end()) return it->second;
  Resolved r = symbolizer_->Resolve(pc);
  uint64_t mapping = 0, function = 0;
  if (r.segment != nullptr) {
    const Module& m = *r.segment->module;
    mapping = builder_->Mapping(r.segment->start, r.segment->limit, r.segment->file_offset, m.path,
                                m.build_id, !m.symbols.empty());
    if (r.symbol != nullptr) {
      function =
          builder_->Function(*r.name, r.symbol->mangled,
                             r.file != nullptr ? std::string_view(*r.file) : "", r.start_line);
    }
    if (r.file != nullptr) mappings_with_lines_.insert(mapping);
  }
  uint64_t id = builder_->LocationForAddress(pc, mapping, function, r.line);
  ids_.emplace(pc, id);
  return id;
}

pprof::Profile LocationTable::Finish() {
  LineStats stats = symbolizer_->line_stats();
  if (stats.over_bound != 0 || stats.failed != 0) {
    builder_->AddComment("quartet: no file:line for " + std::to_string(stats.over_bound) +
                         " objects (line table over its bound), " + std::to_string(stats.failed) +
                         " (unreadable DWARF)");
  }
  pprof::Profile profile = builder_->Release();
  for (pprof::Mapping& m : profile.mapping) {
    if (mappings_with_lines_.count(m.id) != 0) {
      m.has_filenames = true;
      m.has_line_numbers = true;
    }
  }
  return profile;
}

}  // namespace quartet::profile_internal
