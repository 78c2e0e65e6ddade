#include "server/store/traces/trace_block.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "server/store/block/block_writer.h"
#include "server/store/traces/trace_filter.h"

namespace quartet::store {
namespace {

constexpr uint32_t kFlagError = 1;
constexpr uint32_t kFlagRoot = 2;

// Hash maps keyed by text that are probed with string_views: a flush looks
// up every attribute value of every span, and building a string per probe
// was a tenth of the flush.
struct TextHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};
template <typename V>
using TextMap = std::unordered_map<std::string, V, TextHash, std::equal_to<>>;

// Sorted when written (SortedByKey): hashed while counting, as every
// attribute of every span probes it.
using TagCounts = TextMap<TextMap<int64_t>>;

// The entries of `m` in key order.
template <typename V>
std::vector<const std::pair<const std::string, V>*> SortedByKey(const TextMap<V>& m) {
  std::vector<const std::pair<const std::string, V>*> sorted;
  sorted.reserve(m.size());
  for (const auto& entry : m) sorted.push_back(&entry);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
  return sorted;
}

// TagValueText(value), without a copy for strings; others go through
// *scratch.
std::string_view TagText(const otlp::AnyValue& value, std::string* scratch) {
  if (value.type == otlp::AnyValue::Type::kString) return value.string_value;
  *scratch = TagValueText(value);
  return *scratch;
}

// The entry of `key` in a TextMap (inserted when absent), remembered by the
// attribute's position in its list: spans of one service carry the same
// keys in the same order, so most lookups are one comparison, not a hash
// probe. Entries of the map must never be erased (pointers are kept).
template <typename V>
class KeyCache {
 public:
  V& Get(TextMap<V>* map, size_t position, std::string_view key) {
    if (position < slots_.size() && slots_[position].second != nullptr &&
        slots_[position].first == key) {
      return *slots_[position].second;
    }
    auto it = map->find(key);
    if (it == map->end()) it = map->emplace(std::string(key), V()).first;
    if (position < kPositions) {
      if (position >= slots_.size()) slots_.resize(position + 1);
      slots_[position] = {it->first, &it->second};
    }
    return it->second;
  }

 private:
  static constexpr size_t kPositions = 64;
  std::vector<std::pair<std::string_view, V*>> slots_;
};

void CountTags(const std::vector<otlp::KeyValue>& attributes, int64_t n, TagCounts* counts,
               KeyCache<TextMap<int64_t>>* cache = nullptr) {
  std::string scratch;
  for (size_t i = 0; i < attributes.size(); ++i) {
    const otlp::KeyValue& kv = attributes[i];
    TextMap<int64_t>* values;
    if (cache != nullptr) {
      values = &cache->Get(counts, i, kv.key);
    } else {
      auto it = counts->find(kv.key);
      if (it == counts->end()) it = counts->emplace(kv.key, TextMap<int64_t>()).first;
      values = &it->second;
    }
    const std::string_view text = TagText(kv.value, &scratch);
    if (text.empty()) continue;
    auto v = values->find(text);
    if (v == values->end()) {
      values->emplace(std::string(text), n);
    } else {
      v->second += n;
    }
  }
}

// names (Strings), per-name value counts (Uint32s), values (Strings), counts (Int64s).
void AddTagSections(const TagCounts& counts, std::string_view prefix,
                    std::vector<std::pair<std::string, std::string>>* sections) {
  std::vector<std::string> names, values;
  std::vector<uint32_t> nvalues;
  std::vector<int64_t> value_counts;
  for (const auto* entry : SortedByKey(counts)) {
    const auto& [name, by_value] = *entry;
    std::vector<std::pair<int64_t, std::string_view>> ranked;
    for (const auto& [v, n] : by_value) ranked.emplace_back(-n, v);
    std::sort(ranked.begin(), ranked.end());
    if (ranked.size() > TraceBlockBuilder::kMaxTagValues) {
      ranked.resize(TraceBlockBuilder::kMaxTagValues);
    }
    names.push_back(name);
    nvalues.push_back(static_cast<uint32_t>(ranked.size()));
    for (const auto& [n, v] : ranked) {
      values.emplace_back(v);
      value_counts.push_back(-n);
    }
  }
  const std::string p(prefix);
  sections->emplace_back(p + ".names", EncodeStrings(names));
  sections->emplace_back(p + ".nvalues", EncodeUint32s(nvalues));
  sections->emplace_back(p + ".values", EncodeStrings(values));
  sections->emplace_back(p + ".counts", EncodeInt64s(value_counts));
}

// post.keys (Strings, sorted), post.nvalues (Uint32s per key), post.values
// (Strings), post.lens (Int64s: bytes of each value's list in post.<key#>),
// and post.<k>: the Int64s-coded ascending span ordinals of each value of
// key k, concatenated in post.values order.
template <typename Postings>
void AddPostingSections(const Postings& postings,
                        std::vector<std::pair<std::string, std::string>>* sections) {
  std::vector<std::string> keys, values;
  std::vector<uint32_t> nvalues;
  std::vector<int64_t> lens;
  for (const auto* key_entry : SortedByKey(postings)) {
    const auto& [key, p] = *key_entry;
    if (p.overflow) continue;
    const auto sorted = SortedByKey(p.values);
    std::string bytes;
    for (const auto* entry : sorted) {
      std::vector<int64_t> ordinals(entry->second.begin(), entry->second.end());
      std::string list = EncodeInt64s(ordinals);
      values.push_back(entry->first);
      lens.push_back(static_cast<int64_t>(list.size()));
      bytes += list;
    }
    sections->emplace_back("post." + std::to_string(keys.size()), std::move(bytes));
    keys.push_back(key);
    nvalues.push_back(static_cast<uint32_t>(sorted.size()));
  }
  sections->emplace_back("post.keys", EncodeStrings(keys));
  sections->emplace_back("post.nvalues", EncodeUint32s(nvalues));
  sections->emplace_back("post.values", EncodeStrings(values));
  sections->emplace_back("post.lens", EncodeInt64s(lens));
}

Status Corrupt(const BlockMeta& meta, std::string_view what) {
  return Status::DataLoss("trace block " + meta.id + ": " + std::string(what));
}

}  // namespace

