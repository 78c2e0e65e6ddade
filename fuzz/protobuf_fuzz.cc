// Fuzzes protobuf::Reader: walks arbitrary input as a message, descending
// into every length-delimited field as if it were a nested message, and
// reads every field through each typed accessor and the packed helpers.
// Must never crash, read out of bounds or recurse past kMaxDepth.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "wire/protobuf/reader.h"

namespace {

using quartet::protobuf::Field;
using quartet::protobuf::Reader;
using quartet::protobuf::WireType;

size_t Walk(Reader& r) {
  size_t fields = 0;
  Field f;
  while (r.Next(&f)) {
    ++fields;
    (void)f.Uint64();
    (void)f.Sint32();
    (void)f.Double();
    (void)f.Float();
    (void)f.Bytes();
    std::vector<uint64_t> u;
    std::vector<double> d;
    (void)quartet::protobuf::AppendVarints(f, &u);
    (void)quartet::protobuf::AppendFixed64s(f, &u);
    (void)quartet::protobuf::AppendDoubles(f, &d);
    if (f.type == WireType::kLengthDelimited) {
      auto child = r.Message(f);
      if (child.ok()) fields += Walk(*child);
    }
  }
  // An error stops the walk for good.
  if (!r.status().ok() && r.Next(&f)) __builtin_trap();
  return fields;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader r(std::string_view(reinterpret_cast<const char*>(data), size));
  Walk(r);
  return 0;
}
