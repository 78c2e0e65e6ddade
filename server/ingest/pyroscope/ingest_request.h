// Parsing of Pyroscope /ingest uploads into what the profile store takes:
// the `name` parameter ("app.cpu{k=v,...}"), from/until in any of the unix
// units Pyroscope accepts, the body (pprof raw or gzipped, multipart/form-
// data with a `profile` part and an optional `sample_type_config` JSON part,
// or folded "a;b;c 12" / "lines" text) and the series labels and __name__
// derived as docs/formats/profiles.md describes. Every failure is
// InvalidArgument with a message naming the parameter, part or line; nothing
// here stores anything. Pure functions: thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "server/http/http_message.h"
#include "server/store/interface.h"
#include "wire/pprof/profile.h"

namespace quartet::ingest {

struct AppName {
  std::string app;     // "shop" of "shop.cpu{...}"
  std::string suffix;  // "cpu", or "" when the name has no known type suffix
  store::Labels tags;  // sorted; keys with '.' or '-' turned into '_'
};
Result<AppName> ParseAppName(std::string_view name);

// A unix time in seconds, milliseconds, microseconds or nanoseconds (told
// apart by magnitude, as Pyroscope does), as nanoseconds.
Result<int64_t> ParseUnixTime(std::string_view text, std::string_view param);

struct MultipartPart {
  std::string name;      // form field name
  std::string filename;  // "" when absent
  std::string_view body;
};
// multipart/form-data (RFC 7578); `content_type` carries the boundary.
Result<std::vector<MultipartPart>> ParseMultipart(std::string_view content_type,
                                                  std::string_view body);

struct FoldedOptions {
  std::string units = "samples";  // samples, objects, bytes, goroutines, lock_samples, ...
  int64_t sample_rate_hz = 100;
  bool lines = false;  // "lines" format: one stack per line, value 1, no count
  size_t max_lines = 1 << 20;
};
// Folded/collapsed stacks ("root;child;leaf 12" per line) as a pprof with
// one sample type from `units`; "samples" also gets cpu nanoseconds
// (count * 1e9 / sample_rate) so it selects as process_cpu:cpu:nanoseconds.
Result<pprof::Profile> ParseFolded(std::string_view body, const FoldedOptions& options);

// Applies Pyroscope's sample_type_config JSON ({"<type>": {"units": "...",
// "display-name": "..."}}) to the profile's sample types.
Status ApplySampleTypeConfig(std::string_view json, pprof::Profile* profile);

// The __name__ of a profile uploaded as "<app>.<suffix>": from the pprof's
// sample types (cpu -> process_cpu, wall -> wall, alloc_*/inuse_*/objects/
// space -> memory, contentions/delay -> mutex or block, goroutine(s) ->
// goroutine), else from the suffix, else "process_cpu" for a cpu period
// type, else the first sample type's name.
std::string ProfileName(std::string_view suffix, const pprof::Profile& profile);

struct IngestLimits {
  size_t max_body_bytes = 64u << 20;   // of the (decompressed) profile
  int64_t budget_per_input_byte = 64;  // pprof decode allocation budget
};

struct IngestUpload {
  store::Labels labels;  // __name__, service_name, tags, pyroscope_spy
  int64_t from_ns = 0;
  int64_t until_ns = 0;
  pprof::Profile profile;
};
// The whole request, as PyroscopeIngest stores it.
Result<IngestUpload> ParseIngestRequest(const server::HttpRequest& request,
                                        const IngestLimits& limits, int64_t now_ns);

}  // namespace quartet::ingest
