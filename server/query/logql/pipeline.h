// Pipeline: runs a log query's stages (line filters, parsers, label filters,
// formatting, drop/keep) over one entry at a time, as Loki does:
//   - structured metadata behaves as labels (filterable, returned as labels);
//   - a parsed label that clashes with a stream or metadata label is renamed
//     with the suffix "_extracted";
//   - a json/logfmt failure adds __error__ (JSONParserErr, LogfmtParserErr)
//     and __error_details__, and later parsers skip that line; numeric label
//     filters let such lines through so `| __error__=""` can decide;
//   - processing stops at the first stage that rejects the line.
// The leading line filters run on the raw line before any label work, without
// allocating. A Pipeline keeps scratch buffers: use one per thread. It shares
// the compiled (immutable) parts of the query it was built from.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/query/logql/ast.h"

namespace quartet::logql {

inline constexpr std::string_view kErrorLabel = "__error__";
inline constexpr std::string_view kErrorDetailsLabel = "__error_details__";

class Pipeline {
 public:
  // `unwrap` (optional, borrowed for the Pipeline's lifetime) turns the
  // pipeline into a sample extractor for ProcessSample.
  explicit Pipeline(const LogQuery& query, const Unwrap* unwrap = nullptr);

  // Returns false when the line is filtered out; otherwise sets *out_labels
  // (sorted; stream labels, metadata and parsed labels) and *out_line.
  bool Process(const Labels& stream, const Labels& metadata, std::string_view line,
               Labels* out_labels, std::string* out_line);

  // Like Process, then reads the unwrapped label as a number (removing it from
  // the labels) and applies the post-unwrap filters. A conversion failure sets
  // __error__="SampleExtractionErr" and *value = 0. Without unwrap, *value = 1.
  bool ProcessSample(const Labels& stream, const Labels& metadata, std::string_view line,
                     Labels* out_labels, std::string* out_line, double* value);

  // The leading line filters alone (what a store may use to skip data).
  const std::vector<LineFilter>& leading_filters() const { return leading_; }
  // True when the pipeline is only line filters (labels pass through as is).
  bool filters_only() const { return stages_.empty(); }

 private:
  struct Label {
    std::string name, value;
  };
  // Working label set: entries [0, size_) of labels_ are live; strings are
  // reused across lines to avoid allocation. The first base_ came from the
  // stream and metadata.
  void Reset(const Labels& stream, const Labels& metadata);
  Label* Find(std::string_view name);
  std::string_view Get(std::string_view name, bool* found);
  void Set(std::string_view name, std::string_view value);
  void SetParsed(std::string_view name, std::string_view value);
  void Remove(std::string_view name);
  bool HasError() {
    bool f;
    Get(kErrorLabel, &f);
    return f;
  }
  void SetError(std::string_view error, std::string_view details);
  bool EvalFilter(const LabelFilterExpr& e);
  bool RunStage(const Stage& stage);
  void Output(Labels* out_labels);

  std::vector<LineFilter> leading_;
  std::vector<Stage> stages_;  // after the leading line filters
  const Unwrap* unwrap_;

  std::vector<Label> labels_;
  size_t size_ = 0;
  size_t base_ = 0;
  std::string line_;      // the current line once a stage rewrote it
  std::string_view cur_;  // the current line
  std::string scratch_, scratch2_, key_;
  std::vector<std::string> formatted_;  // label_format values
};

}  // namespace quartet::logql