// ---- builder ----------------------------------------------------------------

namespace {

// Span-attribute postings of one key while a block is built.
struct KeyPostings {
  TextMap<std::vector<uint32_t>> values;
  bool overflow = false;  // more than kMaxPostingValues values: not indexed
};

// The text SpanMatches compares a span attribute's value as (trace_filter.cc
// AttributeEquals): strings as is, ints in decimal, bools as true/false;
// nullopt for other types. Strings are not copied; others go to *scratch.
std::optional<std::string_view> PostingText(const otlp::AnyValue& v, std::string* scratch) {
  switch (v.type) {
    case otlp::AnyValue::Type::kString:
      return std::string_view(v.string_value);
    case otlp::AnyValue::Type::kInt:
      *scratch = std::to_string(v.int_value);
      return std::string_view(*scratch);
    case otlp::AnyValue::Type::kBool:
      return std::string_view(v.bool_value ? "true" : "false");
    default:
      return std::nullopt;
  }
}

// Dedupes table entries (resources, scopes) by their encoded bytes.
struct Table {
  std::unordered_map<std::string, uint32_t> ids;
  std::vector<std::string> entries;
  uint32_t Add(std::string entry) {
    auto [it, added] = ids.emplace(entry, static_cast<uint32_t>(entries.size()));
    if (added) entries.push_back(std::move(entry));
    return it->second;
  }
};

}  // namespace

struct TraceBlockBuilder::State {
  std::unique_ptr<BlockWriter> writer;
  std::string ids;  // 16 bytes each
  std::vector<uint64_t> hashes;
  std::vector<int64_t> starts, durations;
  std::vector<uint32_t> span_counts, flags, root_service, root_name, root_route;
  std::vector<uint32_t> nservices, services;
  StringDictionaryBuilder dict;
  std::vector<uint32_t> loc_group, loc_spans, rg_spans;
  SpanColumnsBuilder columns;
  Table resources, scopes;
  TextMap<KeyPostings> postings;  // sorted when written
  KeyCache<KeyPostings> posting_keys;
  uint32_t ordinal = 0;  // global ordinal of the next span
  TagCounts span_tags, resource_tags;
  KeyCache<TextMap<int64_t>> span_tag_keys;
  // Groups with a SpanGroup::shared_key: their entries, and their resource
  // with the spans counted under it (its tags are counted at Finish).
  std::unordered_map<int64_t, uint32_t> shared_resources, shared_scopes;
  std::map<int64_t, std::pair<const otlp::Resource*, int64_t>> shared_resource_spans;
  // Scratch reused across Add calls.
  std::vector<SpanRef> refs;
  std::vector<std::string_view> seen;
  std::unordered_set<std::string_view> seen_set;
  int64_t spans = 0;
  int64_t min_time = INT64_MAX, max_time = INT64_MIN;
};

TraceBlockBuilder::TraceBlockBuilder() : state_(std::make_unique<State>()) {}

