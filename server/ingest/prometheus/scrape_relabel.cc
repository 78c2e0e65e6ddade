#include "server/ingest/prometheus/scrape_relabel.h"

#include <openssl/evp.h>
#include <re2/re2.h>

#include <algorithm>
#include <vector>

namespace quartet::ingest {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool IsValidLabelName(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), IsNameChar);
}

// The submatch for a group reference: a number, or a named group.
std::string_view Group(const re2::RE2& re, std::string_view name,
                       std::span<const std::string_view> groups) {
  if (std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (name.size() > 9) return {};
    const size_t n = std::stoul(std::string(name));
    return n < groups.size() ? groups[n] : std::string_view();
  }
  const auto& named = re.NamedCapturingGroups();
  const auto it = named.find(std::string(name));
  if (it == named.end() || static_cast<size_t>(it->second) >= groups.size()) return {};
  return groups[it->second];
}

// Matches the anchored `re` against `value`; fills `groups` on success.
bool Match(const re2::RE2& re, std::string_view value, std::vector<std::string_view>* groups) {
  std::vector<re2::StringPiece> pieces(static_cast<size_t>(re.NumberOfCapturingGroups()) + 1);
  if (!re.Match(re2::StringPiece(value.data(), value.size()), 0, value.size(),
                re2::RE2::ANCHOR_BOTH, pieces.data(), static_cast<int>(pieces.size()))) {
    return false;
  }
  groups->clear();
  for (const re2::StringPiece& p : pieces) groups->emplace_back(p.data(), p.size());
  return true;
}

std::string JoinSources(const server::RelabelConfig& rule, const store::Labels& labels) {
  std::string out;
  for (size_t i = 0; i < rule.source_labels.size(); ++i) {
    if (i > 0) out += rule.separator;
    out += GetLabel(labels, rule.source_labels[i]);
  }
  return out;
}

// One rule; false when it drops the set.
bool Apply(const server::RelabelConfig& rule, store::Labels* labels,
           std::vector<std::string_view>* groups) {
  using server::RelabelAction;
  const re2::RE2& re = *rule.regex;
  const std::string value = JoinSources(rule, *labels);
  switch (rule.action) {
    case RelabelAction::kDrop:
      return !re2::RE2::FullMatch(value, re);
    case RelabelAction::kKeep:
      return re2::RE2::FullMatch(value, re);
    case RelabelAction::kKeepEqual:
      return GetLabel(*labels, rule.target_label) == value;
    case RelabelAction::kDropEqual:
      return GetLabel(*labels, rule.target_label) != value;
    case RelabelAction::kReplace: {
      if (!Match(re, value, groups)) return true;
      const std::string target = ExpandTemplate(re, rule.target_label, *groups);
      if (!IsValidLabelName(target)) return true;
      SetLabel(labels, target, ExpandTemplate(re, rule.replacement, *groups));
      return true;
    }
    case RelabelAction::kLowercase:
    case RelabelAction::kUppercase: {
      std::string v = value;
      const bool lower = rule.action == RelabelAction::kLowercase;
      for (char& c : v) {
        if (lower && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (!lower && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      }
      SetLabel(labels, rule.target_label, v);
      return true;
    }
    case RelabelAction::kHashMod:
      SetLabel(labels, rule.target_label, std::to_string(HashModSum(value) % rule.modulus));
      return true;
    case RelabelAction::kLabelMap: {
      // Every rule reads the set as it was before the rule started.
      const store::Labels before = *labels;
      for (const auto& [name, v] : before) {
        if (!Match(re, name, groups)) continue;
        SetLabel(labels, ExpandTemplate(re, rule.replacement, *groups), v);
      }
      return true;
    }
    case RelabelAction::kLabelDrop:
    case RelabelAction::kLabelKeep: {
      const bool drop = rule.action == RelabelAction::kLabelDrop;
      std::erase_if(*labels,
                    [&](const auto& l) { return re2::RE2::FullMatch(l.first, re) == drop; });
      return true;
    }
  }
  return true;
}

}  // namespace

std::string_view GetLabel(const store::Labels& labels, std::string_view name) {
  auto it = std::lower_bound(labels.begin(), labels.end(), name,
                             [](const auto& l, std::string_view n) { return l.first < n; });
  return it != labels.end() && it->first == name ? std::string_view(it->second)
                                                 : std::string_view();
}

void SetLabel(store::Labels* labels, std::string_view name, std::string_view value) {
  auto it = std::lower_bound(labels->begin(), labels->end(), name,
                             [](const auto& l, std::string_view n) { return l.first < n; });
  const bool found = it != labels->end() && it->first == name;
  if (value.empty()) {
    if (found) labels->erase(it);
  } else if (found) {
    it->second.assign(value);
  } else {
    labels->emplace(it, std::string(name), std::string(value));
  }
}

std::string ExpandTemplate(const re2::RE2& re, std::string_view tmpl,
                           std::span<const std::string_view> groups) {
  std::string out;
  size_t i = 0;
  while (i < tmpl.size()) {
    const size_t dollar = tmpl.find('$', i);
    if (dollar == std::string_view::npos) {
      out.append(tmpl.substr(i));
      break;
    }
    out.append(tmpl.substr(i, dollar - i));
    i = dollar + 1;
    if (i < tmpl.size() && tmpl[i] == '$') {
      out += '$';
      ++i;
      continue;
    }
    // $name or ${name}; anything else leaves the '$' as text (Go's Expand).
    std::string_view name;
    if (i < tmpl.size() && tmpl[i] == '{') {
      const size_t close = tmpl.find('}', i + 1);
      if (close != std::string_view::npos && close > i + 1) {
        name = tmpl.substr(i + 1, close - i - 1);
        if (std::all_of(name.begin(), name.end(), IsNameChar)) {
          out.append(Group(re, name, groups));
          i = close + 1;
          continue;
        }
      }
      out += '$';
      continue;
    }
    size_t end = i;
    while (end < tmpl.size() && IsNameChar(tmpl[end])) ++end;
    if (end == i) {
      out += '$';
      continue;
    }
    out.append(Group(re, tmpl.substr(i, end - i), groups));
    i = end;
  }
  return out;
}

uint64_t HashModSum(std::string_view value) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(value.data(), value.size(), digest, &size, EVP_md5(), nullptr);
  uint64_t sum = 0;
  for (unsigned int i = 8; i < 16 && i < size; ++i) sum = (sum << 8) | digest[i];
  return sum;
}

bool Relabel(std::span<const server::RelabelConfig> rules, store::Labels* labels) {
  std::vector<std::string_view> groups;
  for (const server::RelabelConfig& rule : rules) {
    if (!Apply(rule, labels, &groups)) return false;
  }
  return !labels->empty();
}

}  // namespace quartet::ingest
