#include "server/query/promql/labels.h"

#include <re2/re2.h>

#include <algorithm>

#include "server/query/promql/format.h"

namespace quartet::promql {

std::string_view GetLabel(const Labels& labels, std::string_view name) {
  for (const Label& l : labels) {
    if (l.name == name) return l.value;
  }
  return {};
}

void DeleteLabel(Labels* labels, std::string_view name) {
  std::erase_if(*labels, [&](const Label& l) { return l.name == name; });
}

void SetLabel(Labels* labels, std::string_view name, std::string_view value) {
  auto it = std::lower_bound(labels->begin(), labels->end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  if (it != labels->end() && it->name == name) {
    if (value.empty()) {
      labels->erase(it);
    } else {
      it->value = std::string(value);
    }
    return;
  }
  if (!value.empty()) labels->insert(it, Label{std::string(name), std::string(value)});
}

void Canonicalize(Labels* labels) {
  std::erase_if(*labels, [](const Label& l) { return l.value.empty(); });
  std::stable_sort(labels->begin(), labels->end(),
                   [](const Label& a, const Label& b) { return a.name < b.name; });
  // A later duplicate wins, as with repeated Set.
  Labels out;
  for (Label& l : *labels) {
    if (!out.empty() && out.back().name == l.name) {
      out.back() = std::move(l);
    } else {
      out.push_back(std::move(l));
    }
  }
  *labels = std::move(out);
}

std::string LabelsToString(const Labels& labels) {
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ", ";
    out += labels[i].name;
    out += '=';
    out += GoQuote(labels[i].value);
  }
  out += '}';
  return out;
}

std::string LabelsKey(const Labels& labels) {
  std::string key;
  SubsetKey(
      labels, [](const Label&) { return true; }, &key);
  return key;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::string_view MatcherOpString(Matcher::Type type) {
  switch (type) {
    case Matcher::Type::kEqual:
      return "=";
    case Matcher::Type::kNotEqual:
      return "!=";
    case Matcher::Type::kRegex:
      return "=~";
    case Matcher::Type::kNotRegex:
      return "!~";
  }
  return "=";
}

Result<Matcher> Matcher::Make(Type type, std::string name, std::string value) {
  Matcher m;
  m.type_ = type;
  m.name_ = std::move(name);
  m.value_ = std::move(value);
  if (type == Type::kRegex || type == Type::kNotRegex) {
    RE2::Options opts;
    opts.set_log_errors(false);
    auto re = std::make_shared<RE2>("^(?:" + m.value_ + ")$", opts);
    if (!re->ok()) {
      return Status::InvalidArgument("error parsing regexp: " + re->error());
    }
    m.re_ = std::move(re);
  }
  return m;
}

bool Matcher::Matches(std::string_view v) const {
  switch (type_) {
    case Type::kEqual:
      return v == value_;
    case Type::kNotEqual:
      return v != value_;
    case Type::kRegex:
      return RE2::FullMatch(v, *re_);
    case Type::kNotRegex:
      return !RE2::FullMatch(v, *re_);
  }
  return false;
}

std::string Matcher::ToString() const {
  return name_ + std::string(MatcherOpString(type_)) + GoQuote(value_);
}

}  // namespace quartet::promql