Result<std::unique_ptr<TraceBlockBuilder>> TraceBlockBuilder::Create(const std::string& path) {
  std::unique_ptr<TraceBlockBuilder> b(new TraceBlockBuilder());
  ASSIGN_OR_RETURN(b->state_->writer, BlockWriter::Create(path));
  return b;
}

Status TraceBlockBuilder::FlushRowGroup() {
  State& s = *state_;
  const uint32_t n = s.columns.span_count();
  if (n == 0) return Status::Ok();
  const std::string prefix = "rg." + std::to_string(s.rg_spans.size()) + ".";
  SpanColumnsBuilder::Sections sections = s.columns.Finish();
  // Level 6: row groups are written once by a background thread and read
  // many times; the higher level buys ~10% on span data for little read cost.
  RETURN_IF_ERROR(s.writer->AddSection(prefix + "s", sections.search, Codec::kZstd, 6));
  RETURN_IF_ERROR(s.writer->AddSection(prefix + "a", sections.attributes, Codec::kZstd, 6));
  RETURN_IF_ERROR(s.writer->AddSection(prefix + "x", sections.extra, Codec::kZstd, 6));
  s.rg_spans.push_back(n);
  return Status::Ok();
}

TraceBlockBuilder::~TraceBlockBuilder() = default;

size_t TraceBlockBuilder::trace_count() const { return state_->starts.size(); }
int64_t TraceBlockBuilder::span_count() const { return state_->spans; }

Status TraceBlockBuilder::Add(const TraceSummary& summary,
                              const otlp::ExportTraceServiceRequest& spans) {
  std::vector<SpanGroup> groups;
  std::vector<std::vector<const otlp::Span*>> lists;
  size_t n = 0;
  for (const otlp::ResourceSpans& rs : spans.resource_spans) n += rs.scope_spans.size();
  lists.reserve(n);
  groups.reserve(n);
  for (const otlp::ResourceSpans& rs : spans.resource_spans) {
    bool same_resource = false;
    for (const otlp::ScopeSpans& ss : rs.scope_spans) {
      std::vector<const otlp::Span*>& list = lists.emplace_back();
      list.reserve(ss.spans.size());
      for (const otlp::Span& span : ss.spans) list.push_back(&span);
      groups.push_back(SpanGroup{.resource = &rs.resource,
                                 .resource_schema_url = &rs.schema_url,
                                 .scope = &ss.scope,
                                 .scope_schema_url = &ss.schema_url,
                                 .spans = list,
                                 .same_resource = same_resource});
      same_resource = true;
    }
  }
  return Add(summary, groups);
}

uint32_t TraceBlockBuilder::ResourceEntry(const SpanGroup& g) {
  State& s = *state_;
  if (g.shared_key < 0)
    return s.resources.Add(EncodeResourceEntry(*g.resource, *g.resource_schema_url));
  auto [it, added] = s.shared_resources.try_emplace(g.shared_key, 0);
  if (added) it->second = s.resources.Add(EncodeResourceEntry(*g.resource, *g.resource_schema_url));
  return it->second;
}

uint32_t TraceBlockBuilder::ScopeEntry(const SpanGroup& g) {
  State& s = *state_;
  if (g.shared_key < 0) return s.scopes.Add(EncodeScopeEntry(*g.scope, *g.scope_schema_url));
  auto [it, added] = s.shared_scopes.try_emplace(g.shared_key, 0);
  if (added) it->second = s.scopes.Add(EncodeScopeEntry(*g.scope, *g.scope_schema_url));
  return it->second;
}

