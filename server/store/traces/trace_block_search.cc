// TraceBlockIndex::MatchSpanConditions: span-level filtering over the
// columns of each row group and the span-attribute postings, without
// rebuilding OTLP. Semantics are exactly trace_filter.cc's SpanMatches.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "server/store/traces/trace_block.h"
#include "server/store/traces/trace_filter.h"

namespace quartet::store {
namespace {

// One `key = want` condition, resolved against the block.
struct AttributeCondition {
  std::string_view key, want;
  std::vector<uint8_t> resource_ok;  // by resource table id
  bool any_resource = false;
  bool indexed = false;
  std::vector<uint32_t> postings;  // global span ordinals, when indexed
  std::optional<int64_t> want_int;
  std::optional<bool> want_bool;
};

// AttributeEquals of trace_filter.cc, on the first `key` attribute.
bool Equals(const otlp::AnyValue* v, const AttributeCondition& c) {
  if (v == nullptr) return false;
  switch (v->type) {
    case otlp::AnyValue::Type::kString:
      return v->string_value == c.want;
    case otlp::AnyValue::Type::kInt:
      return c.want_int && v->int_value == *c.want_int;
    case otlp::AnyValue::Type::kBool:
      return c.want_bool && v->bool_value == *c.want_bool;
    default:
      return false;
  }
}

// The int whose decimal spelling is exactly `s`, if any.
std::optional<int64_t> ExactInt(std::string_view s) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || std::to_string(v) != s) {
    return std::nullopt;
  }
  return v;
}

// The first `key` attribute of each span, when an int or a double.
std::shared_ptr<const CachedNumericColumn> NumericColumn(const SpanAttributeColumns& a,
                                                         uint32_t key, uint32_t m) {
  std::vector<double> values(m, 0.0);
  std::vector<uint8_t> present(m, 0);
  bool all_int32 = true;
  for (uint32_t i = 0; i < m; ++i) {
    for (uint32_t j = a.begin[i]; j < a.begin[i + 1]; ++j) {
      if (a.key[j] != key) continue;
      const uint32_t slot = a.slot[j];
      if (a.type[j] == static_cast<uint32_t>(AttrType::kInt)) {
        const int64_t v = a.ints[slot];
        values[i] = static_cast<double>(v);
        present[i] = 1;
        all_int32 &= v > INT32_MIN && v <= INT32_MAX;
      } else if (a.type[j] == static_cast<uint32_t>(AttrType::kDouble)) {
        std::memcpy(&values[i], a.dbl_bytes.data() + size_t{slot} * 8, 8);
        present[i] = 1;
        all_int32 = false;
      }
      break;  // only the first occurrence of a key counts
    }
  }
  return std::make_shared<const CachedNumericColumn>(values, present, all_int32);
}

}  // namespace

Result<std::optional<std::vector<uint32_t>>> TraceBlockIndex::Postings(
    std::string_view key, std::string_view value) const {
  auto it = postings_.find(key);
  if (it == postings_.end()) return std::optional<std::vector<uint32_t>>();
  std::vector<uint32_t> out;
  auto v = it->second.values.find(value);
  if (v == it->second.values.end()) return std::optional<std::vector<uint32_t>>(std::move(out));
  const std::string section = "post." + std::to_string(it->second.section);
  ASSIGN_OR_RETURN(std::string bytes, reader_->ReadSection(section));
  const auto [offset, length] = v->second;
  if (offset > bytes.size() || length > bytes.size() - offset) {
    return Status::DataLoss("trace block " + meta_.id + ": postings list beyond " + section);
  }
  Result<std::vector<int64_t>> ordinals =
      DecodeInt64s(std::string_view(bytes).substr(offset, length));
  if (!ordinals.ok()) {
    return Status::DataLoss("trace block " + meta_.id + ": undecodable " + section + ": " +
                            std::string(ordinals.status().message()));
  }
  out.reserve(ordinals->size());
  const int64_t total = rg_base_.back();
  for (int64_t o : *ordinals) {
    if (o < 0 || o >= total || (!out.empty() && o <= int64_t{out.back()})) {
      return Status::DataLoss("trace block " + meta_.id + ": bad span ordinal in " + section);
    }
    out.push_back(static_cast<uint32_t>(o));
  }
  return std::optional<std::vector<uint32_t>>(std::move(out));
}

