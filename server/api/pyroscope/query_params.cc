#include "server/api/pyroscope/query_params.h"

#include "base/duration.h"
#include "server/api/params.h"
#include "server/query/promql/parser.h"

namespace quartet::api {
namespace {

store::LabelMatch::Op ToOp(promql::Matcher::Type t) {
  switch (t) {
    case promql::Matcher::Type::kEqual:
      return store::LabelMatch::Op::kEq;
    case promql::Matcher::Type::kNotEqual:
      return store::LabelMatch::Op::kNeq;
    case promql::Matcher::Type::kRegex:
      return store::LabelMatch::Op::kRe;
    case promql::Matcher::Type::kNotRegex:
      return store::LabelMatch::Op::kNre;
  }
  return store::LabelMatch::Op::kEq;
}

Status QueryError(std::string_view text, std::string_view why) {
  return Status::InvalidArgument("invalid query \"" + std::string(text) +
                                 "\": " + std::string(why));
}

}  // namespace

Result<ProfileQuery> ParseProfileQuery(std::string_view text, bool type_required) {
  if (text.empty()) {
    if (type_required) return QueryError(text, "want <profile type>{<label matchers>}");
    return ProfileQuery{};
  }
  Result<promql::ExprPtr> parsed = promql::Parse(text);
  if (!parsed.ok()) return QueryError(text, parsed.status().message());
  const promql::Expr& e = **parsed;
  if (e.kind != promql::ExprKind::kVectorSelector || e.offset_ms != 0 ||
      e.at != promql::AtKind::kNone) {
    return QueryError(text, "want <profile type>{<label matchers>}");
  }
  ProfileQuery q;
  std::string type_id = e.metric_name;
  for (const promql::Matcher& m : e.matchers) {
    if (m.name() == "__name__") {
      if (m.type() != promql::Matcher::Type::kEqual) {
        return QueryError(text, "the profile type must be matched with =");
      }
      if (!type_id.empty() && type_id != m.value()) {
        return QueryError(text, "two profile types");
      }
      type_id = m.value();
      continue;
    }
    q.matchers.push_back({m.name(), ToOp(m.type()), m.value()});
  }
  if (type_id.empty()) {
    if (type_required) return QueryError(text, "no profile type");
    return q;
  }
  Result<profiles::ProfileType> type = profiles::ParseProfileType(type_id);
  if (!type.ok()) return QueryError(text, type.status().message());
  q.type = std::move(*type);
  return q;
}

Result<int64_t> ParsePyroscopeTime(std::string_view text, int64_t now_ns) {
  if (text == "now") return now_ns;
  if (text.size() > 4 && text.substr(0, 3) == "now" && (text[3] == '-' || text[3] == '+')) {
    Result<int64_t> d = ParseDuration(text.substr(4));
    if (!d.ok()) {
      return Status::InvalidArgument("invalid time \"" + std::string(text) +
                                     "\": " + std::string(d.status().message()));
    }
    return text[3] == '-' ? now_ns - *d : now_ns + *d;
  }
  bool digits = !text.empty();
  for (char c : text) digits &= (c >= '0' && c <= '9');
  if (digits && text.size() <= 19) {
    int64_t v = 0;
    for (char c : text) v = v * 10 + (c - '0');
    if (text.size() <= 10) return v * 1'000'000'000;
    if (text.size() <= 13) return v * 1'000'000;
    if (text.size() <= 16) return v * 1'000;
    return v;
  }
  Result<int64_t> t = ParseTime(text);  // decimal seconds, RFC 3339
  if (!t.ok()) {
    return Status::InvalidArgument(
        "invalid time \"" + std::string(text) +
        "\": want unix seconds/milliseconds, now, now-<duration> or RFC 3339");
  }
  return t;
}

Result<std::vector<std::string>> SpanIdParams(const server::HttpRequest& request) {
  std::vector<std::string> out;
  for (std::string_view name : {"span_id", "spanSelector"}) {
    for (const std::string& value : request.Params(name)) {
      std::string_view rest = value;
      while (true) {
        size_t comma = rest.find(',');
        std::string_view id = rest.substr(0, comma);
        bool hex = id.size() == 16;
        std::string lower(id);
        for (char& c : lower) {
          if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
          hex &= (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        }
        if (!hex) {
          return Status::InvalidArgument("invalid parameter \"" + std::string(name) + "\": \"" +
                                         std::string(id) + "\" is not a 16-hex-digit span id");
        }
        out.push_back(std::move(lower));
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    }
  }
  return out;
}

}  // namespace quartet::api