Status TraceBlockBuilder::Add(const TraceSummary& summary, std::span<const SpanGroup> groups) {
  State& s = *state_;
  const auto* id = reinterpret_cast<const char*>(summary.trace_id.bytes.data());
  if (!s.ids.empty() && std::memcmp(s.ids.data() + s.ids.size() - 16, id, 16) >= 0) {
    return Status::InvalidArgument("trace block: trace ids not strictly increasing");
  }
  std::vector<SpanRef>& refs = s.refs;  // reused: one allocation per block, not per trace
  refs.clear();
  bool new_resource = true;
  uint32_t resource = 0;
  for (const SpanGroup& g : groups) {
    if (!g.same_resource) new_resource = true;
    if (g.spans.empty()) continue;
    if (new_resource) resource = ResourceEntry(g);
    const uint32_t scope = ScopeEntry(g);
    uint32_t bits = (new_resource ? kGroupNewResource : 0) | kGroupNewScope;
    new_resource = false;
    for (const otlp::Span* span : g.spans) {
      if (span->trace_id != summary.trace_id) {
        return Status::InvalidArgument("trace block: a span's trace id differs from its trace's");
      }
      refs.push_back(SpanRef{span, resource, scope, bits});
      bits = 0;
    }
  }
  if (refs.size() > UINT32_MAX - s.ordinal) {
    return Status::InvalidArgument("trace block: too many spans for one block");
  }
  s.ids.append(id, 16);
  s.hashes.push_back(Hash64(std::string_view(id, 16)));
  s.starts.push_back(summary.start_ns);
  s.durations.push_back(summary.end_ns - summary.start_ns);
  s.span_counts.push_back(static_cast<uint32_t>(summary.span_count));
  bool has_root = false;
  std::vector<std::string_view>& seen = s.seen;  // keys of the current span, for postings
  std::unordered_set<std::string_view>& seen_set = s.seen_set;
  uint32_t ordinal = s.ordinal;
  std::string scratch;
  for (const SpanGroup& g : groups) {
    for (const otlp::Span* span : g.spans) {
      has_root |= !span->parent_span_id.valid();
      CountTags(span->attributes, 1, &s.span_tags, &s.span_tag_keys);
      // Only a key's first occurrence counts, as FindAttribute does.
      seen.clear();
      seen_set.clear();
      const bool many = span->attributes.size() > 16;
      for (size_t i = 0; i < span->attributes.size(); ++i) {
        const otlp::KeyValue& kv = span->attributes[i];
        if (many ? !seen_set.insert(kv.key).second
                 : std::find(seen.begin(), seen.end(), kv.key) != seen.end()) {
          continue;
        }
        if (!many) seen.push_back(kv.key);
        std::optional<std::string_view> text = PostingText(kv.value, &scratch);
        if (!text) continue;
        KeyPostings& p = s.posting_keys.Get(&s.postings, i, kv.key);
        if (p.overflow) continue;
        auto list = p.values.find(*text);
        if (list == p.values.end()) {
          list = p.values.emplace(std::string(*text), std::vector<uint32_t>()).first;
        }
        list->second.push_back(ordinal);
        if (p.values.size() > kMaxPostingValues) {
          p.overflow = true;
          p.values = {};
        }
      }
      ++ordinal;
    }
    // A shared resource's tags are counted once, at Finish, with the sum.
    const auto n = static_cast<int64_t>(g.spans.size());
    if (g.shared_key < 0) {
      CountTags(g.resource->attributes, n, &s.resource_tags);
    } else {
      auto [it, added] = s.shared_resource_spans.try_emplace(g.shared_key, g.resource, 0);
      it->second.second += n;
    }
  }
  s.flags.push_back((summary.has_error ? kFlagError : 0) | (has_root ? kFlagRoot : 0));
  s.root_service.push_back(s.dict.Add(summary.root_service));
  s.root_name.push_back(s.dict.Add(summary.root_name));
  s.root_route.push_back(s.dict.Add(summary.root_route));
  s.nservices.push_back(static_cast<uint32_t>(summary.services.size()));
  for (const std::string& service : summary.services) s.services.push_back(s.dict.Add(service));
  s.spans += summary.span_count;
  s.min_time = std::min(s.min_time, summary.start_ns);
  s.max_time = std::max(s.max_time, summary.end_ns);

  s.loc_group.push_back(static_cast<uint32_t>(s.rg_spans.size()));
  s.loc_spans.push_back(static_cast<uint32_t>(refs.size()));
  s.columns.AddTrace(refs, summary.start_ns);
  s.ordinal = ordinal;
  if (s.columns.span_count() >= kRowGroupSpans) RETURN_IF_ERROR(FlushRowGroup());
  return Status::Ok();
}

