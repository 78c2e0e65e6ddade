// The parsers behind `| json` and `| logfmt`: they read one log line and
// report the fields they find through a callback, without building a tree.
// Label names are sanitised as Loki does (bytes outside [A-Za-z0-9_] become
// '_'; a leading digit gets a '_' prefix). Pure functions; thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "server/query/logql/ast.h"

namespace quartet::logql {

using FieldFn = std::function<void(std::string_view name, std::string_view value)>;

// Flattens a JSON object: nested objects join keys with '_' ({"a":{"b":1}} ->
// a_b="1"); strings are unescaped, numbers and booleans kept as written;
// arrays and nulls are skipped. `scratch` avoids allocation across calls.
// InvalidArgument describing the first syntax error (fields before it were
// already reported).
Status ParseJsonFields(std::string_view line, const FieldFn& fn, std::string* scratch);

// Looks up one path; sets *out to the value (strings unescaped, objects and
// arrays as raw JSON text) and returns true when present and not null.
bool ExtractJsonPath(std::string_view line, const std::vector<JsonPathSegment>& path,
                     std::string* out);

// Reads logfmt `key=value key2="quoted \"v\"" flag`; a bare key gets "".
// InvalidArgument on a missing key or an unterminated quote.
Status ParseLogfmtFields(std::string_view line, const FieldFn& fn, std::string* scratch);

// Appends `name` sanitised to a valid label name.
void AppendSanitizedLabel(std::string_view name, std::string* out);

}  // namespace quartet::logql
