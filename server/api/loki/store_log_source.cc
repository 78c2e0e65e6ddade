#include "server/api/loki/store_log_source.h"

namespace quartet::api {
namespace {

store::LabelMatch::Op OpOf(logql::LabelMatcher::Type type) {
  switch (type) {
    case logql::LabelMatcher::Type::kEq:
      return store::LabelMatch::Op::kEq;
    case logql::LabelMatcher::Type::kNeq:
      return store::LabelMatch::Op::kNeq;
    case logql::LabelMatcher::Type::kRe:
      return store::LabelMatch::Op::kRe;
    case logql::LabelMatcher::Type::kNre:
      return store::LabelMatch::Op::kNre;
  }
  return store::LabelMatch::Op::kEq;
}

}  // namespace

std::vector<store::LabelMatch> ToStoreMatchers(const std::vector<logql::LabelMatcher>& matchers) {
  std::vector<store::LabelMatch> out;
  for (const logql::LabelMatcher& m : matchers) out.push_back({m.name, OpOf(m.type), m.value});
  return out;
}

Status StoreLogSource::Scan(const std::vector<logql::LabelMatcher>& matchers,
                            const std::vector<logql::LineFilter>& line_filters, int64_t start_ns,
                            int64_t end_ns, logql::Direction dir, const logql::EntryFn& fn) {
  store::LogScan scan;
  scan.matchers = ToStoreMatchers(matchers);
  scan.range = {start_ns, end_ns};
  scan.direction =
      dir == logql::Direction::kForward ? store::Direction::kForward : store::Direction::kBackward;
  for (const logql::LineFilter& f : line_filters) {
    // `|= "a" or "b"` needs either, so only single-value filters are hints.
    if (f.op == logql::LineFilter::Op::kContains && f.values.size() == 1 && !f.values[0].empty()) {
      scan.required_substrings.push_back(f.values[0]);
    }
  }
  return logs_->Scan(scan, [&](const store::LogRow& row) {
    return fn(*row.stream, row.timestamp_ns, row.line, *row.structured_metadata);
  });
}

}  // namespace quartet::api
