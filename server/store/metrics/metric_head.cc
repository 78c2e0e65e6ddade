#include "server/store/metrics/metric_head.h"

#include <algorithm>
#include <bit>
#include <iterator>
#include <new>

#include "server/store/label_match.h"

namespace quartet::store {
namespace {

// The aligned 2-hour window of t (floor division, also for negative t).
int64_t WindowOf(int64_t t) { return t / kChunkWindowMs - (t % kChunkWindowMs < 0 ? 1 : 0); }

size_t ExemplarBytes(const Exemplar& e) {
  size_t n = sizeof(Exemplar);
  for (const auto& [name, value] : e.labels) n += 64 + name.size() + value.size();
  return n;
}

}  // namespace

SealedChunk* MetricHead::Seal(const SealedChunk* before, const ChunkAppender& open) {
  std::vector<int64_t> t;
  std::vector<uint64_t> bits;
  t.reserve(open.samples() + (before != nullptr ? before->samples_ : 0));
  bits.reserve(t.capacity());
  auto take = [&](ChunkIterator it) {
    while (it.Next()) {
      t.push_back(it.t());
      bits.push_back(it.value_bits());
    }
  };
  if (before != nullptr) {
    take(ChunkIterator(before->samples_, before->timestamps(), before->values(),
                       ValueCoding::kCompact));
  }
  take(ChunkIterator(open.samples(), open.timestamp_bytes(), open.value_bytes()));
  const CompactChunk c = EncodeCompactChunk(t, bits);
  char* block = arena_.Allocate(sizeof(SealedChunk) + c.timestamps.size() + c.values.size());
  SealedChunk* out = new (block) SealedChunk();
  out->min_t_ = c.min_t;
  out->max_t_ = c.max_t;
  out->samples_ = c.samples;
  out->ts_bytes_ = static_cast<uint32_t>(c.timestamps.size());
  out->value_bytes_ = static_cast<uint32_t>(c.values.size());
  char* data = block + sizeof(SealedChunk);
  std::copy(c.timestamps.begin(), c.timestamps.end(), data);
  std::copy(c.values.begin(), c.values.end(), data + c.timestamps.size());
  return out;
}

void MetricHead::FreeSealed(SealedChunk* c) {
  // SealedChunk is trivially destructible: its block is all there is.
  arena_.Free(reinterpret_cast<char*>(c), c->MemoryBytes());
}

Result<uint32_t> MetricHead::GetOrCreate(const Labels& labels, bool enforce_limit, bool* created) {
  if (std::optional<uint32_t> ref = index_.Find(labels)) {
    *created = false;
    return *ref;
  }
  std::string name(LabelValue(labels, "__name__"));
  uint32_t& count = per_metric_[name];
  if (enforce_limit && limits_.max_series_per_metric > 0 &&
      count >= limits_.max_series_per_metric) {
    if (count == 0) per_metric_.erase(name);
    return Status::InvalidArgument("metric " + (name.empty() ? std::string("<no name>") : name) +
                                   " has too many series (limit " +
                                   std::to_string(limits_.max_series_per_metric) + ")");
  }
  ++count;
  const uint32_t ref = index_.GetOrAdd(labels, created);
  series_.emplace_back(&arena_);
  return ref;
}

SampleOutcome MetricHead::Check(uint32_t ref, int64_t t_ms, uint64_t bits) const {
  const HeadSeries& s = series_[ref];
  if (!s.has_last || t_ms > s.last_t) return SampleOutcome::kAppended;
  if (t_ms < s.last_t) return SampleOutcome::kOutOfOrder;
  return bits == s.last_bits ? SampleOutcome::kDuplicate : SampleOutcome::kConflict;
}

void MetricHead::Cut(HeadSeries* s) {
  SealedChunk* last = s->newest;
  if (last != nullptr && last->samples() + s->open.samples() <= kSealedChunkMaxSamples &&
      WindowOf(last->min_t()) == WindowOf(s->open.min_t())) {
    // Grown in place: one chunk per window and series amortizes the chunk's
    // fixed cost over up to 480 samples instead of 120.
    SealedChunk* grown = Seal(last, s->open);
    grown->older_ = last->older_;
    FreeSealed(last);
    s->newest = grown;
  } else {
    SealedChunk* c = Seal(nullptr, s->open);
    c->older_ = last;
    s->newest = c;
  }
  s->open = ChunkAppender(&arena_);
}

SampleOutcome MetricHead::Append(uint32_t ref, int64_t t_ms, double v) {
  const uint64_t bits = std::bit_cast<uint64_t>(v);
  const SampleOutcome outcome = Check(ref, t_ms, bits);
  if (outcome != SampleOutcome::kAppended) return outcome;
  HeadSeries& s = series_[ref];
  if (s.open.samples() > 0 &&
      (s.open.samples() >= kChunkTargetSamples || WindowOf(t_ms) != WindowOf(s.open.min_t()))) {
    Cut(&s);
  }
  s.open.Append(t_ms, v);  // cannot fail: t_ms > last_t >= the chunk's last
  s.has_last = true;
  s.last_t = t_ms;
  s.last_bits = bits;
  s.min_t = std::min(s.min_t, t_ms);
  s.max_t = t_ms;
  min_t_ = std::min(min_t_, t_ms);
  max_t_ = std::max(max_t_, t_ms);
  ++samples_;
  return SampleOutcome::kAppended;
}

void MetricHead::SetLast(uint32_t ref, int64_t t_ms, uint64_t bits) {
  HeadSeries& s = series_[ref];
  if (s.has_last && s.last_t >= t_ms) return;
  s.has_last = true;
  s.last_t = t_ms;
  s.last_bits = bits;
}

bool MetricHead::AddExemplar(uint32_t ref, Exemplar exemplar) {
  if (limits_.max_exemplars_per_series == 0 || !ValidLabels(exemplar.labels)) return false;
  std::vector<Exemplar>& ex = series_[ref].exemplars;
  if (!ex.empty()) {
    const Exemplar& last = ex.back();
    if (exemplar.t_ms < last.t_ms) return false;
    if (exemplar.t_ms == last.t_ms &&
        std::bit_cast<uint64_t>(exemplar.value) == std::bit_cast<uint64_t>(last.value) &&
        exemplar.labels == last.labels) {
      return false;
    }
  }
  if (ex.size() >= limits_.max_exemplars_per_series) {
    exemplar_bytes_ -= std::min(exemplar_bytes_, ExemplarBytes(ex.front()));
    ex.erase(ex.begin());
    --exemplars_;
  }
  ++exemplars_;
  exemplar_bytes_ += ExemplarBytes(exemplar);
  ex.push_back(std::move(exemplar));
  return true;
}

std::vector<SeriesRecordEntry> MetricHead::CarryOver(int64_t window_ms) const {
  std::vector<SeriesRecordEntry> out;
  if (max_t_ == INT64_MIN) return out;
  const int64_t oldest = max_t_ > INT64_MIN + window_ms ? max_t_ - window_ms : INT64_MIN;
  for (uint32_t ref = 0; ref < series_.size(); ++ref) {
    const HeadSeries& s = series_[ref];
    if (!s.has_last || s.last_t < oldest) continue;
    out.push_back(SeriesRecordEntry{static_cast<uint32_t>(out.size()), index_.LabelsOf(ref), true,
                                    s.last_t, s.last_bits});
  }
  return out;
}

std::vector<SeriesRecordEntry> MetricHead::AllSeries() const {
  std::vector<SeriesRecordEntry> out;
  out.reserve(series_.size());
  for (uint32_t ref = 0; ref < series_.size(); ++ref) {
    const HeadSeries& s = series_[ref];
    out.push_back(SeriesRecordEntry{ref, index_.LabelsOf(ref), s.has_last, s.last_t, s.last_bits});
  }
  return out;
}

size_t MetricHead::bytes() const {
  return index_.MemoryBytes() + series_.size() * sizeof(HeadSeries) + arena_.MemoryBytes() +
         exemplar_bytes_ + per_metric_.size() * 64;
}

void MetricHead::AppendSamples(uint32_t ref, int64_t min_t, int64_t max_t, ChunkScratch* scratch,
                               std::vector<Sample>* out) const {
  const HeadSeries& s = series_[ref];
  if (s.max_t < min_t || s.min_t > max_t) return;
  // Oldest first: the list runs newest first, and a series has a few
  // sealed chunks (one per 2-hour window, or per 480 samples).
  const SealedChunk* inline_chunks[16];
  std::vector<const SealedChunk*> more;
  size_t n = 0;
  for (const SealedChunk* c = s.newest; c != nullptr; c = c->older()) {
    if (n < std::size(inline_chunks)) {
      inline_chunks[n] = c;
    } else {
      if (more.empty()) more.assign(inline_chunks, inline_chunks + n);
      more.push_back(c);
    }
    ++n;
  }
  const SealedChunk* const* chunks = more.empty() ? inline_chunks : more.data();
  for (size_t i = n; i-- > 0;) {
    const SealedChunk& c = *chunks[i];
    if (c.max_t() < min_t || c.min_t() > max_t) continue;
    if (!AppendChunkSamples(c.samples(), c.timestamps(), c.values(), ValueCoding::kCompact, min_t,
                            max_t, scratch, out)
             .ok()) {
      return;
    }
  }
  if (s.open.samples() > 0 && s.open.max_t() >= min_t && s.open.min_t() <= max_t) {
    (void)AppendChunkSamples(s.open.samples(), s.open.timestamp_bytes(), s.open.value_bytes(),
                             ValueCoding::kStream, min_t, max_t, scratch, out);
  }
}

void MetricHead::ForEachSample(uint32_t ref, int64_t min_t, int64_t max_t,
                               const std::function<void(int64_t, double)>& fn) const {
  ChunkScratch scratch;
  std::vector<Sample> samples;
  AppendSamples(ref, min_t, max_t, &scratch, &samples);
  for (const Sample& s : samples) fn(s.t_ms, s.v);
}

}  // namespace quartet::store
