// Fuzzes the remote_write 1.0 decoder (wire/prometheus/remote_write.h), its
// owned and view forms and the generic view decoder quartetd's receiver uses
// (remote_write_view_decode.h, into a label struct of its own): the input is
// an uncompressed WriteRequest. Whatever decodes must
// re-encode and decode again to the same series count (the decoder's output is valid by
// construction), and hostile input must stay within the allocation budget.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "wire/prometheus/remote_write.h"
#include "wire/prometheus/remote_write_view_decode.h"

namespace {

// A label struct other than LabelView, as the receiver's store::LabelRef.
struct RefLabel {
  std::string_view name;
  std::string_view value;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace rw = quartet::prometheus::rw;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto req = rw::DecodeWriteRequest(in);
  // The receiver's decoder accepts and refuses exactly what the owned form
  // does, with the same labels (views into the input).
  rw::BasicWriteRequestView<RefLabel> refs;
  const quartet::Status st = rw::DecodeWriteRequestInto(in, &refs);
  if (st.ok() != req.ok() || (!st.ok() && st.ToString() != req.status().ToString())) {
    __builtin_trap();
  }
  if (!req.ok()) return 0;
  if (refs.series.size() != req->timeseries.size()) __builtin_trap();
  for (size_t i = 0; i < refs.series.size(); ++i) {
    const auto labels = refs.LabelsOf(refs.series[i]);
    const rw::TimeSeries& ts = req->timeseries[i];
    if (labels.size() != ts.labels.size()) __builtin_trap();
    for (size_t j = 0; j < labels.size(); ++j) {
      if (labels[j].name != ts.labels[j].name || labels[j].value != ts.labels[j].value ||
          labels[j].value.data() < in.data() || labels[j].value.data() > in.data() + in.size()) {
        __builtin_trap();
      }
    }
  }
  auto again = rw::DecodeWriteRequest(rw::EncodeWriteRequest(*req));
  if (!again.ok() || again->timeseries.size() != req->timeseries.size() ||
      again->metadata.size() != req->metadata.size()) {
    __builtin_trap();
  }
  // The re-encoded request takes the decoder's fast paths (canonical field
  // order); the input may have taken the general one: both must agree.
  for (size_t i = 0; i < req->timeseries.size(); ++i) {
    const rw::TimeSeries& a = req->timeseries[i];
    const rw::TimeSeries& b = again->timeseries[i];
    if (a.labels.size() != b.labels.size() || a.samples.size() != b.samples.size()) {
      __builtin_trap();
    }
    for (size_t j = 0; j < a.labels.size(); ++j) {
      if (a.labels[j].name != b.labels[j].name || a.labels[j].value != b.labels[j].value) {
        __builtin_trap();
      }
    }
    for (size_t j = 0; j < a.samples.size(); ++j) {
      if (a.samples[j].timestamp_ms != b.samples[j].timestamp_ms ||
          std::memcmp(&a.samples[j].value, &b.samples[j].value, sizeof(double)) != 0) {
        __builtin_trap();
      }
    }
  }
  // The view the receiver uses decodes the same request.
  rw::WriteRequestView view;
  if (!rw::DecodeWriteRequestView(in, &view).ok() || view.series.size() != req->timeseries.size()) {
    __builtin_trap();
  }
  return 0;
}