Result<BlockMeta> TraceBlockBuilder::Finish(BlockMeta meta) {
  State& s = *state_;
  if (s.starts.empty()) return Status::FailedPrecondition("trace block: no traces");
  RETURN_IF_ERROR(FlushRowGroup());
  for (const auto& [key, resource_spans] : s.shared_resource_spans) {
    CountTags(resource_spans.first->attributes, resource_spans.second, &s.resource_tags);
  }
  BlockWriter* w = s.writer.get();
  RETURN_IF_ERROR(w->AddSection("format", kFormat, Codec::kNone));
  RETURN_IF_ERROR(w->AddSection("ids", s.ids, Codec::kNone));
  RETURN_IF_ERROR(w->AddSection("bloom", BloomFilter::Build(s.hashes, 10).Encode(), Codec::kNone));
  std::vector<std::pair<std::string, std::string>> sections;
  sections.emplace_back("sum.start", EncodeInt64s(s.starts));
  sections.emplace_back("sum.duration", EncodeInt64s(s.durations));
  sections.emplace_back("sum.spans", EncodeUint32s(s.span_counts));
  sections.emplace_back("sum.flags", EncodeUint32s(s.flags));
  sections.emplace_back("sum.root_service", EncodeUint32s(s.root_service));
  sections.emplace_back("sum.root_name", EncodeUint32s(s.root_name));
  sections.emplace_back("sum.root_route", EncodeUint32s(s.root_route));
  sections.emplace_back("sum.nservices", EncodeUint32s(s.nservices));
  sections.emplace_back("sum.services", EncodeUint32s(s.services));
  sections.emplace_back("sum.dict", s.dict.Encode());
  sections.emplace_back("loc.group", EncodeUint32s(s.loc_group));
  sections.emplace_back("loc.spans", EncodeUint32s(s.loc_spans));
  sections.emplace_back("rg.spans", EncodeUint32s(s.rg_spans));
  sections.emplace_back("table.resources", EncodeStrings(s.resources.entries));
  sections.emplace_back("table.scopes", EncodeStrings(s.scopes.entries));
  AddPostingSections(s.postings, &sections);
  AddTagSections(s.span_tags, "tags.span", &sections);
  AddTagSections(s.resource_tags, "tags.resource", &sections);
  for (const auto& [name, bytes] : sections) RETURN_IF_ERROR(w->AddSection(name, bytes));
  meta.min_time_ns = s.min_time;
  meta.max_time_ns = std::max(s.min_time, s.max_time);
  meta.rows = static_cast<uint64_t>(s.spans);
  RETURN_IF_ERROR(w->Finish(meta.ToJson()));
  meta.bytes = w->bytes_written();
  return meta;
}

// ---- index --------------------------------------------------------------------

namespace {

Result<std::vector<uint32_t>> ReadUint32s(const BlockReader& r, std::string_view name, size_t n,
                                          const BlockMeta& meta) {
  ASSIGN_OR_RETURN(std::string bytes, r.ReadSection(name));
  ASSIGN_OR_RETURN(std::vector<uint32_t> v, DecodeUint32s(bytes));
  if (n != SIZE_MAX && v.size() != n) return Corrupt(meta, std::string(name) + " has wrong length");
  return v;
}

Result<std::vector<int64_t>> ReadInt64s(const BlockReader& r, std::string_view name, size_t n,
                                        const BlockMeta& meta) {
  ASSIGN_OR_RETURN(std::string bytes, r.ReadSection(name));
  ASSIGN_OR_RETURN(std::vector<int64_t> v, DecodeInt64s(bytes));
  if (n != SIZE_MAX && v.size() != n) return Corrupt(meta, std::string(name) + " has wrong length");
  return v;
}

Result<TagTable> ReadTags(const BlockReader& r, std::string_view prefix, const BlockMeta& meta) {
  const std::string p(prefix);
  ASSIGN_OR_RETURN(std::string names_bytes, r.ReadSection(p + ".names"));
  ASSIGN_OR_RETURN(StringColumn names, DecodeStrings(names_bytes));
  ASSIGN_OR_RETURN(std::vector<uint32_t> nvalues,
                   ReadUint32s(r, p + ".nvalues", names.size(), meta));
  ASSIGN_OR_RETURN(std::string values_bytes, r.ReadSection(p + ".values"));
  ASSIGN_OR_RETURN(StringColumn values, DecodeStrings(values_bytes));
  ASSIGN_OR_RETURN(std::vector<int64_t> counts, ReadInt64s(r, p + ".counts", values.size(), meta));
  TagTable out;
  size_t at = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    if (nvalues[i] > values.size() - at) return Corrupt(meta, p + " value counts overrun");
    auto& list = out[std::string(names[i])];
    for (uint32_t j = 0; j < nvalues[i]; ++j, ++at) {
      list.emplace_back(std::string(values[at]), counts[at]);
    }
  }
  if (at != values.size()) return Corrupt(meta, p + " has unclaimed values");
  return out;
}

}  // namespace

Status TraceBlockIndex::VerifyAll(const BlockReader& reader) {
  for (const SectionInfo& section : reader.sections()) {
    RETURN_IF_ERROR(reader.StoredSection(section.name).status());
  }
  return Status::Ok();
}

