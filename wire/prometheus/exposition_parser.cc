#include "wire/prometheus/exposition_parser.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "wire/prometheus/names.h"

namespace quartet::prometheus {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (x != b[i]) return false;  // b is lower case
  }
  return true;
}

inline bool IsBlank(char c) { return c == ' ' || c == '\t'; }

bool ParseTypeWord(std::string_view word, bool om, FamilyType* out) {
  struct Word {
    std::string_view text;
    FamilyType type;
    bool in_text004;
  };
  static constexpr Word kWords[] = {
      {"counter", FamilyType::kCounter, true},
      {"gauge", FamilyType::kGauge, true},
      {"histogram", FamilyType::kHistogram, true},
      {"summary", FamilyType::kSummary, true},
      {"untyped", FamilyType::kUnknown, true},
      {"unknown", FamilyType::kUnknown, false},
      {"gaugehistogram", FamilyType::kGaugeHistogram, false},
      {"info", FamilyType::kInfo, false},
      {"stateset", FamilyType::kStateset, false},
  };
  for (const Word& w : kWords) {
    if (w.text != word) continue;
    if (om ? w.text == "untyped" : !w.in_text004) return false;
    *out = w.type;
    return true;
  }
  return false;
}

// Suffixes a sample of a family of `type` may add to the family name.
bool SuffixAllowed(FamilyType type, std::string_view suffix) {
  switch (type) {
    case FamilyType::kCounter:
      return suffix == "_total" || suffix == "_created";
    case FamilyType::kHistogram:
      return suffix == "_bucket" || suffix == "_count" || suffix == "_sum" || suffix == "_created";
    case FamilyType::kGaugeHistogram:
      return suffix == "_bucket" || suffix == "_gcount" || suffix == "_gsum";
    case FamilyType::kSummary:
      return suffix == "_count" || suffix == "_sum" || suffix == "_created";
    case FamilyType::kInfo:
      return suffix == "_info";
    default:
      return false;
  }
}

// Seconds as written by OpenMetrics -> ms. Plain decimals exactly (sub-ms
// digits truncated toward zero), anything else through the double.
bool ParseSecondsToMillis(std::string_view s, int64_t* out) {
  const char* p = s.data();
  const char* end = p + s.size();
  bool neg = false;
  if (p != end && (*p == '-' || *p == '+')) neg = *p++ == '-';
  const char* int_start = p;
  int64_t secs = 0;
  while (p != end && *p >= '0' && *p <= '9' && p - int_start < 15) secs = secs * 10 + (*p++ - '0');
  bool plain = p != int_start;
  int64_t frac_ms = 0;
  if (plain && p != end && *p == '.') {
    ++p;
    int digits = 0;
    while (p != end && *p >= '0' && *p <= '9') {
      if (digits < 3) frac_ms = frac_ms * 10 + (*p - '0');
      ++digits;
      ++p;
    }
    for (; digits < 3; ++digits) frac_ms *= 10;
  }
  if (plain && p == end) {
    int64_t ms = secs * 1000 + frac_ms;
    *out = neg ? -ms : ms;
    return true;
  }
  double v;
  if (!ParseGoFloat(s, &v) || !std::isfinite(v)) return false;
  double ms = std::round(v * 1000.0);
  if (!(ms > -9.2e18 && ms < 9.2e18)) return false;
  *out = static_cast<int64_t>(ms);
  return true;
}

bool ParseMillis(std::string_view s, int64_t* out) {
  const char* p = s.data();
  const char* end = p + s.size();
  // Go's ParseInt: one optional sign, then digits only.
  if (p != end && *p == '+') {
    ++p;
    if (p == end || *p == '-') return false;
  }
  auto [ptr, ec] = std::from_chars(p, end, *out);
  return ec == std::errc() && ptr == end;
}

