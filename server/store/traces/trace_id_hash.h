// Hashing of trace ids for hash maps. Trace ids are random (W3C requires
// the low 7 bytes to be), so their last 8 bytes are already a good hash.
// Pure; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "quartet/context.h"

namespace quartet::store {

struct TraceIdHash {
  size_t operator()(const TraceId& id) const {
    uint64_t h;
    std::memcpy(&h, id.bytes.data() + 8, 8);
    return static_cast<size_t>(h);
  }
};

}  // namespace quartet::store