Result<std::shared_ptr<const CachedSearchColumns>> TraceBlockIndex::LoadSearchColumns(
    uint32_t g) const {
  const uint32_t m = rg_spans_[g];
  ASSIGN_OR_RETURN(std::string bytes, reader_->ReadSection("rg." + std::to_string(g) + ".s"));
  Result<SpanSearchColumns> d =
      SpanSearchColumns::Decode(bytes, m, static_cast<uint32_t>(resources_.size()));
  if (!d.ok()) {
    return Status::DataLoss("trace block " + meta_.id + ": row group " + std::to_string(g) + ": " +
                            std::string(d.status().message()));
  }
  auto c = std::make_shared<CachedSearchColumns>();
  c->dict = std::move(d->dict);
  c->name = NarrowIds(d->name);
  c->resource = NarrowIds(d->resource);
  c->status.resize(m);
  for (uint32_t i = 0; i < m; ++i) {
    c->status[i] = static_cast<uint8_t>(std::min(d->status[i], 255u));
  }
  c->duration = std::move(d->duration);
  return std::shared_ptr<const CachedSearchColumns>(std::move(c));
}

Status TraceBlockIndex::WarmSearchCache(SearchCache* cache,
                                        const std::function<bool()>& keep_going) const {
  const std::string prefix = CachePrefix();
  for (uint32_t g = 0; g < rg_spans_.size(); ++g) {
    // About what the group's entry will take: never evict to make room.
    const size_t need = size_t{rg_spans_[g]} * 16 + 4096;
    if (!keep_going() || cache->stats().bytes + need > cache->budget_bytes()) break;
    RETURN_IF_ERROR(
        cache->GetSearch(prefix + std::to_string(g) + "/s", [&] { return LoadSearchColumns(g); })
            .status());
  }
  return Status::Ok();
}

std::string TraceBlockIndex::CachePrefix() const {
  // The block id is unique to one immutable block; the address tells apart
  // a block reloaded under the same id after being set aside.
  char address[24];
  std::snprintf(address, sizeof address, "@%p/", static_cast<const void*>(this));
  return meta_.id + address;
}