// Appends `raw` to *scratch, undoing the escapes Prometheus undoes: \\, \n
// and (label values, OpenMetrics help) \". Other backslash pairs stay as is.
std::string_view Unescape(std::string_view raw, bool quote, std::string* scratch) {
  size_t start = scratch->size();
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\' && i + 1 < raw.size()) {
      char n = raw[i + 1];
      if (n == '\\' || n == 'n' || (quote && n == '"')) {
        scratch->push_back(n == 'n' ? '\n' : n);
        ++i;
        continue;
      }
    }
    scratch->push_back(c);
  }
  return std::string_view(scratch->data() + start, scratch->size() - start);
}

}  // namespace

Format FormatForScrapeContentType(std::string_view content_type) {
  size_t semi = content_type.find(';');
  std::string_view media = content_type.substr(0, semi);
  while (!media.empty() && IsBlank(media.front())) media.remove_prefix(1);
  while (!media.empty() && IsBlank(media.back())) media.remove_suffix(1);
  return EqualsIgnoreCase(media, "application/openmetrics-text") ? Format::kOpenMetrics1
                                                                 : Format::kText004;
}

std::string_view FamilyTypeName(FamilyType type) {
  switch (type) {
    case FamilyType::kCounter:
      return "counter";
    case FamilyType::kGauge:
      return "gauge";
    case FamilyType::kHistogram:
      return "histogram";
    case FamilyType::kGaugeHistogram:
      return "gaugehistogram";
    case FamilyType::kSummary:
      return "summary";
    case FamilyType::kInfo:
      return "info";
    case FamilyType::kStateset:
      return "stateset";
    case FamilyType::kUnknown:
      break;
  }
  return "unknown";
}