Result<std::shared_ptr<const TraceBlockIndex>> TraceBlockIndex::Load(
    const BlockMeta& meta, std::shared_ptr<const BlockReader> reader) {
  std::shared_ptr<TraceBlockIndex> index(new TraceBlockIndex());
  TraceBlockIndex& x = *index;
  x.meta_ = meta;
  x.wal_until_ = ParseWalUntil(meta.extra_json);
  const BlockReader& r = *reader;
  if (!r.HasSection("format")) {
    return Corrupt(meta,
                   "unsupported trace block format (v1, no format section; this build reads " +
                       std::string(TraceBlockBuilder::kFormat) + ")");
  }
  ASSIGN_OR_RETURN(std::string_view format, r.StoredSection("format"));
  if (format != TraceBlockBuilder::kFormat) {
    return Corrupt(meta, "unsupported trace block format '" + std::string(format.substr(0, 64)) +
                             "' (this build reads " + std::string(TraceBlockBuilder::kFormat) +
                             ")");
  }
  ASSIGN_OR_RETURN(std::string_view ids, r.StoredSection("ids"));
  if (ids.size() % 16 != 0) return Corrupt(meta, "ids section is not a multiple of 16 bytes");
  const size_t n = ids.size() / 16;
  x.ids_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    std::memcpy(x.ids_[i].bytes.data(), ids.data() + 16 * i, 16);
    if (i > 0 && std::memcmp(ids.data() + 16 * (i - 1), ids.data() + 16 * i, 16) >= 0) {
      return Corrupt(meta, "trace ids not sorted");
    }
  }
  ASSIGN_OR_RETURN(std::string_view bloom, r.StoredSection("bloom"));
  ASSIGN_OR_RETURN(BloomFilter filter, BloomFilter::Decode(bloom));
  x.bloom_.emplace(std::move(filter));

  ASSIGN_OR_RETURN(std::vector<int64_t> starts, ReadInt64s(r, "sum.start", n, meta));
  ASSIGN_OR_RETURN(std::vector<int64_t> durations, ReadInt64s(r, "sum.duration", n, meta));
  ASSIGN_OR_RETURN(std::vector<uint32_t> spans, ReadUint32s(r, "sum.spans", n, meta));
  ASSIGN_OR_RETURN(std::vector<uint32_t> flags, ReadUint32s(r, "sum.flags", n, meta));
  ASSIGN_OR_RETURN(std::vector<uint32_t> root_service, ReadUint32s(r, "sum.root_service", n, meta));
  ASSIGN_OR_RETURN(std::vector<uint32_t> root_name, ReadUint32s(r, "sum.root_name", n, meta));
  ASSIGN_OR_RETURN(std::vector<uint32_t> root_route, ReadUint32s(r, "sum.root_route", n, meta));
  ASSIGN_OR_RETURN(std::vector<uint32_t> nservices, ReadUint32s(r, "sum.nservices", n, meta));
  ASSIGN_OR_RETURN(std::vector<uint32_t> services, ReadUint32s(r, "sum.services", SIZE_MAX, meta));
  ASSIGN_OR_RETURN(std::string dict_bytes, r.ReadSection("sum.dict"));
  ASSIGN_OR_RETURN(StringDictionary dict, StringDictionary::Decode(dict_bytes));
  auto lookup = [&](uint32_t id, std::string* out) -> bool {
    std::optional<std::string_view> s = dict.Lookup(id);
    if (!s) return false;
    out->assign(*s);
    return true;
  };
  x.summaries_.resize(n);
  x.has_root_.resize(n);
  size_t at = 0;
  for (size_t i = 0; i < n; ++i) {
    TraceSummary& s = x.summaries_[i];
    s.trace_id = x.ids_[i];
    s.start_ns = starts[i];
    s.end_ns = starts[i] + durations[i];
    s.span_count = spans[i];
    s.has_error = flags[i] & kFlagError;
    x.has_root_[i] = flags[i] & kFlagRoot;
    if (!lookup(root_service[i], &s.root_service) || !lookup(root_name[i], &s.root_name) ||
        !lookup(root_route[i], &s.root_route)) {
      return Corrupt(meta, "summary string id out of range");
    }
    if (nservices[i] > services.size() - at) return Corrupt(meta, "services overrun");
    s.services.resize(nservices[i]);
    for (uint32_t j = 0; j < nservices[i]; ++j) {
      if (!lookup(services[at++], &s.services[j])) return Corrupt(meta, "service id out of range");
    }
    x.memory_bytes_ += sizeof(TraceSummary) + 16 + sizeof(Location) + 32 * nservices[i];
  }

  RETURN_IF_ERROR(x.LoadSpanTables(r, n));
  ASSIGN_OR_RETURN(x.span_tags_, ReadTags(r, "tags.span", meta));
  ASSIGN_OR_RETURN(x.resource_tags_, ReadTags(r, "tags.resource", meta));
  x.reader_ = std::move(reader);
  return std::shared_ptr<const TraceBlockIndex>(std::move(index));
}

