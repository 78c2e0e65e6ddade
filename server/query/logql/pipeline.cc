#include "server/query/logql/pipeline.h"

#include <re2/re2.h>

#include <algorithm>

#include "server/query/logql/line_template.h"
#include "server/query/logql/literals.h"
#include "server/query/logql/log_parsers.h"
#include "server/query/logql/pattern_parser.h"

namespace quartet::logql {

Pipeline::Pipeline(const LogQuery& query, const Unwrap* unwrap) : unwrap_(unwrap) {
  size_t i = 0;
  while (i < query.pipeline.size() && std::holds_alternative<LineFilter>(query.pipeline[i])) {
    leading_.push_back(std::get<LineFilter>(query.pipeline[i]));
    ++i;
  }
  stages_.assign(query.pipeline.begin() + static_cast<ptrdiff_t>(i), query.pipeline.end());
}

void Pipeline::Reset(const Labels& stream, const Labels& metadata) {
  size_ = 0;
  for (const auto& [name, value] : stream) Set(name, value);
  base_ = size_;
  for (const auto& [name, value] : metadata) SetParsed(name, value);
  base_ = size_;
}

Pipeline::Label* Pipeline::Find(std::string_view name) {
  for (size_t i = 0; i < size_; ++i) {
    if (labels_[i].name == name) return &labels_[i];
  }
  return nullptr;
}

std::string_view Pipeline::Get(std::string_view name, bool* found) {
  Label* l = Find(name);
  *found = l != nullptr;
  return l ? std::string_view(l->value) : std::string_view();
}

void Pipeline::Set(std::string_view name, std::string_view value) {
  if (Label* l = Find(name)) {
    l->value.assign(value);
    return;
  }
  if (size_ == labels_.size()) labels_.emplace_back();
  labels_[size_].name.assign(name);
  labels_[size_].value.assign(value);
  ++size_;
}

void Pipeline::SetParsed(std::string_view name, std::string_view value) {
  for (size_t i = 0; i < base_; ++i) {
    if (labels_[i].name == name) {
      key_.assign(name);
      key_ += "_extracted";
      Set(key_, value);
      return;
    }
  }
  Set(name, value);
}

void Pipeline::Remove(std::string_view name) {
  for (size_t i = 0; i < size_; ++i) {
    if (labels_[i].name != name) continue;
    // Rotate rather than swap so the stream labels stay in front of base_.
    std::rotate(labels_.begin() + static_cast<ptrdiff_t>(i),
                labels_.begin() + static_cast<ptrdiff_t>(i) + 1,
                labels_.begin() + static_cast<ptrdiff_t>(size_));
    --size_;
    if (i < base_) --base_;
    return;
  }
}

void Pipeline::SetError(std::string_view error, std::string_view details) {
  Set(kErrorLabel, error);
  Set(kErrorDetailsLabel, details);
}

bool Pipeline::EvalFilter(const LabelFilterExpr& e) {
  using K = LabelFilterExpr::Kind;
  switch (e.kind) {
    case K::kAnd:
      return EvalFilter(*e.left) && EvalFilter(*e.right);
    case K::kOr:
      return EvalFilter(*e.left) || EvalFilter(*e.right);
    case K::kString: {
      bool found;
      return e.matcher.Matches(Get(e.matcher.name, &found));
    }
    default:
      break;
  }
  // As in Loki: a line that already failed parsing is left for `__error__`
  // filters to decide; a missing label fails the comparison.
  if (HasError()) return true;
  bool found;
  std::string_view text = Get(e.name, &found);
  if (!found) return false;
  std::optional<double> v;
  if (e.kind == K::kNumber) {
    v = ParseNumber(text);
  } else if (e.kind == K::kDuration) {
    if (auto ns = ParseDuration(text)) v = static_cast<double>(*ns) / 1e9;
  } else {
    v = ParseBytes(text);
  }
  if (!v) {
    scratch_.assign("cannot parse \"");
    scratch_.append(text);
    scratch_.append(e.kind == K::kNumber     ? "\" as a number"
                    : e.kind == K::kDuration ? "\" as a duration"
                                             : "\" as a byte size");
    SetError("LabelFilterErr", scratch_);
    return true;
  }
  switch (e.cmp) {
    case LabelFilterExpr::Cmp::kEq:
      return *v == e.value;
    case LabelFilterExpr::Cmp::kNeq:
      return *v != e.value;
    case LabelFilterExpr::Cmp::kGt:
      return *v > e.value;
    case LabelFilterExpr::Cmp::kGte:
      return *v >= e.value;
    case LabelFilterExpr::Cmp::kLt:
      return *v < e.value;
    case LabelFilterExpr::Cmp::kLte:
      return *v <= e.value;
  }
  return false;
}

bool Pipeline::RunStage(const Stage& stage) {
  auto set_parsed = [this](std::string_view k, std::string_view v) { SetParsed(k, v); };
  auto lookup = [this](std::string_view name) {
    bool found;
    return Get(name, &found);
  };
  if (const auto* f = std::get_if<LineFilter>(&stage)) return f->Matches(cur_);
  if (const auto* f = std::get_if<LabelFilterStage>(&stage)) return EvalFilter(*f->expr);
  if (const auto* j = std::get_if<JsonStage>(&stage)) {
    if (HasError()) return true;
    if (j->extractions.empty()) {
      Status st = ParseJsonFields(cur_, set_parsed, &scratch_);
      if (!st.ok()) SetError("JSONParserErr", st.message());
      return true;
    }
    for (const auto& x : j->extractions) {
      if (ExtractJsonPath(cur_, x.segments, &scratch2_)) SetParsed(x.label, scratch2_);
    }
    return true;
  }
  if (const auto* l = std::get_if<LogfmtStage>(&stage)) {
    if (HasError()) return true;
    Status st;
    if (l->extractions.empty()) {
      st = ParseLogfmtFields(cur_, set_parsed, &scratch_);
    } else {
      st = ParseLogfmtFields(
          cur_,
          [&](std::string_view k, std::string_view v) {
            for (const auto& x : l->extractions) {
              if (x.key == k) SetParsed(x.label, v);
            }
          },
          &scratch_);
    }
    if (!st.ok()) SetError("LogfmtParserErr", st.message());
    return true;
  }
  if (const auto* p = std::get_if<PatternStage>(&stage)) {
    p->compiled->Match(cur_, set_parsed);
    return true;
  }
  if (const auto* r = std::get_if<RegexpStage>(&stage)) {
    const RE2& re = *r->re;
    re2::StringPiece groups[32];
    int n = std::min(re.NumberOfCapturingGroups() + 1, 32);
    if (re.Match(re2::StringPiece(cur_.data(), cur_.size()), 0, cur_.size(), RE2::UNANCHORED,
                 groups, n)) {
      for (const auto& [name, index] : re.NamedCapturingGroups()) {
        if (index < n)
          SetParsed(name, std::string_view(groups[index].data(), groups[index].size()));
      }
    }
    return true;
  }
  if (const auto* lf = std::get_if<LineFormatStage>(&stage)) {
    scratch_.clear();
    lf->compiled->Render(lookup, cur_, &scratch_);
    line_.swap(scratch_);
    cur_ = line_;
    return true;
  }
  if (const auto* lf = std::get_if<LabelFormatStage>(&stage)) {
    // As in Loki, every item sees the labels as they were before the stage.
    formatted_.resize(lf->items.size());
    for (size_t i = 0; i < lf->items.size(); ++i) {
      const auto& item = lf->items[i];
      formatted_[i].clear();
      if (item.is_template) {
        item.compiled->Render(lookup, cur_, &formatted_[i]);
      } else {
        bool found;
        formatted_[i].assign(Get(item.src, &found));
      }
    }
    for (const auto& item : lf->items) {
      if (!item.is_template) Remove(item.src);
    }
    for (size_t i = 0; i < lf->items.size(); ++i) Set(lf->items[i].dst, formatted_[i]);
    return true;
  }
  if (std::holds_alternative<DecolorizeStage>(stage)) {
    // ESC '[' parameters intermediates final-byte (CSI), as terminals colour text.
    scratch_.clear();
    for (size_t i = 0; i < cur_.size(); ++i) {
      if (cur_[i] == '\x1b' && i + 1 < cur_.size() && cur_[i + 1] == '[') {
        size_t j = i + 2;
        while (j < cur_.size() && static_cast<unsigned char>(cur_[j]) >= 0x20 &&
               static_cast<unsigned char>(cur_[j]) <= 0x3f) {
          ++j;
        }
        if (j < cur_.size() && static_cast<unsigned char>(cur_[j]) >= 0x40 &&
            static_cast<unsigned char>(cur_[j]) <= 0x7e) {
          i = j;
          continue;
        }
      }
      scratch_ += cur_[i];
    }
    line_.swap(scratch_);
    cur_ = line_;
    return true;
  }
  if (const auto* dk = std::get_if<DropKeepStage>(&stage)) {
    for (size_t i = 0; i < size_;) {
      bool listed = false;
      for (const auto& item : dk->items) {
        if (labels_[i].name == item.name &&
            (!item.matcher || item.matcher->Matches(labels_[i].value))) {
          listed = true;
          break;
        }
      }
      if (listed != dk->keep) {
        std::string name = labels_[i].name;
        Remove(name);
      } else {
        ++i;
      }
    }
    return true;
  }
  return true;
}

void Pipeline::Output(Labels* out) {
  out->resize(size_);
  for (size_t i = 0; i < size_; ++i) {
    (*out)[i].first.assign(labels_[i].name);
    (*out)[i].second.assign(labels_[i].value);
  }
  std::sort(out->begin(), out->end());
}

bool Pipeline::Process(const Labels& stream, const Labels& metadata, std::string_view line,
                       Labels* out_labels, std::string* out_line) {
  double unused;
  const Unwrap* saved = unwrap_;
  unwrap_ = nullptr;
  bool ok = ProcessSample(stream, metadata, line, out_labels, out_line, &unused);
  unwrap_ = saved;
  return ok;
}

bool Pipeline::ProcessSample(const Labels& stream, const Labels& metadata, std::string_view line,
                             Labels* out_labels, std::string* out_line, double* value) {
  for (const LineFilter& f : leading_) {
    if (!f.Matches(line)) return false;
  }
  *value = 1;
  if (stages_.empty() && unwrap_ == nullptr && metadata.empty()) {
    *out_labels = stream;
    out_line->assign(line);
    return true;
  }
  Reset(stream, metadata);
  cur_ = line;
  for (const Stage& stage : stages_) {
    if (!RunStage(stage)) return false;
  }
  if (unwrap_ != nullptr) {
    bool found;
    std::string_view text = Get(unwrap_->label, &found);
    std::optional<double> v;
    if (found) {
      switch (unwrap_->conv) {
        case Unwrap::Conv::kNone:
          v = ParseNumber(text);
          break;
        case Unwrap::Conv::kDuration:
        case Unwrap::Conv::kDurationSeconds:
          if (auto ns = ParseDuration(text)) v = static_cast<double>(*ns) / 1e9;
          break;
        case Unwrap::Conv::kBytes:
          v = ParseBytes(text);
          break;
      }
    }
    if (v) {
      *value = *v;
    } else {
      *value = 0;
      if (!HasError()) {
        scratch_.assign(found ? "cannot convert \"" : "label \"");
        scratch_.append(found ? text : std::string_view(unwrap_->label));
        scratch_.append(found ? "\" for unwrap" : "\" to unwrap is missing");
        SetError("SampleExtractionErr", scratch_);
      }
    }
    Remove(unwrap_->label);
    for (const auto& f : unwrap_->post_filters) {
      if (!EvalFilter(*f)) return false;
    }
  }
  Output(out_labels);
  out_line->assign(cur_);
  return true;
}

}  // namespace quartet::logql
