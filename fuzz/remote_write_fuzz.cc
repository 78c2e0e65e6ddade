// Fuzzes the remote_write 1.0 decoder (wire/prometheus/remote_write.h): the
// input is an uncompressed WriteRequest. Whatever decodes must re-encode and
// decode again to the same series count (the decoder's output is valid by
// construction), and hostile input must stay within the allocation budget.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "wire/prometheus/remote_write.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace rw = quartet::prometheus::rw;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto req = rw::DecodeWriteRequest(in);
  if (!req.ok()) return 0;
  auto again = rw::DecodeWriteRequest(rw::EncodeWriteRequest(*req));
  if (!again.ok() || again->timeseries.size() != req->timeseries.size() ||
      again->metadata.size() != req->metadata.size()) {
    __builtin_trap();
  }
  for (size_t i = 0; i < req->timeseries.size(); ++i) {
    if (again->timeseries[i].labels.size() != req->timeseries[i].labels.size() ||
        again->timeseries[i].samples.size() != req->timeseries[i].samples.size()) {
      __builtin_trap();
    }
  }
  return 0;
}
