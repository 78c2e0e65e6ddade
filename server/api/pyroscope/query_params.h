// Parameters of the Pyroscope-shaped query API: the profile query
// ("<profile type>{label matchers}", the selector syntax of PromQL, whose
// metric names may contain ':'), times as Pyroscope accepts them (unix
// seconds, milliseconds, microseconds or nanoseconds by digit count,
// "now", "now-1h", RFC 3339), and span id lists for span profiles. Errors are
// InvalidArgument naming the parameter, for a 400.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "server/http/http_message.h"
#include "server/query/profiles/profile_type.h"
#include "server/query/profiles/stack_merger.h"
#include "server/store/interface.h"

namespace quartet::api {

struct ProfileQuery {
  profiles::ProfileType type;
  std::vector<store::LabelMatch> matchers;  // on series labels; never __name__
};

// "process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="checkout"}";
// the type may also be given as a __name__="..." matcher. With
// `type_required` false, a bare selector ("{service_name="x"}") is accepted
// and leaves `type` empty.
Result<ProfileQuery> ParseProfileQuery(std::string_view text, bool type_required = true);

// A Pyroscope time: "now", "now-<duration>" / "now+<duration>", an integer of
// up to 10 digits (seconds), 11-13 (ms), 14-16 (us) or more (ns), decimal
// seconds, or RFC 3339. Unix nanoseconds.
Result<int64_t> ParsePyroscopeTime(std::string_view text, int64_t now_ns);

// Span ids for a span profile: every value of `span_id` and `spanSelector`,
// each a comma-separated list of 16-hex-digit ids; lower-cased.
Result<std::vector<std::string>> SpanIdParams(const server::HttpRequest& request);

}  // namespace quartet::api
