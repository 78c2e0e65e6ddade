// ExpositionParser: reads a scraped /metrics body, in Prometheus text format
// 0.0.4 or OpenMetrics 1.0.0, as a stream of entries: HELP, TYPE and UNIT
// metadata per family, and samples (metric name, labels, value, optional
// timestamp, optional OpenMetrics exemplar). It accepts and rejects what
// Prometheus' textparse (promparse / openmetricsparse) does, with errors that
// give the line number and what was expected ("line 3: expected label name,
// got \"1a\""). Formats: PROTOCOLS.md "Prometheus exposition", the text
// format documentation (exposition_formats.md) and the OpenMetrics 1.0 spec.
//
// Zero-copy: names, label values and help text are views into the input,
// except values with escapes, which are unescaped into the parser's own
// buffer. Everything an Entry points to stays valid until the next call to
// Next() (or the parser's destruction); the input must outlive the parser.
//
// Semantics worth knowing:
//   - Values use Go's ParseFloat syntax as Prometheus restricts it: decimal
//     and exponent forms, "Inf"/"+Inf"/"-Inf"/"Infinity" and "NaN" in any
//     case; no hex floats, no underscores. Out-of-range values are errors.
//   - Timestamps are given in milliseconds in both formats: text 0.0.4 writes
//     integer ms; OpenMetrics writes float seconds, converted exactly for
//     plain decimals ("1690000000.123" -> 1690000000123, sub-ms digits
//     truncated), otherwise rounded.
//   - OpenMetrics: "# EOF" must end the input (one final newline allowed),
//     comments other than HELP/TYPE/UNIT are errors, separators are exactly
//     one space, no trailing comma in label sets. Text 0.0.4: blank lines and
//     other comments are skipped, tabs and runs of blanks separate tokens, a
//     trailing comma is allowed, the final newline may be missing, exemplars
//     are an error.
//   - A sample belongs to the family of the last TYPE/HELP/UNIT line when its
//     name is the family name plus a suffix that family's type may carry
//     (_total, _bucket, _count, _sum, _created, _gcount, _gsum, _info);
//     Entry::family and Entry::type tell which. `_created` samples of
//     counters, histograms and summaries are flagged (OpenMetrics).
//   - Not checked here (the scrape loop does it, as Prometheus' does):
//     duplicate label names within a sample, exemplar label length (128
//     code points, see text_format.h), family grouping and ordering.
//
// Thread-safety: one parser per thread; the input may be shared.
//
//   ExpositionParser parser(body, FormatForScrapeContentType(content_type));
//   ExpositionEntry e;
//   while (parser.Next(&e)) {
//     if (e.kind == EntryKind::kSample) Append(e.name, e.labels, e.value);
//   }
//   RETURN_IF_ERROR(parser.status());
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "wire/prometheus/content_type.h"  // Format

namespace quartet::prometheus {

// The format Prometheus parses a scrape with: OpenMetrics when the media type
// is application/openmetrics-text (any version, case-insensitive), text 0.0.4
// otherwise (including a missing or unparsable Content-Type).
Format FormatForScrapeContentType(std::string_view content_type);

// Metric family types of both formats; text 0.0.4's "untyped" is kUnknown.
enum class FamilyType : uint8_t {
  kUnknown,
  kCounter,
  kGauge,
  kHistogram,
  kGaugeHistogram,
  kSummary,
  kInfo,
  kStateset,
};
std::string_view FamilyTypeName(FamilyType type);  // "counter", ...

struct LabelRef {
  std::string_view name;
  std::string_view value;  // unescaped
};

enum class EntryKind : uint8_t { kHelp, kType, kUnit, kSample };

struct ExpositionEntry {
  EntryKind kind = EntryKind::kSample;
  size_t line = 0;                         // 1-based
  std::string_view name;                   // family name (metadata) or metric name (sample)
  std::string_view text;                   // kHelp: the help text, unescaped; kUnit: the unit
  FamilyType type = FamilyType::kUnknown;  // kType: declared; kSample: its family's
  std::string_view family;                 // kSample: family name (== name when none matched)

  // Samples only.
  std::span<const LabelRef> labels;  // in input order
  double value = 0;
  bool has_timestamp = false;
  int64_t timestamp_ms = 0;
  bool is_created = false;  // a `_created` sample of a counter/histogram/summary

  bool has_exemplar = false;
  std::span<const LabelRef> exemplar_labels;
  double exemplar_value = 0;
  bool exemplar_has_timestamp = false;
  int64_t exemplar_timestamp_ms = 0;
};

class ExpositionParser {
 public:
  ExpositionParser(std::string_view input, Format format);
  ExpositionParser(const ExpositionParser&) = delete;
  ExpositionParser& operator=(const ExpositionParser&) = delete;

  // Reads the next entry into *entry. Returns false at the end of the input
  // or on an error; status() tells which (InvalidArgument, with the line).
  bool Next(ExpositionEntry* entry);
  const Status& status() const { return status_; }

 private:
  struct Cursor;

  bool ParseLine(std::string_view line, ExpositionEntry* entry);
  bool ParseMetadata(Cursor* c, ExpositionEntry* entry);
  bool ParseSample(Cursor* c, ExpositionEntry* entry);
  bool ParseLabels(Cursor* c, std::vector<LabelRef>* out);
  bool ParseLabelValue(Cursor* c, std::string_view* out);
  bool ParseExemplar(Cursor* c, ExpositionEntry* entry);
  void ClassifySample(ExpositionEntry* entry) const;
  bool Fail(std::string message);
  bool Fail(std::string_view expected, const Cursor& c);

  std::string_view input_;
  size_t pos_ = 0;
  size_t line_no_ = 0;
  bool om_;
  bool saw_eof_ = false;
  Status status_;
  std::string_view family_;
  FamilyType family_type_ = FamilyType::kUnknown;
  std::vector<LabelRef> labels_;
  std::vector<LabelRef> exemplar_labels_;
  std::string scratch_;  // unescaped text; reserved per line, never reallocated mid-line
};

// Go's strconv.ParseFloat as Prometheus' parsers restrict it (see above);
// false on any syntax or range error. Exposed for tests and other parsers.
bool ParseGoFloat(std::string_view s, double* out);

}  // namespace quartet::prometheus
