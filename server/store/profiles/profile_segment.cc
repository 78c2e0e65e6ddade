#include "server/store/profiles/profile_segment.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <tuple>

#include "server/store/block/column.h"
#include "server/store/block/varint.h"

namespace quartet::store {
namespace {

constexpr uint64_t kIndexVersion = 1;
// Bounds on counts read from a block, so a damaged one cannot make the
// decoder reserve absurd amounts before it runs out of bytes.
constexpr uint64_t kMaxCount = uint64_t{1} << 28;

void PutZig(std::string* out, int64_t v) { PutVarint64(out, ZigZagEncode(v)); }

// a + b, saturating: durations in a damaged block must not overflow.
int64_t SatAdd(int64_t a, int64_t b) {
  int64_t r;
  if (!__builtin_add_overflow(a, b, &r)) return r;
  return b > 0 ? INT64_MAX : INT64_MIN;
}

// Fixed-width key bytes for the dedup maps (not a persisted format).
template <typename T>
void PutRaw(std::string* key, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  key->append(buf, sizeof(T));
}

// Maps pprof ids (any uint64) to segment indexes: a vector when ids are
// small and dense, as every known client writes them, else a hash map.
class IdMap {
 public:
  void Reserve(uint64_t max_id, size_t count) {
    dense_ = max_id <= 4 * count + 64;
    if (dense_) vec_.assign(max_id + 1, UINT32_MAX);
  }
  void Set(uint64_t id, uint32_t v) {
    if (dense_) {
      vec_[id] = v;
    } else {
      map_[id] = v;
    }
  }
  uint32_t Get(uint64_t id) const {
    if (dense_) return id < vec_.size() ? vec_[id] : UINT32_MAX;
    auto it = map_.find(id);
    return it == map_.end() ? UINT32_MAX : it->second;
  }

 private:
  bool dense_ = true;
  std::vector<uint32_t> vec_;
  std::unordered_map<uint64_t, uint32_t> map_;
};

template <typename T>
uint64_t MaxId(const std::vector<T>& v) {
  uint64_t m = 0;
  for (const T& x : v) m = std::max(m, x.id);
  return m;
}

uint32_t Lookup(std::unordered_map<std::string, uint32_t>* map, std::string key, size_t next,
                bool* fresh) {
  auto [it, inserted] = map->try_emplace(std::move(key), static_cast<uint32_t>(next));
  *fresh = inserted;
  return it->second;
}

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool U(uint64_t* v) { return ok_ = ok_ && GetVarint64(&in_, v); }
  bool U32(uint32_t* v, uint64_t bound) {
    uint64_t x = 0;
    if (!U(&x) || x >= bound) return ok_ = false;
    *v = static_cast<uint32_t>(x);
    return true;
  }
  bool Z(int64_t* v) {
    uint64_t x = 0;
    if (!U(&x)) return false;
    *v = ZigZagDecode(x);
    return true;
  }
  bool Count(uint64_t* n) { return U(n) && (ok_ = *n <= kMaxCount && *n <= in_.size() + 1); }
  bool Bytes(std::string_view* s) { return ok_ = ok_ && GetLengthPrefixed(&in_, s); }
  bool ok() const { return ok_; }
  bool done() const { return ok_ && in_.empty(); }

