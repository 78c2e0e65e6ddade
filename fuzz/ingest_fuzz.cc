// Fuzz target for the small parsers quartetd runs on untrusted input outside
// the wire codecs: query-API times, durations and trace ids, config sizes,
// the trace link found in a log line, and the log table's WAL records. None
// may crash; whatever decodes must round-trip where an encoder exists.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/duration.h"
#include "server/api/params.h"
#include "server/api/tempo/tempo_api.h"
#include "server/config/config.h"
#include "server/ingest/trace_link.h"
#include "server/store/logs/log_record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace quartet;
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  (void)api::ParseTime(in);
  (void)ParseDuration(in);
  (void)server::ParseBytes(in);
  Result<TraceId> id = api::ParseTraceId(in);
  if (id.ok() && !id->valid()) std::abort();

  store::Labels metadata;
  if (size > 2) metadata.emplace_back("trace_id", std::string(in.substr(0, size / 2)));
  const ingest::TraceLink link = ingest::FindTraceLink(in, metadata);
  if (!link.trace_id.valid() && link.span_id.valid()) std::abort();  // no span without trace

  Result<std::vector<store::LogStream>> batch = store::DecodeLogBatch(in);
  if (batch.ok()) {
    Result<std::vector<store::LogStream>> again =
        store::DecodeLogBatch(store::EncodeLogBatch(*batch));
    if (!again.ok() || again->size() != batch->size()) std::abort();
    for (size_t i = 0; i < batch->size(); ++i) {
      if ((*again)[i].labels != (*batch)[i].labels ||
          (*again)[i].entries.size() != (*batch)[i].entries.size()) {
        std::abort();
      }
    }
  }
  return 0;
}
