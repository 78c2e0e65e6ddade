// The PromQL function table: each function's name, argument types (with
// optional or variadic tails), return type. The parser checks calls against
// it; the evaluator dispatches on `id`. Immutable static data; thread-safe.
#pragma once

#include <string_view>
#include <vector>

#include "server/query/promql/ast.h"

namespace quartet::promql {

enum class Func {
  kAbs,
  kAbsent,
  kAbsentOverTime,
  kAcos,
  kAcosh,
  kAsin,
  kAsinh,
  kAtan,
  kAtanh,
  kAvgOverTime,
  kCeil,
  kChanges,
  kClamp,
  kClampMax,
  kClampMin,
  kCos,
  kCosh,
  kCountOverTime,
  kDaysInMonth,
  kDayOfMonth,
  kDayOfWeek,
  kDeg,
  kDelta,
  kDeriv,
  kExp,
  kFloor,
  kHistogramQuantile,
  kHoltWinters,
  kHour,
  kIdelta,
  kIncrease,
  kIrate,
  kLabelReplace,
  kLabelJoin,
  kLastOverTime,
  kLn,
  kLog10,
  kLog2,
  kMaxOverTime,
  kMinOverTime,
  kMinute,
  kMonth,
  kPi,
  kPredictLinear,
  kPresentOverTime,
  kQuantileOverTime,
  kRad,
  kRate,
  kResets,
  kRound,
  kScalar,
  kSgn,
  kSin,
  kSinh,
  kSort,
  kSortDesc,
  kSqrt,
  kStddevOverTime,
  kStdvarOverTime,
  kSumOverTime,
  kTan,
  kTanh,
  kTime,
  kTimestamp,
  kVector,
  kYear,
};

struct FunctionInfo {
  std::string_view name;
  Func id;
  std::vector<ValueType> arg_types;
  // -1: the last argument may repeat without limit; otherwise how many
  // trailing arguments may be left out.
  int variadic;
  ValueType return_type;
};

// The function named `name` (case-sensitive), or null.
const FunctionInfo* LookupFunction(std::string_view name);

}  // namespace quartet::promql