 private:
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace

std::string ProfileTypeId(std::string_view name, const pprof::Profile& p, size_t index) {
  std::string id(name);
  for (std::string_view part :
       {p.StringAt(p.sample_type[index].type), p.StringAt(p.sample_type[index].unit),
        p.StringAt(p.period_type.type), p.StringAt(p.period_type.unit)}) {
    id += ':';
    id += part;
  }
  return id;
}

bool IsSampleLabelName(std::string_view name) {
  return name == "span_id" || name == "span_name" || name == "trace_id" || name == "profile_id";
}

ProfileSegment::ProfileSegment() {
  Intern("");
  label_sets_.emplace_back();  // id 0: no labels
  label_set_ids_.emplace("", 0);
}

uint32_t ProfileSegment::Intern(std::string_view s) {
  auto it = string_ids_.find(s);
  if (it != string_ids_.end()) return it->second;
  const uint32_t id = static_cast<uint32_t>(strings_.size());
  strings_.emplace_back(s);
  string_ids_.emplace(strings_.back(), id);
  bytes_ += s.size() + 64;
  return id;
}

ProfileAppendResult ProfileSegment::Add(const Labels& labels, int64_t time_ns, int64_t duration_ns,
                                        const pprof::Profile& p) {
  ProfileAppendResult result;
  std::vector<uint32_t> str(p.string_table.size());
  for (size_t i = 0; i < p.string_table.size(); ++i) str[i] = Intern(p.string_table[i]);
  auto S = [&](int64_t i) -> uint32_t {
    return i >= 0 && static_cast<size_t>(i) < str.size() ? str[static_cast<size_t>(i)] : 0;
  };
  bool fresh = false;
  std::string key;

  IdMap fn_map;
  fn_map.Reserve(MaxId(p.function), p.function.size());
  for (const pprof::Function& f : p.function) {
    Function mine{S(f.name), S(f.system_name), S(f.filename), f.start_line};
    key.clear();
    PutRaw(&key, mine.name), PutRaw(&key, mine.system_name), PutRaw(&key, mine.filename);
    PutRaw(&key, mine.start_line);
    uint32_t id = Lookup(&function_ids_, key, functions_.size(), &fresh);
    if (fresh) functions_.push_back(mine), bytes_ += sizeof(Function) + 64;
    fn_map.Set(f.id, id);
  }
  IdMap map_map;
  map_map.Reserve(MaxId(p.mapping), p.mapping.size());
  for (const pprof::Mapping& m : p.mapping) {
    Mapping mine{m.memory_start,
                 m.memory_limit,
                 m.file_offset,
                 S(m.filename),
                 S(m.build_id),
                 uint32_t{m.has_functions} | uint32_t{m.has_filenames} << 1 |
                     uint32_t{m.has_line_numbers} << 2 | uint32_t{m.has_inline_frames} << 3};
    key.clear();
    PutRaw(&key, mine.start), PutRaw(&key, mine.limit), PutRaw(&key, mine.offset);
    PutRaw(&key, mine.filename), PutRaw(&key, mine.build_id), PutRaw(&key, mine.flags);
    uint32_t id = Lookup(&mapping_ids_, key, mappings_.size(), &fresh);
    if (fresh) mappings_.push_back(mine), bytes_ += sizeof(Mapping) + 64;
    map_map.Set(m.id, id);
  }
  IdMap loc_map;
  loc_map.Reserve(MaxId(p.location), p.location.size());
  for (const pprof::Location& l : p.location) {
    Location mine;
    const uint32_t m = l.mapping_id == 0 ? UINT32_MAX : map_map.Get(l.mapping_id);
    mine.mapping = m == UINT32_MAX ? 0 : m + 1;
    mine.address = l.address;
    mine.folded = l.is_folded;
    key.clear();
    PutRaw(&key, mine.mapping), PutRaw(&key, mine.address), PutRaw(&key, mine.folded);
    for (const pprof::Line& line : l.line) {
      const uint32_t f = fn_map.Get(line.function_id);
      if (f == UINT32_MAX) continue;  // CheckProfileRefs refuses this before the WAL
      mine.lines.push_back(Line{f, line.line, line.column});
      PutRaw(&key, f), PutRaw(&key, line.line), PutRaw(&key, line.column);
    }
    uint32_t id = Lookup(&location_ids_, key, locations_.size(), &fresh);
    if (fresh) {
      bytes_ += sizeof(Location) + mine.lines.size() * sizeof(Line) + 64;
      locations_.push_back(std::move(mine));
    }
    loc_map.Set(l.id, id);
  }

  std::vector<uint32_t> stack_of(p.sample.size()), labels_of(p.sample.size());
  std::vector<uint32_t> locs;
  for (size_t s = 0; s < p.sample.size(); ++s) {
    const pprof::Sample& sample = p.sample[s];
    locs.clear();
    key.clear();
    for (uint64_t id : sample.location_id) {
      const uint32_t l = loc_map.Get(id);
      if (l == UINT32_MAX) continue;
      locs.push_back(l);
      PutRaw(&key, l);
    }
    stack_of[s] = Lookup(&stack_ids_, key, stacks_.size(), &fresh);
    if (fresh) stacks_.push_back(locs), bytes_ += locs.size() * 4 + 96;
    if (sample.label.empty()) continue;
    std::vector<LabelEntry> set;
    set.reserve(sample.label.size());
    for (const pprof::Label& l : sample.label) {
      set.push_back(LabelEntry{S(l.key), S(l.str), S(l.num_unit), l.num});
    }
    std::sort(set.begin(), set.end(), [](const LabelEntry& a, const LabelEntry& b) {
      return std::tie(a.key, a.str, a.num, a.num_unit) < std::tie(b.key, b.str, b.num, b.num_unit);
    });
    key.clear();
    for (const LabelEntry& e : set) {
      PutRaw(&key, e.key), PutRaw(&key, e.str), PutRaw(&key, e.num_unit), PutRaw(&key, e.num);
    }
    labels_of[s] = Lookup(&label_set_ids_, key, label_sets_.size(), &fresh);
    if (fresh) label_sets_.push_back(std::move(set)), bytes_ += key.size() * 2 + 96;
  }

  std::string_view name = LabelValue(labels, "__name__");
  const uint32_t span_key = Intern("span_id");
  for (size_t t = 0; t < p.sample_type.size(); ++t) {
    std::string type = ProfileTypeId(name, p, t);
    auto [it, inserted] = series_ids_.try_emplace(std::make_pair(labels, type),
                                                  static_cast<uint32_t>(series_.size()));
    if (inserted) {
      series_.push_back(ProfileSeries{labels, std::move(type)});
      bytes_ += 256;
    }
    ProfileRow row;
    row.series = it->second;
    row.time_ns = time_ns;
    row.duration_ns = duration_ns;
    row.period = p.period;
    row.period_type = S(p.period_type.type);
    row.period_unit = S(p.period_type.unit);
    row.sample_type = S(p.sample_type[t].type);
    row.sample_unit = S(p.sample_type[t].unit);
    row.first_sample = static_cast<uint32_t>(sample_stack_.size());
    const uint32_t profile_id = static_cast<uint32_t>(profiles_.size());
    uint32_t last_set = UINT32_MAX;
    for (size_t s = 0; s < p.sample.size(); ++s) {
      const std::vector<int64_t>& v = p.sample[s].value;
      if (t >= v.size() || v[t] == 0) continue;
      sample_stack_.push_back(stack_of[s]);
      sample_value_.push_back(v[t]);
      sample_labels_.push_back(labels_of[s]);
      ++row.samples;
      if (labels_of[s] == 0 || labels_of[s] == last_set) continue;
      last_set = labels_of[s];
      for (const LabelEntry& e : label_sets_[labels_of[s]]) {
        if (e.key != span_key || e.str == 0) continue;
        std::vector<uint32_t>& ids = span_postings_[strings_[e.str]];
        if (ids.empty() || ids.back() != profile_id) ids.push_back(profile_id), bytes_ += 48;
      }
    }
    profiles_.push_back(row);
    bytes_ += sizeof(ProfileRow) + row.samples * 16;
    result.profiles += 1;
    result.samples += row.samples;
  }
  if (!p.sample_type.empty()) {
    min_time_ = std::min(min_time_, time_ns);
    max_time_ = std::max(max_time_, SatAdd(time_ns, std::max<int64_t>(duration_ns, 0)));
  }
  return result;
}

std::vector<uint32_t> ProfileSegment::ProfilesWithSpan(std::string_view value) const {
  auto it = span_postings_.find(value);
  return it == span_postings_.end() ? std::vector<uint32_t>{} : it->second;
}

Labels ProfileSegment::SampleLabels(uint32_t set) const {
  Labels out;
  for (const LabelEntry& e : label_sets_[set]) {
    if (e.str != 0) out.emplace_back(strings_[e.key], strings_[e.str]);
  }
  std::sort(out.begin(), out.end());
  return out;
}

int64_t ProfileSegment::Total(size_t i) const {
  const ProfileRow& row = profiles_[i];
  uint64_t sum = 0;  // wraps instead of overflowing on hostile values
  for (uint32_t s = row.first_sample; s < row.first_sample + row.samples; ++s) {
    sum += static_cast<uint64_t>(sample_value_[s]);
  }
  return static_cast<int64_t>(sum);
}

StoredProfile ProfileSegment::Materialize(size_t i, const CompiledMatchers* filter) const {
  const ProfileRow& row = profiles_[i];
  StoredProfile out;
  out.labels = series_[row.series].labels;
  out.profile_type = series_[row.series].profile_type;
  out.time_ns = row.time_ns;
  out.duration_ns = row.duration_ns;
  pprof::Profile& p = out.profile;
  std::unordered_map<uint32_t, int64_t> str_ids;
  str_ids.reserve(256);
  p.string_table.emplace_back();
  str_ids.emplace(0, 0);
  auto S = [&](uint32_t id) -> int64_t {
    auto [it, fresh] = str_ids.try_emplace(id, static_cast<int64_t>(p.string_table.size()));
    if (fresh) p.string_table.push_back(strings_[id]);
    return it->second;
  };
  // Segment index -> new id (0: not yet in the profile). Flat vectors: a
  // block's symbol tables are small next to the lookups of a profile.
  std::vector<uint32_t> fn_ids(functions_.size()), map_ids(mappings_.size()),
      loc_ids(locations_.size());
  auto F = [&](uint32_t f) -> uint64_t {
    if (fn_ids[f] == 0) {
      fn_ids[f] = static_cast<uint32_t>(p.function.size() + 1);
      const Function& fn = functions_[f];
      p.function.push_back(
          pprof::Function{fn_ids[f], S(fn.name), S(fn.system_name), S(fn.filename), fn.start_line});
    }
    return fn_ids[f];
  };
  auto M = [&](uint32_t m) -> uint64_t {
    if (map_ids[m] == 0) {
      map_ids[m] = static_cast<uint32_t>(p.mapping.size() + 1);
      const Mapping& mp = mappings_[m];
      pprof::Mapping& o = p.mapping.emplace_back();
      o.id = map_ids[m];
      o.memory_start = mp.start;
      o.memory_limit = mp.limit;
      o.file_offset = mp.offset;
      o.filename = S(mp.filename);
      o.build_id = S(mp.build_id);
      o.has_functions = mp.flags & 1;
      o.has_filenames = mp.flags & 2;
      o.has_line_numbers = mp.flags & 4;
      o.has_inline_frames = mp.flags & 8;
    }
    return map_ids[m];
  };
  auto L = [&](uint32_t l) -> uint64_t {
    if (loc_ids[l] == 0) {
      loc_ids[l] = static_cast<uint32_t>(p.location.size() + 1);
      const Location& loc = locations_[l];
      pprof::Location o;
      o.id = loc_ids[l];
      o.mapping_id = loc.mapping == 0 ? 0 : M(loc.mapping - 1);
      o.address = loc.address;
      o.is_folded = loc.folded;
      for (const Line& line : loc.lines) {
        o.line.push_back(pprof::Line{F(line.function), line.line, line.column});
      }
      p.location.push_back(std::move(o));
    }
    return loc_ids[l];
  };

  p.sample_type.push_back(pprof::ValueType{S(row.sample_type), S(row.sample_unit)});
  p.period_type = pprof::ValueType{S(row.period_type), S(row.period_unit)};
  p.period = row.period;
  p.time_nanos = row.time_ns;
  p.duration_nanos = row.duration_ns;
  std::vector<int8_t> passes;  // per label set: -1 unknown, 0 no, 1 yes
  if (filter != nullptr) passes.assign(label_sets_.size(), -1);
  for (uint32_t s = row.first_sample; s < row.first_sample + row.samples; ++s) {
    const uint32_t set = sample_labels_[s];
    if (filter != nullptr) {
      if (passes[set] < 0) passes[set] = filter->Matches(SampleLabels(set)) ? 1 : 0;
      if (passes[set] == 0) continue;
    }
    pprof::Sample& o = p.sample.emplace_back();
    for (uint32_t l : stacks_[sample_stack_[s]]) o.location_id.push_back(L(l));
    o.value.push_back(sample_value_[s]);
    for (const LabelEntry& e : label_sets_[set]) {
      o.label.push_back(pprof::Label{S(e.key), e.str == 0 ? 0 : S(e.str), e.num,
                                     e.num_unit == 0 ? 0 : S(e.num_unit)});
    }
  }
  return out;
}

// A batch's view of the segment. Address frames ("0x4012ab") are formatted
// on demand and kept in a deque, so the views handed out stay valid.
class ProfileSegment::SegmentBatch final : public ProfileBatch {
 public:
  explicit SegmentBatch(const ProfileSegment& seg) : seg_(seg) {}

