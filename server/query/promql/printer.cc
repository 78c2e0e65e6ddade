// Print: the canonical text of a PromQL expression, as Prometheus 2.42's
// String() methods write it (matchers sorted, `sum by (a) (x)`, durations as
// model.Duration, `@ 123.000`, `offset -5m`).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "server/query/promql/ast.h"
#include "server/query/promql/format.h"
#include "server/query/promql/functions.h"

namespace quartet::promql {
namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += ", ";
    out += v[i];
  }
  return out;
}

std::string NumberText(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

std::string Modifiers(const Expr& e) {
  std::string out;
  switch (e.at) {
    case AtKind::kTimestamp: {
      char buf[64];
      std::snprintf(buf, sizeof buf, " @ %.3f", static_cast<double>(e.at_ms) / 1000.0);
      out += buf;
      break;
    }
    case AtKind::kStart:
      out += " @ start()";
      break;
    case AtKind::kEnd:
      out += " @ end()";
      break;
    case AtKind::kNone:
      break;
  }
  if (e.offset_ms > 0) {
    out += " offset " + FormatDuration(e.offset_ms);
  } else if (e.offset_ms < 0) {
    out += " offset -" + FormatDuration(-e.offset_ms);
  }
  return out;
}

std::string SelectorText(const Expr& e) {
  std::vector<std::string> parts;
  for (const Matcher& m : e.matchers) {
    if (m.name() == kMetricName && m.type() == Matcher::Type::kEqual &&
        m.value() == e.metric_name) {
      continue;
    }
    parts.push_back(m.ToString());
  }
  if (parts.empty()) return e.metric_name;
  std::sort(parts.begin(), parts.end());
  std::string out = e.metric_name + "{";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += ",";
    out += parts[i];
  }
  return out + "}";
}

}  // namespace

std::string Print(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kNumber:
      return NumberText(e.number);
    case ExprKind::kString:
      return GoQuote(e.str);
    case ExprKind::kVectorSelector:
      return SelectorText(e) + Modifiers(e);
    case ExprKind::kMatrixSelector:
      return SelectorText(e) + "[" + FormatDuration(e.range_ms) + "]" + Modifiers(e);
    case ExprKind::kSubquery:
      return Print(*e.lhs) + "[" + FormatDuration(e.range_ms) + ":" +
             (e.step_ms != 0 ? FormatDuration(e.step_ms) : "") + "]" + Modifiers(e);
    case ExprKind::kParen:
      return "(" + Print(*e.lhs) + ")";
    case ExprKind::kUnary:
      return std::string(BinOpString(e.op)) + Print(*e.lhs);
    case ExprKind::kBinary: {
      std::string out = Print(*e.lhs) + " " + std::string(BinOpString(e.op));
      if (e.return_bool) out += " bool";
      if (e.matching && (!e.matching->labels.empty() || e.matching->on ||
                         e.matching->card == Cardinality::kManyToOne ||
                         e.matching->card == Cardinality::kOneToMany)) {
        out += e.matching->on ? " on (" : " ignoring (";
        out += Join(e.matching->labels) + ")";
        if (e.matching->card == Cardinality::kManyToOne) {
          out += " group_left (" + Join(e.matching->include) + ")";
        } else if (e.matching->card == Cardinality::kOneToMany) {
          out += " group_right (" + Join(e.matching->include) + ")";
        }
      }
      return out + " " + Print(*e.rhs);
    }
    case ExprKind::kAggregate: {
      std::string out(AggOpString(e.agg));
      if (e.without) {
        out += " without (" + Join(e.grouping) + ") ";
      } else if (!e.grouping.empty()) {
        out += " by (" + Join(e.grouping) + ") ";
      }
      out += "(";
      if (e.rhs) out += Print(*e.rhs) + ", ";
      return out + Print(*e.lhs) + ")";
    }
    case ExprKind::kCall: {
      std::string out(e.func->name);
      out += "(";
      for (size_t i = 0; i < e.args.size(); ++i) {
        if (i > 0) out += ", ";
        out += Print(*e.args[i]);
      }
      return out + ")";
    }
  }
  return "";
}

}  // namespace quartet::promql