bool ParseGoFloat(std::string_view s, double* out) {
  const char* p = s.data();
  const char* end = p + s.size();
  bool neg = false, has_sign = false;
  if (p != end && (*p == '+' || *p == '-')) {
    neg = *p++ == '-';
    has_sign = true;
  }
  if (p == end) return false;
  char c = *p;
  if (c == 'i' || c == 'I') {
    std::string_view rest(p, end - p);
    if (!EqualsIgnoreCase(rest, "inf") && !EqualsIgnoreCase(rest, "infinity")) return false;
    *out = neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return true;
  }
  if (c == 'n' || c == 'N') {
    // Go's ParseFloat takes a sign before Inf only.
    if (has_sign || !EqualsIgnoreCase(std::string_view(p, end - p), "nan")) return false;
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (!((c >= '0' && c <= '9') || c == '.')) return false;
  double v;
  auto [ptr, ec] = std::from_chars(p, end, v, std::chars_format::general);
  if (ptr != end) return false;
  if (ec == std::errc::result_out_of_range) {
    // Overflow is an error (Go: ErrRange); underflow to zero or a
    // subnormal is not. strtod tells them apart.
    std::string copy(p, end - p);
    v = std::strtod(copy.c_str(), nullptr);
    if (std::isinf(v)) return false;
  } else if (ec != std::errc()) {
    return false;
  }
  *out = neg ? -v : v;
  return true;
}

struct ExpositionParser::Cursor {
  const char* p;
  const char* end;
  bool done() const { return p == end; }
  char peek() const { return p == end ? '\n' : *p; }
  void SkipBlanks() {
    while (p != end && IsBlank(*p)) ++p;
  }
};

ExpositionParser::ExpositionParser(std::string_view input, Format format)
    : input_(input), om_(format == Format::kOpenMetrics1) {}

bool ExpositionParser::Fail(std::string message) {
  status_ = Status::InvalidArgument("line " + std::to_string(line_no_) + ": " + message);
  return false;
}

bool ExpositionParser::Fail(std::string_view expected, const Cursor& c) {
  std::string msg(expected);
  msg += ", got ";
  if (c.done()) {
    msg += "end of line";
  } else {
    const char* e = c.p + 1;
    while (!IsBlank(*c.p) && e != c.end && e - c.p < 24 && !IsBlank(*e) && *e != ',' && *e != '}' &&
           *e != '=')
      ++e;
    msg += '"';
    msg.append(c.p, e - c.p);
    msg += '"';
  }
  return Fail(std::move(msg));
}

bool ExpositionParser::Next(ExpositionEntry* entry) {
  if (!status_.ok()) return false;
  while (pos_ < input_.size()) {
    if (saw_eof_) {
      ++line_no_;
      return Fail("unexpected data after # EOF");
    }
    const char* start = input_.data() + pos_;
    size_t remaining = input_.size() - pos_;
    const void* nl = std::memchr(start, '\n', remaining);
    size_t len = nl ? static_cast<const char*>(nl) - start : remaining;
    pos_ += nl ? len + 1 : len;
    ++line_no_;
    std::string_view line(start, len);
    if (om_ && nl == nullptr && line != "# EOF") {
      return Fail("line does not end with a newline (an OpenMetrics exposition ends with # EOF)");
    }
    entry->line = line_no_;
    Cursor c{line.data(), line.data() + line.size()};
    if (!om_) {
      c.SkipBlanks();
      if (c.done()) continue;  // blank line
    }
    if (scratch_.capacity() < line.size()) scratch_.reserve(line.size());
    scratch_.clear();
    if (c.peek() == '#') {
      bool produced = ParseMetadata(&c, entry);
      if (!status_.ok()) return false;
      if (produced) return true;
      continue;  // a comment, or # EOF
    }
    if (!ParseSample(&c, entry)) return false;
    return true;
  }
  if (om_ && !saw_eof_) {
    ++line_no_;
    return Fail("data does not end with # EOF");
  }
  return false;
}

// Returns true with an entry, false for a skipped comment or # EOF (status_
// tells errors apart).
bool ExpositionParser::ParseMetadata(Cursor* c, ExpositionEntry* entry) {
  ++c->p;  // '#'
  std::string_view rest(c->p, c->end - c->p);
  if (om_) {
    if (rest == " EOF") {
      saw_eof_ = true;
      return false;
    }
    if (rest.size() < 6 || rest[0] != ' ' || rest[5] != ' ' ||
        (rest.substr(1, 4) != "HELP" && rest.substr(1, 4) != "TYPE" &&
         rest.substr(1, 4) != "UNIT")) {
      Fail("expected \"# HELP \", \"# TYPE \", \"# UNIT \" or \"# EOF\", got \"#" +
           std::string(rest.substr(0, 24)) + "\"");
      return false;
    }
  } else {
    c->SkipBlanks();
    if (c->p == rest.data()) return false;  // "#word": a comment
    rest = std::string_view(c->p, c->end - c->p);
    if (rest.size() < 5 || !IsBlank(rest[4]) ||
        (rest.substr(0, 4) != "HELP" && rest.substr(0, 4) != "TYPE")) {
      return false;  // any other comment
    }
    rest = std::string_view(rest.data() - 1, rest.size() + 1);  // keep rest[1..4] the keyword
  }
  std::string_view keyword = rest.substr(1, 4);
  c->p = rest.data() + 5;
  if (!om_) c->SkipBlanks();
  if (om_ && !c->done() && *c->p == ' ') ++c->p;
  const char* name_start = c->p;
  if (c->done() || !IsMetricNameStart(*c->p)) {
    Fail("expected metric name after " + std::string(keyword), *c);
    return false;
  }
  while (!c->done() && IsMetricNameChar(*c->p)) ++c->p;
  std::string_view name(name_start, c->p - name_start);
  if (name != family_) {
    family_ = name;
    family_type_ = FamilyType::kUnknown;
  }
  entry->name = name;
  entry->text = {};
  entry->type = FamilyType::kUnknown;
  entry->labels = {};
  entry->has_exemplar = false;
  // After the name: end of line, or a separator and the rest.
  if (!c->done()) {
    if (om_ ? *c->p != ' ' : !IsBlank(*c->p)) {
      Fail("expected a space after the metric name", *c);
      return false;
    }
    if (om_) {
      ++c->p;
    } else {
      c->SkipBlanks();
    }
  }
  std::string_view text(c->p, c->end - c->p);
  if (keyword == "HELP") {
    entry->kind = EntryKind::kHelp;
    if (!IsValidUtf8(text)) {
      Fail("help text of " + std::string(name) + " is not valid UTF-8");
      return false;
    }
    entry->text = text.find('\\') == std::string_view::npos ? text : Unescape(text, om_, &scratch_);
    return true;
  }
  if (keyword == "TYPE") {
    entry->kind = EntryKind::kType;
    if (!om_) {
      while (!text.empty() && IsBlank(text.back())) text.remove_suffix(1);
    }
    if (!ParseTypeWord(text, om_, &family_type_)) {
      Fail("invalid metric type \"" + std::string(text) + "\"");
      return false;
    }
    entry->type = family_type_;
    return true;
  }
  entry->kind = EntryKind::kUnit;  // OpenMetrics only
  for (char ch : text) {
    if (!IsMetricNameChar(ch)) {
      Fail("invalid unit \"" + std::string(text) + "\"");
      return false;
    }
  }
  entry->text = text;
  return true;
}

bool ExpositionParser::ParseLabelValue(Cursor* c, std::string_view* out) {
  if (c->peek() != '"') return Fail("expected label value", *c);
  const char* start = ++c->p;
  bool escaped = false, high = false;
  while (true) {
    if (c->done()) return Fail("expected closing quote of the label value, got end of line");
    char ch = *c->p;
    if (ch == '"') break;
    if (ch == '\\') {
      escaped = true;
      if (++c->p == c->end) continue;
    } else if (static_cast<unsigned char>(ch) >= 0x80) {
      high = true;
    }
    ++c->p;
  }
  std::string_view raw(start, c->p - start);
  ++c->p;  // closing quote
  if (high && !IsValidUtf8(raw)) return Fail("invalid UTF-8 label value");
  *out = escaped ? Unescape(raw, true, &scratch_) : raw;
  return true;
}

bool ExpositionParser::ParseLabels(Cursor* c, std::vector<LabelRef>* out) {
  out->clear();
  ++c->p;  // '{'
  if (!om_) c->SkipBlanks();
  if (c->peek() == '}') {
    ++c->p;
    return true;
  }
  while (true) {
    const char* name_start = c->p;
    if (c->done() || !IsLabelNameStart(*c->p)) return Fail("expected label name", *c);
    while (!c->done() && IsLabelNameChar(*c->p)) ++c->p;
    LabelRef& label = out->emplace_back();
    label.name = std::string_view(name_start, c->p - name_start);
    if (!om_) c->SkipBlanks();
    if (c->peek() != '=') return Fail("expected equal", *c);
    ++c->p;
    if (!om_) c->SkipBlanks();
    if (!ParseLabelValue(c, &label.value)) return false;
    if (!om_) c->SkipBlanks();
    if (c->peek() == ',') {
      ++c->p;
      if (!om_) {
        c->SkipBlanks();
        if (c->peek() == '}') {  // text 0.0.4 allows a trailing comma
          ++c->p;
          return true;
        }
      }
      continue;
    }
    if (c->peek() == '}') {
      ++c->p;
      return true;
    }
    return Fail("expected comma or closing brace", *c);
  }
}

namespace {

std::string_view Token(const char** p, const char* end, bool om) {
  const char* start = *p;
  while (*p != end && (om ? **p != ' ' : !IsBlank(**p))) ++*p;
  return std::string_view(start, *p - start);
}

}  // namespace

bool ExpositionParser::ParseSample(Cursor* c, ExpositionEntry* entry) {
  entry->kind = EntryKind::kSample;
  entry->text = {};
  entry->has_timestamp = false;
  entry->has_exemplar = false;
  entry->exemplar_labels = {};
  const char* name_start = c->p;
  if (c->done() || !IsMetricNameStart(*c->p)) return Fail("expected metric name", *c);
  while (!c->done() && IsMetricNameChar(*c->p)) ++c->p;
  entry->name = std::string_view(name_start, c->p - name_start);
  const char* before = c->p;
  if (!om_) c->SkipBlanks();
  if (c->peek() == '{') {
    if (!ParseLabels(c, &labels_)) return false;
    before = c->p;
    if (!om_) c->SkipBlanks();
  } else {
    labels_.clear();
  }
  entry->labels = labels_;
  ClassifySample(entry);
  // Value, after one space (OpenMetrics) or a run of blanks (text 0.0.4).
  if (om_) {
    if (c->peek() != ' ') return Fail("expected value after metric", *c);
    ++c->p;
  } else if (c->p == before) {
    return Fail("expected value after metric", *c);
  }
  std::string_view value = Token(&c->p, c->end, om_);
  if (value.empty()) return Fail("expected value after metric", *c);
  if (!ParseGoFloat(value, &entry->value)) {
    return Fail("invalid float value \"" + std::string(value) + "\"");
  }
  if (!om_) {
    c->SkipBlanks();
    if (c->done()) return true;
    std::string_view ts = Token(&c->p, c->end, false);
    if (!ParseMillis(ts, &entry->timestamp_ms)) {
      return Fail("expected timestamp or new record, got \"" + std::string(ts) + "\"");
    }
    entry->has_timestamp = true;
    c->SkipBlanks();
    if (!c->done()) return Fail("expected next entry after timestamp", *c);
    return true;
  }
  if (c->done()) return true;
  ++c->p;  // ' '
  if (c->peek() != '#') {
    std::string_view ts = Token(&c->p, c->end, true);
    if (ts.empty() || !ParseSecondsToMillis(ts, &entry->timestamp_ms)) {
      return Fail("invalid timestamp \"" + std::string(ts) + "\"");
    }
    entry->has_timestamp = true;
    if (c->done()) return true;
    ++c->p;  // ' '
  }
  if (c->peek() != '#') return Fail("expected \"# \" and an exemplar", *c);
  return ParseExemplar(c, entry);
}

bool ExpositionParser::ParseExemplar(Cursor* c, ExpositionEntry* entry) {
  ++c->p;  // '#'
  if (c->peek() != ' ') return Fail("expected a space after \"#\" before the exemplar", *c);
  ++c->p;
  if (c->peek() != '{') return Fail("expected \"{\" opening the exemplar's labels", *c);
  if (!ParseLabels(c, &exemplar_labels_)) return false;
  entry->exemplar_labels = exemplar_labels_;
  if (c->peek() != ' ') return Fail("expected a space and the exemplar value", *c);
  ++c->p;
  std::string_view value = Token(&c->p, c->end, true);
  if (!ParseGoFloat(value, &entry->exemplar_value)) {
    return Fail("invalid exemplar value \"" + std::string(value) + "\"");
  }
  entry->exemplar_has_timestamp = false;
  if (!c->done()) {
    ++c->p;
    std::string_view ts = Token(&c->p, c->end, true);
    if (ts.empty() || !ParseSecondsToMillis(ts, &entry->exemplar_timestamp_ms)) {
      return Fail("invalid exemplar timestamp \"" + std::string(ts) + "\"");
    }
    entry->exemplar_has_timestamp = true;
    if (!c->done()) {
      ++c->p;
      return Fail("expected end of line after the exemplar", *c);
    }
  }
  entry->has_exemplar = true;
  return true;
}

void ExpositionParser::ClassifySample(ExpositionEntry* entry) const {
  entry->family = entry->name;
  entry->type = FamilyType::kUnknown;
  entry->is_created = false;
  std::string_view name = entry->name;
  if (family_.empty() || name.size() < family_.size() ||
      name.compare(0, family_.size(), family_) != 0) {
    return;
  }
  std::string_view suffix = name.substr(family_.size());
  if (!suffix.empty() && !SuffixAllowed(family_type_, suffix)) return;
  entry->family = family_;
  entry->type = family_type_;
  entry->is_created = suffix == "_created";
}

}  // namespace quartet::prometheus