  size_t stack_count() const override { return seg_.stacks_.size(); }
  size_t label_set_count() const override { return seg_.label_sets_.size(); }
  Labels SampleLabels(uint32_t set) const override { return seg_.SampleLabels(set); }

  std::span<const uint32_t> Stack(uint32_t stack) const override { return seg_.stacks_[stack]; }
  size_t location_count() const override { return seg_.locations_.size(); }

  void AppendLocationFrames(uint32_t location, std::vector<std::string_view>* out) const override {
    const Location& loc = seg_.locations_[location];
    const size_t before = out->size();
    // pprof lists a location's lines innermost first.
    for (size_t l = loc.lines.size(); l-- > 0;) {
      const Function& fn = seg_.functions_[loc.lines[l].function];
      std::string_view name = seg_.strings_[fn.name];
      if (name.empty()) name = seg_.strings_[fn.system_name];
      if (!name.empty()) out->push_back(name);
    }
    if (out->size() == before) {
      char buf[24];
      int n =
          std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(loc.address));
      out->push_back(addresses_.emplace_back(buf, static_cast<size_t>(n)));
    }
  }

 private:
  const ProfileSegment& seg_;
  mutable std::deque<std::string> addresses_;
};

std::unique_ptr<ProfileBatch> ProfileSegment::Batch(std::span<const uint32_t> rows,
                                                    const CompiledMatchers* filter) const {
  auto batch = std::make_unique<SegmentBatch>(*this);
  std::vector<int8_t> passes;  // per label set: -1 unknown, 0 no, 1 yes
  if (filter != nullptr) passes.assign(label_sets_.size(), -1);
  batch->rows.reserve(rows.size());
  for (uint32_t r : rows) {
    const ProfileRow& row = profiles_[r];
    if (filter != nullptr) {
      bool any = false;
      for (uint32_t s = row.first_sample; s < row.first_sample + row.samples; ++s) {
        int8_t& pass = passes[sample_labels_[s]];
        if (pass < 0) pass = filter->Matches(SampleLabels(sample_labels_[s])) ? 1 : 0;
        any = any || pass == 1;
      }
      if (!any) continue;
    }
    ProfileBatchRow& out = batch->rows.emplace_back();
    out.labels = &series_[row.series].labels;
    out.time_ns = row.time_ns;
    out.duration_ns = row.duration_ns;
    out.stacks = std::span<const uint32_t>(sample_stack_.data() + row.first_sample, row.samples);
    out.values = std::span<const int64_t>(sample_value_.data() + row.first_sample, row.samples);
    out.label_sets =
        std::span<const uint32_t>(sample_labels_.data() + row.first_sample, row.samples);
  }
  if (filter != nullptr) {
    // Label sets no selected row references stay unknown: no sample reads them.
    batch->selected_label_sets.assign(passes.size(), 0);
    for (size_t i = 0; i < passes.size(); ++i) batch->selected_label_sets[i] = passes[i] == 1;
  }
  return batch;
}

// ---- encoding ---------------------------------------------------------------

std::map<std::string, std::string> ProfileSegment::Encode() const {
  std::map<std::string, std::string> sections;
  std::string& index = sections["index"];
  PutVarint64(&index, kIndexVersion);
  PutVarint64(&index, series_.size());
  for (const ProfileSeries& s : series_) {
    PutLengthPrefixed(&index, s.profile_type);
    PutVarint64(&index, s.labels.size());
    for (const auto& [k, v] : s.labels) PutLengthPrefixed(&index, k), PutLengthPrefixed(&index, v);
  }
  PutVarint64(&index, profiles_.size());
  int64_t prev_time = 0;
  for (const ProfileRow& r : profiles_) {
    PutVarint64(&index, r.series);
    PutZig(&index, r.time_ns - prev_time);
    prev_time = r.time_ns;
    PutZig(&index, r.duration_ns);
    PutZig(&index, r.period);
    for (uint32_t v : {r.period_type, r.period_unit, r.sample_type, r.sample_unit, r.samples}) {
      PutVarint64(&index, v);
    }
  }
  PutVarint64(&index, span_postings_.size());
  for (const auto& [span, ids] : span_postings_) {
    PutLengthPrefixed(&index, span);
    PutVarint64(&index, ids.size());
    uint32_t prev = 0;
    for (uint32_t id : ids) PutVarint64(&index, id - prev), prev = id;
  }

  std::vector<std::string_view> views(strings_.begin(), strings_.end());
  sections["strings"] = EncodeStrings(views);

  std::string& sym = sections["symbols"];
  PutVarint64(&sym, functions_.size());
  for (const Function& f : functions_) {
    PutVarint64(&sym, f.name), PutVarint64(&sym, f.system_name), PutVarint64(&sym, f.filename);
    PutZig(&sym, f.start_line);
  }
  PutVarint64(&sym, mappings_.size());
  for (const Mapping& m : mappings_) {
    PutVarint64(&sym, m.start), PutVarint64(&sym, m.limit), PutVarint64(&sym, m.offset);
    PutVarint64(&sym, m.filename), PutVarint64(&sym, m.build_id), PutVarint64(&sym, m.flags);
  }
  PutVarint64(&sym, locations_.size());
  for (const Location& l : locations_) {
    PutVarint64(&sym, l.mapping), PutVarint64(&sym, l.address), PutVarint64(&sym, l.folded);
    PutVarint64(&sym, l.lines.size());
    for (const Line& line : l.lines) {
      PutVarint64(&sym, line.function), PutZig(&sym, line.line), PutZig(&sym, line.column);
    }
  }
  PutVarint64(&sym, label_sets_.size());
  for (const auto& set : label_sets_) {
    PutVarint64(&sym, set.size());
    for (const LabelEntry& e : set) {
      PutVarint64(&sym, e.key), PutVarint64(&sym, e.str), PutVarint64(&sym, e.num_unit);
      PutZig(&sym, e.num);
    }
  }

  std::string& stacks = sections["stacks"];
  PutVarint64(&stacks, stacks_.size());
  for (const auto& st : stacks_) {
    PutVarint64(&stacks, st.size());
    for (uint32_t l : st) PutVarint64(&stacks, l);
  }

  std::string& samples = sections["samples"];
  PutLengthPrefixed(&samples, EncodeUint32s(sample_stack_));
  PutLengthPrefixed(&samples, EncodeInt64s(sample_value_));
  PutLengthPrefixed(&samples, EncodeUint32s(sample_labels_));
  return sections;
}

Result<ProfileSegment> ProfileSegment::DecodeIndex(std::string_view in) {
  ProfileSegment seg;
  seg.has_data_ = false;
  Reader r(in);
  uint64_t version = 0, n = 0;
  if (!r.U(&version) || version != kIndexVersion) {
    return Status::DataLoss("profile index: unknown version");
  }
  if (!r.Count(&n)) return Status::DataLoss("profile index: bad series count");
  for (uint64_t i = 0; i < n; ++i) {
    ProfileSeries s;
    std::string_view type, k, v;
    uint64_t nl = 0;
    if (!r.Bytes(&type) || !r.Count(&nl)) return Status::DataLoss("profile index: bad series");
    s.profile_type = type;
    for (uint64_t j = 0; j < nl; ++j) {
      if (!r.Bytes(&k) || !r.Bytes(&v)) return Status::DataLoss("profile index: bad label");
      s.labels.emplace_back(k, v);
    }
    seg.series_.push_back(std::move(s));
  }
  if (!r.Count(&n)) return Status::DataLoss("profile index: bad profile count");
  int64_t time = 0;
  uint64_t first = 0;
  for (uint64_t i = 0; i < n; ++i) {
    ProfileRow row;
    int64_t dt = 0;
    uint64_t v[5];
    if (!r.U32(&row.series, seg.series_.size()) || !r.Z(&dt) || !r.Z(&row.duration_ns) ||
        !r.Z(&row.period)) {
      return Status::DataLoss("profile index: bad profile row " + std::to_string(i));
    }
    for (uint64_t& x : v) {
      if (!r.U(&x) || x > UINT32_MAX) return Status::DataLoss("profile index: bad profile row");
    }
    time = static_cast<int64_t>(static_cast<uint64_t>(time) + static_cast<uint64_t>(dt));
    row.time_ns = time;
    row.period_type = static_cast<uint32_t>(v[0]);
    row.period_unit = static_cast<uint32_t>(v[1]);
    row.sample_type = static_cast<uint32_t>(v[2]);
    row.sample_unit = static_cast<uint32_t>(v[3]);
    row.samples = static_cast<uint32_t>(v[4]);
    row.first_sample = static_cast<uint32_t>(first);
    first += row.samples;
    if (first > UINT32_MAX) return Status::DataLoss("profile index: too many samples");
    seg.profiles_.push_back(row);
    seg.min_time_ = std::min(seg.min_time_, row.time_ns);
    seg.max_time_ =
        std::max(seg.max_time_, SatAdd(row.time_ns, std::max<int64_t>(row.duration_ns, 0)));
  }
  if (!r.Count(&n)) return Status::DataLoss("profile index: bad posting count");
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view span;
    uint64_t count = 0;
    if (!r.Bytes(&span) || !r.Count(&count)) return Status::DataLoss("profile index: bad posting");
    std::vector<uint32_t>& ids = seg.span_postings_[std::string(span)];
    uint64_t id = 0;
    for (uint64_t j = 0; j < count; ++j) {
      uint64_t d = 0;
      if (!r.U(&d) || (id += d) >= seg.profiles_.size()) {
        return Status::DataLoss("profile index: bad posting id");
      }
      ids.push_back(static_cast<uint32_t>(id));
    }
  }
  if (!r.done()) return Status::DataLoss("profile index: trailing bytes");
  return seg;
}