std::optional<size_t> TraceBlockIndex::Find(const TraceId& id) const {
  if (!bloom_->MayContain(
          Hash64(std::string_view(reinterpret_cast<const char*>(id.bytes.data()), 16)))) {
    return std::nullopt;
  }
  auto it = std::lower_bound(ids_.begin(), ids_.end(), id, [](const TraceId& a, const TraceId& b) {
    return std::memcmp(a.bytes.data(), b.bytes.data(), 16) < 0;
  });
  if (it == ids_.end() || *it != id) return std::nullopt;
  return static_cast<size_t>(it - ids_.begin());
}

Status TraceBlockIndex::LoadSpanTables(const BlockReader& r, size_t n) {
  const BlockMeta& meta = meta_;
  ASSIGN_OR_RETURN(rg_spans_, ReadUint32s(r, "rg.spans", SIZE_MAX, meta));
  ASSIGN_OR_RETURN(std::vector<uint32_t> group, ReadUint32s(r, "loc.group", n, meta));
  ASSIGN_OR_RETURN(std::vector<uint32_t> spans, ReadUint32s(r, "loc.spans", n, meta));
  const size_t groups = rg_spans_.size();
  rg_base_.assign(groups + 1, 0);
  for (size_t g = 0; g < groups; ++g) {
    if (rg_spans_[g] == 0) return Corrupt(meta, "empty row group");
    if (uint64_t{rg_base_[g]} + rg_spans_[g] > UINT32_MAX) return Corrupt(meta, "too many spans");
    rg_base_[g + 1] = rg_base_[g] + rg_spans_[g];
    for (const char* family : {"s", "a", "x"}) {
      if (!r.HasSection("rg." + std::to_string(g) + "." + family)) {
        return Corrupt(meta, "missing row group section rg." + std::to_string(g) + "." + family);
      }
    }
  }
  // Traces fill row groups in order: group ids start at 0, never decrease,
  // skip none, and each group's traces account for exactly its spans.
  rg_first_trace_.assign(groups + 1, static_cast<uint32_t>(n));
  locations_.resize(n);
  uint64_t in_group = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t g = group[i];
    const uint32_t expected = i == 0 ? 0 : group[i - 1];
    if (g != expected) {
      if (g != expected + 1 || in_group != rg_spans_[expected]) {
        return Corrupt(meta, "row group locations out of order");
      }
      in_group = 0;
    }
    if (g >= groups) return Corrupt(meta, "row group " + std::to_string(g) + " does not exist");
    if (i == 0 || g != expected) rg_first_trace_[g] = static_cast<uint32_t>(i);
    if (in_group + spans[i] > rg_spans_[g]) return Corrupt(meta, "trace beyond its row group");
    locations_[i] = Location{g, static_cast<uint32_t>(in_group), spans[i]};
    in_group += spans[i];
  }
  if (groups != (n == 0 ? 0 : size_t{group[n - 1]} + 1) ||
      (n > 0 && in_group != rg_spans_[groups - 1])) {
    return Corrupt(meta, "row group locations do not cover the row groups");
  }

  ASSIGN_OR_RETURN(std::string res_bytes, r.ReadSection("table.resources"));
  ASSIGN_OR_RETURN(StringColumn res, DecodeStrings(res_bytes));
  resources_.resize(res.size());
  for (size_t i = 0; i < res.size(); ++i) {
    Status st = DecodeResourceEntry(res[i], &resources_[i].resource, &resources_[i].schema_url);
    if (!st.ok()) return Corrupt(meta, st.message());
    memory_bytes_ += sizeof(otlp::ResourceSpans) + res[i].size() * 4;
  }
  ASSIGN_OR_RETURN(std::string scope_bytes, r.ReadSection("table.scopes"));
  ASSIGN_OR_RETURN(StringColumn sc, DecodeStrings(scope_bytes));
  scopes_.resize(sc.size());
  for (size_t i = 0; i < sc.size(); ++i) {
    Status st = DecodeScopeEntry(sc[i], &scopes_[i].scope, &scopes_[i].schema_url);
    if (!st.ok()) return Corrupt(meta, st.message());
    memory_bytes_ += sizeof(otlp::ScopeSpans) + sc[i].size() * 4;
  }

  ASSIGN_OR_RETURN(std::string keys_bytes, r.ReadSection("post.keys"));
  ASSIGN_OR_RETURN(StringColumn keys, DecodeStrings(keys_bytes));
  ASSIGN_OR_RETURN(std::vector<uint32_t> nvalues,
                   ReadUint32s(r, "post.nvalues", keys.size(), meta));
  ASSIGN_OR_RETURN(std::string values_bytes, r.ReadSection("post.values"));
  ASSIGN_OR_RETURN(StringColumn values, DecodeStrings(values_bytes));
  ASSIGN_OR_RETURN(std::vector<int64_t> lens, ReadInt64s(r, "post.lens", values.size(), meta));
  size_t at = 0;
  for (size_t k = 0; k < keys.size(); ++k) {
    const std::string section = "post." + std::to_string(k);
    const SectionInfo* info = nullptr;
    for (const SectionInfo& si : r.sections()) {
      if (si.name == section) info = &si;
    }
    if (info == nullptr) return Corrupt(meta, "missing postings section " + section);
    if (k > 0 && keys[k] <= keys[k - 1]) return Corrupt(meta, "postings keys not sorted");
    if (nvalues[k] > values.size() - at) return Corrupt(meta, "postings value counts overrun");
    PostingKey& key = postings_[std::string(keys[k])];
    key.section = static_cast<uint32_t>(k);
    uint64_t offset = 0;
    for (uint32_t j = 0; j < nvalues[k]; ++j, ++at) {
      if (lens[at] < 0 || static_cast<uint64_t>(lens[at]) > info->raw_len - offset) {
        return Corrupt(meta, "postings list beyond its section");
      }
      if (!key.values.emplace(std::string(values[at]), std::make_pair(offset, lens[at])).second) {
        return Corrupt(meta, "duplicate postings value");
      }
      offset += static_cast<uint64_t>(lens[at]);
      memory_bytes_ += values[at].size() + 64;
    }
    if (offset != info->raw_len) return Corrupt(meta, "postings section has unclaimed bytes");
  }
  if (at != values.size()) return Corrupt(meta, "postings have unclaimed values");
  memory_bytes_ += rg_spans_.size() * 12;
  return Status::Ok();
}

