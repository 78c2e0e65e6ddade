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
    if (r.symbol != nullptr) function = builder_->Function(*r.name, r.symbol->mangled, m.path);
  }
  uint64_t id = builder_->LocationForAddress(pc, mapping, function);
  ids_.emplace(pc, id);
  return id;
}

}  // namespace quartet::profile_internal
