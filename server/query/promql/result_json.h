// The Prometheus HTTP API's JSON for query results: RenderDataJson writes
// the `data` object of /api/v1/query and /api/v1/query_range
// ({"resultType":...,"result":...}), RenderSuccessJson the whole
// {"status":"success","data":...} body, RenderErrorJson the
// {"status":"error","errorType":...,"error":...} body. Values are strings
// in Go's FormatFloat 'f' -1 form ("NaN", "+Inf"); times are float seconds.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "server/query/promql/engine.h"

namespace quartet::promql {

std::string RenderDataJson(const QueryResult& result);
std::string RenderSuccessJson(const QueryResult& result);
std::string RenderErrorJson(std::string_view error_type, std::string_view message);
// RenderErrorJson(ErrorType(status), status.message()).
std::string RenderErrorJson(const Status& status);

}  // namespace quartet::promql