Status ProfileSegment::LoadData(std::string_view strings, std::string_view symbols,
                                std::string_view stacks, std::string_view samples) {
  auto bad = [](std::string_view what) {
    return Status::DataLoss("profile block: bad " + std::string(what));
  };
  ASSIGN_OR_RETURN(StringColumn strs, DecodeStrings(strings));
  if (strs.size() == 0 || !strs[0].empty()) return bad("string table");
  strings_.clear();
  string_ids_.clear();
  for (size_t i = 0; i < strs.size(); ++i) {
    strings_.emplace_back(strs[i]);
    string_ids_.emplace(strings_.back(), static_cast<uint32_t>(i));
  }
  const uint64_t ns = strings_.size();
  for (const ProfileRow& row : profiles_) {
    if (row.period_type >= ns || row.period_unit >= ns || row.sample_type >= ns ||
        row.sample_unit >= ns) {
      return bad("profile row string");
    }
  }
  Reader r(symbols);
  uint64_t n = 0;
  if (!r.Count(&n)) return bad("functions");
  functions_.resize(n);
  for (Function& f : functions_) {
    if (!r.U32(&f.name, ns) || !r.U32(&f.system_name, ns) || !r.U32(&f.filename, ns) ||
        !r.Z(&f.start_line)) {
      return bad("function");
    }
  }
  if (!r.Count(&n)) return bad("mappings");
  mappings_.resize(n);
  for (Mapping& m : mappings_) {
    if (!r.U(&m.start) || !r.U(&m.limit) || !r.U(&m.offset) || !r.U32(&m.filename, ns) ||
        !r.U32(&m.build_id, ns) || !r.U32(&m.flags, 16)) {
      return bad("mapping");
    }
  }
  if (!r.Count(&n)) return bad("locations");
  locations_.resize(n);
  for (Location& l : locations_) {
    uint64_t folded = 0, nl = 0;
    if (!r.U32(&l.mapping, mappings_.size() + 1) || !r.U(&l.address) || !r.U(&folded) ||
        !r.Count(&nl)) {
      return bad("location");
    }
    l.folded = folded != 0;
    l.lines.resize(nl);
    for (Line& line : l.lines) {
      if (!r.U32(&line.function, functions_.size()) || !r.Z(&line.line) || !r.Z(&line.column)) {
        return bad("location line");
      }
    }
  }
  if (!r.Count(&n) || n == 0) return bad("label sets");
  label_sets_.resize(n);
  for (auto& set : label_sets_) {
    uint64_t ne = 0;
    if (!r.Count(&ne)) return bad("label set");
    set.resize(ne);
    for (LabelEntry& e : set) {
      if (!r.U32(&e.key, ns) || !r.U32(&e.str, ns) || !r.U32(&e.num_unit, ns) || !r.Z(&e.num)) {
        return bad("label");
      }
    }
  }
  if (!r.done()) return bad("symbols (trailing bytes)");

  Reader st(stacks);
  if (!st.Count(&n)) return bad("stacks");
  stacks_.resize(n);
  for (auto& s : stacks_) {
    uint64_t len = 0;
    if (!st.Count(&len)) return bad("stack");
    s.resize(len);
    for (uint32_t& l : s) {
      if (!st.U32(&l, locations_.size())) return bad("stack location");
    }
  }
  if (!st.done()) return bad("stacks (trailing bytes)");

  std::string_view cols[3];
  for (std::string_view& c : cols) {
    if (!GetLengthPrefixed(&samples, &c)) return bad("samples");
  }
  ASSIGN_OR_RETURN(sample_stack_, DecodeUint32s(cols[0]));
  ASSIGN_OR_RETURN(sample_value_, DecodeInt64s(cols[1]));
  ASSIGN_OR_RETURN(sample_labels_, DecodeUint32s(cols[2]));
  const uint64_t total =
      profiles_.empty() ? 0 : uint64_t{profiles_.back().first_sample} + profiles_.back().samples;
  if (sample_stack_.size() != total || sample_value_.size() != total ||
      sample_labels_.size() != total) {
    return bad("sample column lengths");
  }
  for (size_t i = 0; i < total; ++i) {
    if (sample_stack_[i] >= stacks_.size() || sample_labels_[i] >= label_sets_.size()) {
      return bad("sample reference");
    }
  }
  has_data_ = true;
  return Status::Ok();
}

}  // namespace quartet::store