Result<std::vector<uint32_t>> TraceBlockIndex::MatchSpanConditions(
    const TraceFilter& filter, const TraceSearchContext* context) const {
  std::vector<uint32_t> out;
  const size_t nres = resources_.size();
  std::vector<uint8_t> service_ok;
  if (filter.service) {
    service_ok.resize(nres);
    bool any = false;
    for (size_t r = 0; r < nres; ++r) {
      service_ok[r] = ServiceName(resources_[r].resource) == *filter.service;
      any |= service_ok[r];
    }
    if (!any) return out;
  }
  std::vector<AttributeCondition> conditions(filter.string_attributes.size());
  bool scan_attributes = false, need_resource = filter.service.has_value();
  for (size_t k = 0; k < conditions.size(); ++k) {
    AttributeCondition& c = conditions[k];
    c.key = filter.string_attributes[k].first;
    c.want = filter.string_attributes[k].second;
    c.want_int = ExactInt(c.want);
    if (c.want == "true" || c.want == "false") c.want_bool = c.want == "true";
    c.resource_ok.resize(nres);
    for (size_t r = 0; r < nres; ++r) {
      c.resource_ok[r] = Equals(otlp::FindAttribute(resources_[r].resource.attributes, c.key), c);
      c.any_resource |= c.resource_ok[r];
    }
    need_resource |= c.any_resource;
    ASSIGN_OR_RETURN(std::optional<std::vector<uint32_t>> postings, Postings(c.key, c.want));
    if (postings) {
      c.indexed = true;
      c.postings = std::move(*postings);
      if (c.postings.empty() && !c.any_resource) return out;
    } else {
      scan_attributes = true;
    }
  }
  // Numeric comparisons: resources decided once, spans by scanning columns.
  std::vector<std::vector<uint8_t>> numeric_resource_ok(filter.numeric_attributes.size());
  std::vector<uint8_t> numeric_any_resource(filter.numeric_attributes.size());
  for (size_t k = 0; k < filter.numeric_attributes.size(); ++k) {
    const NumericAttributeCondition& c = filter.numeric_attributes[k];
    numeric_resource_ok[k].resize(nres);
    for (size_t r = 0; r < nres; ++r) {
      numeric_resource_ok[k][r] =
          NumberSatisfies(otlp::FindAttribute(resources_[r].resource.attributes, c.key), c);
      numeric_any_resource[k] |= numeric_resource_ok[k][r];
    }
    need_resource |= numeric_any_resource[k] != 0;
    scan_attributes = true;
  }
  const bool read_search = need_resource || filter.span_name || filter.span_has_error ||
                           filter.min_span_duration_ns || filter.max_span_duration_ns ||
                           scan_attributes;
  SearchCache* cache = context != nullptr ? context->cache : nullptr;
  if (!read_search && conditions.empty()) {  // only the range: no span is looked at
    for (uint32_t t = 0; t < summaries_.size(); ++t) {
      if (filter.range.Overlaps(summaries_[t].start_ns, summaries_[t].end_ns)) out.push_back(t);
    }
    return out;
  }

  // One row group: its matching rows in ascending order. Runs on several
  // threads at once; everything it shares is read-only.
  auto scan_group = [&](uint32_t g, std::vector<uint32_t>* rows) -> Status {
    const uint32_t m = rg_spans_[g], base = rg_base_[g];
    const uint32_t tb = rg_first_trace_[g], te = rg_first_trace_[g + 1];
    std::vector<uint8_t> alive(m, 0), hit;
    bool any = false;
    for (uint32_t t = tb; t < te; ++t) {
      const TraceSummary& s = summaries_[t];
      if (!filter.range.Overlaps(s.start_ns, s.end_ns)) continue;
      std::fill_n(alive.begin() + locations_[t].first, locations_[t].count, 1);
      any = true;
    }
    if (!any) return Status::Ok();
    // Postings first: they can rule the group out without decoding it.
    for (const AttributeCondition& c : conditions) {
      if (!c.indexed || c.any_resource) continue;
      auto lo = std::lower_bound(c.postings.begin(), c.postings.end(), base);
      if (lo == c.postings.end() || *lo >= base + m) return Status::Ok();
    }
    auto fail = [&](const Status& st) {
      return Status::DataLoss("trace block " + meta_.id + ": row group " + std::to_string(g) +
                              ": " + std::string(st.message()));
    };
    const std::string prefix = CachePrefix() + std::to_string(g) + "/";
    std::shared_ptr<const CachedSearchColumns> search;
    if (read_search) {
      auto load = [&] { return LoadSearchColumns(g); };
      if (cache != nullptr) {
        ASSIGN_OR_RETURN(search, cache->GetSearch(prefix + "s", load));
      } else {
        ASSIGN_OR_RETURN(search, load());
      }
    }
    if (filter.span_name) {
      std::optional<uint32_t> id = search->dict->Find(*filter.span_name);
      if (!id) return Status::Ok();
      for (uint32_t i = 0; i < m; ++i) alive[i] &= search->name[i] == *id;
    }
    if (filter.service) {
      for (uint32_t i = 0; i < m; ++i) alive[i] &= service_ok[search->resource[i]];
    }
    if (filter.span_has_error) {
      const auto error = static_cast<uint8_t>(otlp::SpanStatusCode::kError);
      for (uint32_t i = 0; i < m; ++i) alive[i] &= search->status[i] == error;
    }
    if (filter.min_span_duration_ns || filter.max_span_duration_ns) {
      const int64_t lo = filter.min_span_duration_ns.value_or(INT64_MIN);
      const int64_t hi = filter.max_span_duration_ns.value_or(INT64_MAX);
      for (uint32_t i = 0; i < m; ++i) {
        alive[i] &= search->duration[i] >= lo && search->duration[i] <= hi;
      }
    }
    std::optional<SpanAttributeColumns> attributes;
    auto decode_attributes = [&]() -> Status {
      if (attributes) return Status::Ok();
      ASSIGN_OR_RETURN(std::string bytes, reader_->ReadSection("rg." + std::to_string(g) + ".a"));
      Result<SpanAttributeColumns> decoded =
          SpanAttributeColumns::Decode(bytes, m, static_cast<uint32_t>(search->dict->size()));
      if (!decoded.ok()) return fail(decoded.status());
      attributes.emplace(std::move(*decoded));
      return Status::Ok();
    };
    for (size_t k = 0; k < filter.numeric_attributes.size(); ++k) {
      const NumericAttributeCondition& c = filter.numeric_attributes[k];
      hit.assign(m, 0);
      if (std::optional<uint32_t> key = search->dict->Find(c.key)) {
        auto load = [&]() -> Result<std::shared_ptr<const CachedNumericColumn>> {
          if (attributes) return NumericColumn(*attributes, *key, m);
          ASSIGN_OR_RETURN(std::string bytes,
                           reader_->ReadSection("rg." + std::to_string(g) + ".a"));
          Result<SpanAttributeColumns> numeric = SpanAttributeColumns::Decode(
              bytes, m, static_cast<uint32_t>(search->dict->size()), /*numeric_only=*/true);
          if (!numeric.ok()) return fail(numeric.status());
          return NumericColumn(*numeric, *key, m);
        };
        std::shared_ptr<const CachedNumericColumn> column;
        if (cache != nullptr) {
          ASSIGN_OR_RETURN(column, cache->GetNumeric(prefix + "n/" + c.key, load));
        } else {
          ASSIGN_OR_RETURN(column, load());
        }
        for (uint32_t i = 0; i < m; ++i) {
          hit[i] = alive[i] && column->present(i) && c.Holds(column->value(i));
        }
      }
      for (uint32_t i = 0; i < m; ++i) {
        alive[i] &=
            hit[i] || (numeric_any_resource[k] && numeric_resource_ok[k][search->resource[i]]);
      }
    }
    for (const AttributeCondition& c : conditions) {
      hit.assign(m, 0);
      if (c.indexed) {
        for (auto it = std::lower_bound(c.postings.begin(), c.postings.end(), base);
             it != c.postings.end() && *it < base + m; ++it) {
          hit[*it - base] = 1;
        }
      } else if (std::optional<uint32_t> key = search->dict->Find(c.key)) {
        RETURN_IF_ERROR(decode_attributes());
        const SpanAttributeColumns& a = *attributes;
        const std::optional<uint32_t> want_str = a.vals->Find(c.want);
        for (uint32_t i = 0; i < m; ++i) {
          if (!alive[i]) continue;
          for (uint32_t k = a.begin[i]; k < a.begin[i + 1]; ++k) {
            if (a.key[k] != *key) continue;
            const uint32_t slot = a.slot[k];
            switch (static_cast<AttrType>(a.type[k])) {
              case AttrType::kString:
                hit[i] = want_str && a.str[slot] == *want_str;
                break;
              case AttrType::kInt:
                hit[i] = c.want_int && a.ints[slot] == *c.want_int;
                break;
              case AttrType::kBool:
                hit[i] = c.want_bool && (a.bools[slot] != 0) == *c.want_bool;
                break;
              default:
                break;
            }
            break;  // only the first occurrence of a key counts
          }
        }
      }
      for (uint32_t i = 0; i < m; ++i) {
        alive[i] &= hit[i] || (c.any_resource && c.resource_ok[search->resource[i]]);
      }
    }
    for (uint32_t t = tb; t < te; ++t) {
      const Location& loc = locations_[t];
      if (std::any_of(alive.begin() + loc.first, alive.begin() + loc.first + loc.count,
                      [](uint8_t a) { return a != 0; })) {
        rows->push_back(t);
      }
    }
    return Status::Ok();
  };

  const auto groups = static_cast<uint32_t>(rg_spans_.size());
  std::vector<std::vector<uint32_t>> rows(groups);
  std::vector<Status> status(groups);
  auto run = [&](size_t g) { status[g] = scan_group(static_cast<uint32_t>(g), &rows[g]); };
  if (context != nullptr && context->pool != nullptr) {
    context->pool->ParallelFor(groups, run);
  } else {
    for (uint32_t g = 0; g < groups; ++g) run(g);
  }
  // Group order, so the answer never depends on the threads' timing.
  for (uint32_t g = 0; g < groups; ++g) {
    RETURN_IF_ERROR(status[g]);
    out.insert(out.end(), rows[g].begin(), rows[g].end());
  }
  return out;
}

}  // namespace quartet::store