Result<std::shared_ptr<const SpanRowGroup>> TraceBlockIndex::ReadRowGroup(uint32_t group) const {
  if (group >= rg_spans_.size()) return Status::OutOfRange("no such row group");
  const std::string prefix = "rg." + std::to_string(group) + ".";
  auto rows = std::make_shared<SpanRowGroup>();
  const uint32_t n = rg_spans_[group];
  auto fail = [&](const Status& st) {
    return Corrupt(meta_, "row group " + std::to_string(group) + ": " + std::string(st.message()));
  };
  Result<std::string> s = reader_->ReadSection(prefix + "s");
  if (!s.ok()) return s.status();
  Result<SpanSearchColumns> search =
      SpanSearchColumns::Decode(*s, n, static_cast<uint32_t>(resources_.size()));
  if (!search.ok()) return fail(search.status());
  rows->search = std::move(*search);
  const auto dict_size = static_cast<uint32_t>(rows->search.dict->size());
  Result<std::string> a = reader_->ReadSection(prefix + "a");
  if (!a.ok()) return a.status();
  Result<SpanAttributeColumns> attributes = SpanAttributeColumns::Decode(*a, n, dict_size);
  if (!attributes.ok()) return fail(attributes.status());
  rows->attributes = std::move(*attributes);
  Result<std::string> x = reader_->ReadSection(prefix + "x");
  if (!x.ok()) return x.status();
  Result<SpanExtraColumns> extra =
      SpanExtraColumns::Decode(*x, n, dict_size, static_cast<uint32_t>(scopes_.size()));
  if (!extra.ok()) return fail(extra.status());
  rows->extra = std::move(*extra);
  return std::shared_ptr<const SpanRowGroup>(std::move(rows));
}

Result<otlp::ExportTraceServiceRequest> TraceBlockIndex::ReadTrace(size_t row,
                                                                   PageCache* cache) const {
  if (row >= locations_.size()) return Status::OutOfRange("no such trace row");
  const Location& loc = locations_[row];
  PageCache local;
  if (cache == nullptr) cache = &local;
  if (cache->group != loc.group || cache->rows == nullptr) {
    cache->group = UINT32_MAX;
    ASSIGN_OR_RETURN(cache->rows, ReadRowGroup(loc.group));
    cache->group = loc.group;
  }
  otlp::ExportTraceServiceRequest out;
  Status st = cache->rows->ReadTrace(loc.first, loc.count, summaries_[row].start_ns, ids_[row],
                                     resources_, scopes_, &out);
  if (!st.ok())
    return Corrupt(meta_, "row " + std::to_string(row) + ": " + std::string(st.message()));
  return out;
}

}  // namespace quartet::store
