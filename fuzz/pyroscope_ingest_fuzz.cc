// Fuzzes the Pyroscope /ingest parsing (name, pprof raw/gzipped, multipart,
// folded/lines) and, for what parses, the profile store's segment encoding:
// ProfileSegment::Add -> Encode -> DecodeIndex/LoadData -> Materialize. The
// first input byte picks the format; with selector 5 the input is instead
// split into block sections and fed to the segment decoder directly.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/ingest/pyroscope/ingest_request.h"
#include "server/store/block/varint.h"
#include "server/store/profiles/profile_record.h"
#include "server/store/profiles/profile_segment.h"

using namespace quartet;

namespace {

void DecodeSections(std::string_view in) {
  std::string_view s[5];
  for (std::string_view& part : s) {
    if (!store::GetLengthPrefixed(&in, &part)) part = in, in = {};
  }
  Result<store::ProfileSegment> seg = store::ProfileSegment::DecodeIndex(s[0]);
  if (!seg.ok() || !seg->LoadData(s[1], s[2], s[3], s[4]).ok()) return;
  for (size_t i = 0; i < seg->profile_count() && i < 8; ++i) {
    (void)seg->Total(i);
    (void)pprof::Encode(seg->Materialize(i).profile);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const int selector = data[0] % 6;
  if (selector == 5) {
    DecodeSections(body);
    return 0;
  }
  server::HttpRequest request;
  request.method = "POST";
  request.body = std::string(body);
  request.params = {{"name", "app.cpu{env=fuzz}"}, {"from", "1700000000"}, {"until", "1700000010"}};
  static const char* const kFormats[] = {"pprof", "folded", "lines", "pprof", "folded"};
  request.params.emplace_back("format", kFormats[selector]);
  if (selector == 3) {
    request.headers.emplace_back("content-type", "multipart/form-data; boundary=b");
  }
  if (selector == 4) request.params.emplace_back("units", "bytes");
  Result<ingest::IngestUpload> up =
      ingest::ParseIngestRequest(request, {.max_body_bytes = 4 << 20}, 1'700'000'100'000'000'000);
  if (!up.ok() || !store::CheckProfileRefs(up->profile).ok()) return 0;
  store::ProfileSegment seg;
  seg.Add(up->labels, up->from_ns, up->until_ns - up->from_ns, up->profile);
  auto sections = seg.Encode();
  Result<store::ProfileSegment> back = store::ProfileSegment::DecodeIndex(sections["index"]);
  if (!back.ok() || !back->LoadData(sections["strings"], sections["symbols"], sections["stacks"],
                                    sections["samples"])
                         .ok()) {
    __builtin_trap();  // what the segment encodes, it must decode
  }
  for (size_t i = 0; i < back->profile_count(); ++i) {
    if (back->Total(i) != seg.Total(i)) __builtin_trap();
  }
  return 0;
}
