#include "server/store/traces/trace_block.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <unordered_map>

#include "server/store/block/block_writer.h"
#include "server/store/traces/trace_filter.h"
#include "wire/otlp/decode.h"
#include "wire/otlp/encode_model.h"

namespace quartet::store {
namespace {

constexpr uint32_t kFlagError = 1;
constexpr uint32_t kFlagRoot = 2;

using TagCounts = std::map<std::string, std::unordered_map<std::string, int64_t>, std::less<>>;

void CountTags(const std::vector<otlp::KeyValue>& attributes, int64_t n, TagCounts* counts) {
  for (const otlp::KeyValue& kv : attributes) {
    auto& values = (*counts)[kv.key];
    if (std::string text = TagValueText(kv.value); !text.empty()) values[text] += n;
  }
}

// names (Strings), per-name value counts (Uint32s), values (Strings), counts (Int64s).
void AddTagSections(const TagCounts& counts, std::string_view prefix,
                    std::vector<std::pair<std::string, std::string>>* sections) {
  std::vector<std::string> names, values;
  std::vector<uint32_t> nvalues;
  std::vector<int64_t> value_counts;
  for (const auto& [name, by_value] : counts) {
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

Status Corrupt(const BlockMeta& meta, std::string_view what) {
  return Status::DataLoss("trace block " + meta.id + ": " + std::string(what));
}

}  // namespace

// ---- builder ----------------------------------------------------------------

struct TraceBlockBuilder::State {
  std::unique_ptr<BlockWriter> writer;
  std::string ids;  // 16 bytes each
  std::vector<uint64_t> hashes;
  std::vector<int64_t> starts, durations;
  std::vector<uint32_t> span_counts, flags, root_service, root_name, root_route;
  std::vector<uint32_t> nservices, services;
  StringDictionaryBuilder dict;
  std::vector<uint32_t> loc_page, loc_offset, loc_length;
  std::string page;
  uint32_t pages_written = 0;
  TagCounts span_tags, resource_tags;
  int64_t spans = 0;
  int64_t min_time = INT64_MAX, max_time = INT64_MIN;
};

TraceBlockBuilder::TraceBlockBuilder() : state_(std::make_unique<State>()) {}

Result<std::unique_ptr<TraceBlockBuilder>> TraceBlockBuilder::Create(const std::string& path) {
  std::unique_ptr<TraceBlockBuilder> b(new TraceBlockBuilder());
  ASSIGN_OR_RETURN(b->state_->writer, BlockWriter::Create(path));
  return b;
}

Status TraceBlockBuilder::FlushPage() {
  State& s = *state_;
  if (s.page.empty()) return Status::Ok();
  // Level 6: pages are written once by a background thread and read many
  // times; the higher level buys ~10% on span data for little read cost.
  RETURN_IF_ERROR(
      s.writer->AddSection("page." + std::to_string(s.pages_written), s.page, Codec::kZstd, 6));
  ++s.pages_written;
  s.page.clear();
  return Status::Ok();
}
TraceBlockBuilder::~TraceBlockBuilder() = default;

size_t TraceBlockBuilder::trace_count() const { return state_->starts.size(); }
int64_t TraceBlockBuilder::span_count() const { return state_->spans; }

Status TraceBlockBuilder::Add(const TraceSummary& summary,
                              const otlp::ExportTraceServiceRequest& spans) {
  State& s = *state_;
  const auto* id = reinterpret_cast<const char*>(summary.trace_id.bytes.data());
  if (!s.ids.empty() && std::memcmp(s.ids.data() + s.ids.size() - 16, id, 16) >= 0) {
    return Status::InvalidArgument("trace block: trace ids not strictly increasing");
  }
  s.ids.append(id, 16);
  s.hashes.push_back(Hash64(std::string_view(id, 16)));
  s.starts.push_back(summary.start_ns);
  s.durations.push_back(summary.end_ns - summary.start_ns);
  s.span_counts.push_back(static_cast<uint32_t>(summary.span_count));
  bool has_root = false;
  for (const otlp::ResourceSpans& rs : spans.resource_spans) {
    int64_t n = 0;
    for (const otlp::ScopeSpans& ss : rs.scope_spans) {
      for (const otlp::Span& span : ss.spans) {
        has_root |= !span.parent_span_id.valid();
        CountTags(span.attributes, 1, &s.span_tags);
      }
      n += static_cast<int64_t>(ss.spans.size());
    }
    CountTags(rs.resource.attributes, n, &s.resource_tags);
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

  std::string blob = otlp::EncodeTraces(spans);
  if (s.page.size() >= kPageBytes) RETURN_IF_ERROR(FlushPage());
  s.loc_page.push_back(s.pages_written);
  s.loc_offset.push_back(static_cast<uint32_t>(s.page.size()));
  s.loc_length.push_back(static_cast<uint32_t>(blob.size()));
  s.page += blob;
  return Status::Ok();
}

Result<BlockMeta> TraceBlockBuilder::Finish(BlockMeta meta) {
  State& s = *state_;
  if (s.starts.empty()) return Status::FailedPrecondition("trace block: no traces");
  RETURN_IF_ERROR(FlushPage());
  BlockWriter* w = s.writer.get();
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
  sections.emplace_back("loc.page", EncodeUint32s(s.loc_page));
  sections.emplace_back("loc.offset", EncodeUint32s(s.loc_offset));
  sections.emplace_back("loc.length", EncodeUint32s(s.loc_length));
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

  ASSIGN_OR_RETURN(std::vector<uint32_t> page, ReadUint32s(r, "loc.page", n, meta));
  ASSIGN_OR_RETURN(std::vector<uint32_t> offset, ReadUint32s(r, "loc.offset", n, meta));
  ASSIGN_OR_RETURN(std::vector<uint32_t> length, ReadUint32s(r, "loc.length", n, meta));
  std::vector<uint64_t> page_bytes;  // raw length of page.<k>, by k
  for (const SectionInfo& section : r.sections()) {
    std::string_view name = section.name;
    if (!name.starts_with("page.")) continue;
    uint32_t k = 0;
    auto [ptr, ec] = std::from_chars(name.data() + 5, name.data() + name.size(), k);
    if (ec != std::errc() || ptr != name.data() + name.size() || k >= n + 1) {
      return Corrupt(meta, "bad section name " + section.name);
    }
    if (page_bytes.size() <= k) page_bytes.resize(k + 1, UINT64_MAX);
    page_bytes[k] = section.raw_len;
  }
  x.locations_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (page[i] >= page_bytes.size() || page_bytes[page[i]] == UINT64_MAX) {
      return Corrupt(meta, "missing span page " + std::to_string(page[i]));
    }
    if (uint64_t{offset[i]} + length[i] > page_bytes[page[i]]) {
      return Corrupt(meta, "trace location beyond its page");
    }
    x.locations_[i] = Location{page[i], offset[i], length[i]};
  }
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

Result<otlp::ExportTraceServiceRequest> TraceBlockIndex::ReadTrace(size_t row,
                                                                   PageCache* cache) const {
  const Location& loc = locations_[row];
  PageCache local;
  if (cache == nullptr) cache = &local;
  if (cache->page != loc.page) {
    cache->page = UINT32_MAX;
    ASSIGN_OR_RETURN(cache->bytes, reader_->ReadSection("page." + std::to_string(loc.page)));
    cache->page = loc.page;
  }
  const std::string& page = cache->bytes;
  if (uint64_t{loc.offset} + loc.length > page.size()) {
    return Corrupt(meta_, "trace location beyond its page");
  }
  Result<otlp::ExportTraceServiceRequest> spans =
      otlp::DecodeTraces(std::string_view(page).substr(loc.offset, loc.length));
  if (!spans.ok())
    return Corrupt(meta_, "undecodable spans: " + std::string(spans.status().message()));
  return spans;
}

}  // namespace quartet::store
