// Function calls other than the range-vector functions (range_functions.cc):
// element-wise math, clamp/round, date parts, time/vector/scalar/timestamp,
// absent, sort, label_replace/label_join and histogram_quantile over
// classic `le` buckets, as Prometheus 2.42's functions.go.
#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <unordered_map>

#include "server/query/promql/evaluator.h"
#include "server/query/promql/format.h"
#include "server/query/promql/functions.h"

namespace quartet::promql::internal {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Go's math.Max/Min: NaN wins, and +0 > -0.
double GoMax(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return kNaN;
  if (a == 0 && b == 0) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}
double GoMin(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return kNaN;
  if (a == 0 && b == 0) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

struct CivilTime {
  int64_t year;
  int month, day, hour, minute, weekday;
};

// Go's time.Unix(int64(v), 0).UTC() broken down the way package time does
// it (from "absolute" seconds since year -292277022399, with Go's wrapping
// int64 arithmetic), so that even NaN and huge values give Go's answers.
CivilTime ToCivil(double v) {
  // Go's int64(float64) on amd64 yields MinInt64 for NaN and out-of-range.
  int64_t secs = (std::isnan(v) || v >= 9.2233720368547758e18 || v < -9.2233720368547758e18)
                     ? std::numeric_limits<int64_t>::min()
                     : static_cast<int64_t>(v);
  constexpr uint64_t kUnixToInternal = 62135596800ULL;
  constexpr uint64_t kInternalToAbsolute = 9223371966579724800ULL;
  constexpr int64_t kAbsoluteZeroYear = -292277022399LL;
  uint64_t abs = static_cast<uint64_t>(secs) + kUnixToInternal + kInternalToAbsolute;
  CivilTime c;
  c.hour = static_cast<int>(abs % 86400 / 3600);
  c.minute = static_cast<int>(abs % 3600 / 60);
  c.weekday = static_cast<int>((abs + 86400) % (7 * 86400) / 86400);
  constexpr uint64_t kDays400 = 365 * 400 + 97, kDays100 = 365 * 100 + 24, kDays4 = 365 * 4 + 1;
  uint64_t d = abs / 86400;
  uint64_t n = d / kDays400;
  uint64_t y = 400 * n;
  d -= kDays400 * n;
  n = d / kDays100;
  n -= n >> 2;
  y += 100 * n;
  d -= kDays100 * n;
  n = d / kDays4;
  y += 4 * n;
  d -= kDays4 * n;
  n = d / 365;
  n -= n >> 2;
  y += n;
  d -= 365 * n;
  c.year = static_cast<int64_t>(y) + kAbsoluteZeroYear;
  int day = static_cast<int>(d);
  bool leap = c.year % 4 == 0 && (c.year % 100 != 0 || c.year % 400 == 0);
  if (leap) {
    if (day > 31 + 29 - 1) {
      day--;
    } else if (day == 31 + 29 - 1) {
      c.month = 2;
      c.day = 29;
      return c;
    }
  }
  static constexpr int kDaysBefore[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365};
  int month = day / 31;
  int end = kDaysBefore[month + 1];
  int begin;
  if (day >= end) {
    month++;
    begin = end;
  } else {
    begin = kDaysBefore[month];
  }
  c.month = month + 1;
  c.day = day - begin + 1;
  return c;
}

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// Go's regexp Expand: $1, ${1}, $name, ${name}, $$.
std::string ExpandTemplate(std::string_view tmpl, const re2::RE2& re, std::string_view src,
                           const std::vector<re2::StringPiece>& groups) {
  std::string out;
  const auto& names = re.NamedCapturingGroups();
  for (size_t i = 0; i < tmpl.size();) {
    char c = tmpl[i];
    if (c != '$') {
      out += c;
      ++i;
      continue;
    }
    if (i + 1 < tmpl.size() && tmpl[i + 1] == '$') {
      out += '$';
      i += 2;
      continue;
    }
    size_t j = i + 1;
    bool brace = j < tmpl.size() && tmpl[j] == '{';
    if (brace) ++j;
    size_t name_start = j;
    while (j < tmpl.size() &&
           (std::isalnum(static_cast<unsigned char>(tmpl[j])) || tmpl[j] == '_')) {
      ++j;
    }
    std::string_view name = tmpl.substr(name_start, j - name_start);
    bool ok = !name.empty() && (!brace || (j < tmpl.size() && tmpl[j] == '}'));
    if (!ok) {
      out += '$';
      ++i;
      continue;
    }
    if (brace) ++j;
    i = j;
    int index = -1;
    bool numeric =
        std::all_of(name.begin(), name.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    if (numeric) {
      index = name.size() > 9 ? -1 : std::stoi(std::string(name));
    } else if (auto it = names.find(std::string(name)); it != names.end()) {
      index = it->second;
    }
    if (index >= 0 && static_cast<size_t>(index) < groups.size() &&
        groups[index].data() != nullptr) {
      out.append(groups[index].data(), groups[index].size());
    }
  }
  (void)src;
  return out;
}

Labels AbsentLabels(const Expr* arg) {
  arg = Unparen(arg);
  Labels out;
  if (arg->kind != ExprKind::kVectorSelector && arg->kind != ExprKind::kMatrixSelector) return out;
  std::vector<std::string> drop;
  for (const Matcher& m : arg->matchers) {
    if (m.name() == kMetricName) continue;
    if (m.type() == Matcher::Type::kEqual && GetLabel(out, m.name()).empty() &&
        std::find(drop.begin(), drop.end(), m.name()) == drop.end()) {
      SetLabel(&out, m.name(), m.value());
    } else {
      drop.push_back(m.name());
    }
  }
  for (const std::string& d : drop) DeleteLabel(&out, d);
  return out;
}

bool IsRangeFunction(Func f) {
  switch (f) {
    case Func::kAbsentOverTime:
    case Func::kAvgOverTime:
    case Func::kChanges:
    case Func::kCountOverTime:
    case Func::kDelta:
    case Func::kDeriv:
    case Func::kHoltWinters:
    case Func::kIdelta:
    case Func::kIncrease:
    case Func::kIrate:
    case Func::kLastOverTime:
    case Func::kMaxOverTime:
    case Func::kMinOverTime:
    case Func::kPredictLinear:
    case Func::kPresentOverTime:
    case Func::kQuantileOverTime:
    case Func::kRate:
    case Func::kResets:
    case Func::kStddevOverTime:
    case Func::kStdvarOverTime:
    case Func::kSumOverTime:
      return true;
    default:
      return false;
  }
}

}  // namespace

double BucketQuantile(double q, std::vector<std::pair<double, double>> b) {
  if (std::isnan(q)) return kNaN;
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  std::stable_sort(b.begin(), b.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  if (!(std::isinf(b.back().first) && b.back().first > 0)) return kNaN;
  // Coalesce equal bounds, then make the counts monotonic.
  std::vector<std::pair<double, double>> c;
  for (const auto& x : b) {
    if (!c.empty() && c.back().first == x.first) {
      c.back().second += x.second;
    } else {
      c.push_back(x);
    }
  }
  double max = -std::numeric_limits<double>::infinity();
  for (auto& x : c) {
    if (x.second > max) {
      max = x.second;
    } else if (x.second < max) {
      x.second = max;
    }
  }
  if (c.size() < 2) return kNaN;
  double observations = c.back().second;
  if (observations == 0) return kNaN;
  double rank = q * observations;
  size_t n = c.size() - 1;
  size_t i = 0;
  {  // sort.Search: the first index in [0, n) with count >= rank.
    size_t lo = 0, hi = n;
    while (lo < hi) {
      size_t h = lo + (hi - lo) / 2;
      if (!(c[h].second >= rank)) {
        lo = h + 1;
      } else {
        hi = h;
      }
    }
    i = lo;
  }
  if (i == n) return c[n - 1].first;
  if (i == 0 && c[0].first <= 0) return c[0].first;
  double start = 0, end = c[i].first, count = c[i].second;
  if (i > 0) {
    start = c[i - 1].first;
    count -= c[i - 1].second;
    rank -= c[i - 1].second;
  }
  return start + (end - start) * (rank / count);
}

Vector HistogramQuantile(double q, const Vector& in) {
  struct Group {
    Labels labels;
    std::vector<std::pair<double, double>> buckets;
  };
  std::vector<Group> groups;
  std::unordered_map<std::string, size_t> index;
  for (const VectorSample& s : in) {
    std::optional<double> le = GoParseFloat(GetLabel(s.labels, "le"));
    if (!le) continue;
    Labels without_le = s.labels;
    DeleteLabel(&without_le, "le");
    auto [it, inserted] = index.try_emplace(LabelsKey(without_le), groups.size());
    if (inserted) groups.push_back(Group{DropMetricName(std::move(without_le)), {}});
    groups[it->second].buckets.emplace_back(*le, s.v);
  }
  Vector out;
  for (Group& g : groups)
    out.push_back(VectorSample{std::move(g.labels), BucketQuantile(q, std::move(g.buckets))});
  return out;
}

Result<const re2::RE2*> Evaluator::Regex(const Expr& e, const std::string& pattern) {
  auto it = regex_.find(&e);
  if (it != regex_.end()) return it->second.get();
  RE2::Options opts;
  opts.set_log_errors(false);
  auto re = std::make_shared<RE2>("^(?:" + pattern + ")$", opts);
  if (!re->ok()) {
    return ExecError("invalid regular expression in label_replace(): " + pattern);
  }
  return (regex_[&e] = std::move(re)).get();
}

Result<Value> Evaluator::EvalCall(const Expr& e, int64_t ts) {
  Func f = e.func->id;
  if (IsRangeFunction(f)) return EvalRangeFunction(e, ts);
  Value out;
  out.type = e.type();
  // Evaluate arguments: scalars and strings by value, the vector argument.
  std::vector<Value> args;
  if (f == Func::kTimestamp && Unparen(e.args[0].get())->kind == ExprKind::kVectorSelector) {
    std::vector<int64_t> times;
    Vector v = EvalVectorSelector(*Unparen(e.args[0].get()), ts, &times);
    for (size_t i = 0; i < v.size(); ++i) {
      out.vec.push_back(VectorSample{DropMetricName(std::move(v[i].labels)),
                                     static_cast<double>(times[i]) / 1000});
    }
    RETURN_IF_ERROR(CheckDuplicates(out.vec));
    return out;
  }
  for (const ExprPtr& a : e.args) {
    ASSIGN_OR_RETURN(Value v, Eval(*a, ts));
    args.push_back(std::move(v));
  }
  auto map = [&](auto fn) {
    for (VectorSample& s : args[0].vec) {
      out.vec.push_back(VectorSample{DropMetricName(std::move(s.labels)), fn(s.v)});
    }
  };
  auto date = [&](auto part) {
    if (args.empty()) {
      out.vec.push_back(
          VectorSample{{}, static_cast<double>(part(ToCivil(static_cast<double>(ts) / 1000)))});
      return;
    }
    map([&](double v) { return static_cast<double>(part(ToCivil(v))); });
  };
  switch (f) {
    case Func::kAbs:
      map([](double v) { return std::fabs(v); });
      break;
    case Func::kCeil:
      map([](double v) { return std::ceil(v); });
      break;
    case Func::kFloor:
      map([](double v) { return std::floor(v); });
      break;
    case Func::kExp:
      map([](double v) { return std::exp(v); });
      break;
    case Func::kSqrt:
      map([](double v) { return std::sqrt(v); });
      break;
    case Func::kLn:
      map([](double v) { return std::log(v); });
      break;
    case Func::kLog2:
      map([](double v) { return std::log2(v); });
      break;
    case Func::kLog10:
      map([](double v) { return std::log10(v); });
      break;
    case Func::kSin:
      map([](double v) { return std::sin(v); });
      break;
    case Func::kCos:
      map([](double v) { return std::cos(v); });
      break;
    case Func::kTan:
      map([](double v) { return std::tan(v); });
      break;
    case Func::kAsin:
      map([](double v) { return std::asin(v); });
      break;
    case Func::kAcos:
      map([](double v) { return std::acos(v); });
      break;
    case Func::kAtan:
      map([](double v) { return std::atan(v); });
      break;
    case Func::kSinh:
      map([](double v) { return std::sinh(v); });
      break;
    case Func::kCosh:
      map([](double v) { return std::cosh(v); });
      break;
    case Func::kTanh:
      map([](double v) { return std::tanh(v); });
      break;
    case Func::kAsinh:
      map([](double v) { return std::asinh(v); });
      break;
    case Func::kAcosh:
      map([](double v) { return std::acosh(v); });
      break;
    case Func::kAtanh:
      map([](double v) { return std::atanh(v); });
      break;
    case Func::kDeg:
      map([](double v) { return v * 180 / std::numbers::pi; });
      break;
    case Func::kRad:
      map([](double v) { return v * std::numbers::pi / 180; });
      break;
    case Func::kSgn:
      map([](double v) { return v < 0 ? -1.0 : v > 0 ? 1.0 : v; });
      break;
    case Func::kRound: {
      double to = args.size() > 1 ? args[1].scalar : 1;
      double inv = 1.0 / to;
      map([&](double v) { return std::floor(v * inv + 0.5) / inv; });
      break;
    }
    case Func::kClamp: {
      double lo = args[1].scalar, hi = args[2].scalar;
      if (hi < lo) break;
      map([&](double v) { return GoMax(lo, GoMin(hi, v)); });
      break;
    }
    case Func::kClampMax: {
      double hi = args[1].scalar;
      map([&](double v) { return GoMin(v, hi); });
      break;
    }
    case Func::kClampMin: {
      double lo = args[1].scalar;
      map([&](double v) { return GoMax(v, lo); });
      break;
    }
    case Func::kMinute:
      date([](const CivilTime& c) { return c.minute; });
      break;
    case Func::kHour:
      date([](const CivilTime& c) { return c.hour; });
      break;
    case Func::kDayOfWeek:
      date([](const CivilTime& c) { return c.weekday; });
      break;
    case Func::kDayOfMonth:
      date([](const CivilTime& c) { return c.day; });
      break;
    case Func::kDaysInMonth:
      date([](const CivilTime& c) { return DaysInMonth(c.year, c.month); });
      break;
    case Func::kMonth:
      date([](const CivilTime& c) { return c.month; });
      break;
    case Func::kYear:
      date([](const CivilTime& c) { return static_cast<double>(c.year); });
      break;
    case Func::kPi:
      out.scalar = std::numbers::pi;
      break;
    case Func::kTime:
      out.scalar = static_cast<double>(ts) / 1000;
      break;
    case Func::kVector:
      out.vec.push_back(VectorSample{{}, args[0].scalar});
      break;
    case Func::kScalar:
      out.scalar = args[0].vec.size() == 1 ? args[0].vec[0].v : kNaN;
      break;
    case Func::kTimestamp:
      map([&](double) { return static_cast<double>(ts) / 1000; });
      break;
    case Func::kAbsent:
      if (args[0].vec.empty()) out.vec.push_back(VectorSample{AbsentLabels(e.args[0].get()), 1});
      break;
    case Func::kSort:
    case Func::kSortDesc: {
      out.vec = std::move(args[0].vec);
      bool desc = f == Func::kSortDesc;
      // Prometheus puts NaN last in both directions.
      std::stable_sort(out.vec.begin(), out.vec.end(),
                       [&](const VectorSample& a, const VectorSample& b) {
                         if (std::isnan(a.v) || std::isnan(b.v))
                           return !std::isnan(a.v) && std::isnan(b.v);
                         return desc ? a.v > b.v : a.v < b.v;
                       });
      break;
    }
    case Func::kLabelReplace: {
      const std::string& dst = args[1].str;
      const std::string& repl = args[2].str;
      const std::string& src = args[3].str;
      ASSIGN_OR_RETURN(const re2::RE2* re, Regex(e, args[4].str));
      if (!IsValidLabelName(dst)) {
        return ExecError("invalid destination label name in label_replace(): " + dst);
      }
      std::vector<re2::StringPiece> groups(static_cast<size_t>(re->NumberOfCapturingGroups()) + 1);
      for (VectorSample& s : args[0].vec) {
        std::string src_val(GetLabel(s.labels, src));
        if (re->Match(src_val, 0, src_val.size(), RE2::UNANCHORED, groups.data(),
                      static_cast<int>(groups.size()))) {
          SetLabel(&s.labels, dst, ExpandTemplate(repl, *re, src_val, groups));
        }
        out.vec.push_back(std::move(s));
      }
      break;
    }
    case Func::kLabelJoin: {
      const std::string& dst = args[1].str;
      const std::string& sep = args[2].str;
      if (!IsValidLabelName(dst)) {
        return ExecError("invalid destination label name in label_join(): " + dst);
      }
      for (size_t i = 3; i < args.size(); ++i) {
        if (!IsValidLabelName(args[i].str)) {
          return ExecError("invalid source label name in label_join(): " + args[i].str);
        }
      }
      for (VectorSample& s : args[0].vec) {
        std::string joined;
        for (size_t i = 3; i < args.size(); ++i) {
          if (i > 3) joined += sep;
          joined += GetLabel(s.labels, args[i].str);
        }
        SetLabel(&s.labels, dst, joined);
        out.vec.push_back(std::move(s));
      }
      break;
    }
    case Func::kHistogramQuantile:
      out.vec = HistogramQuantile(args[0].scalar, args[1].vec);
      break;
    default:
      return Status::Internal("function not implemented: " + std::string(e.func->name));
  }
  RETURN_IF_ERROR(CheckDuplicates(out.vec));
  return out;
}

}  // namespace quartet::promql::internal
