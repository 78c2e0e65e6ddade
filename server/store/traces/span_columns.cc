#include "server/store/traces/span_columns.h"

#include <cstring>
#include <unordered_map>

#include "server/store/block/varint.h"

namespace quartet::store {
namespace {

Status Bad(std::string_view what) { return Status::DataLoss("span columns: " + std::string(what)); }

uint64_t WrapSub(uint64_t a, uint64_t b) { return a - b; }

// Span ids come from clients: mix them so crafted ids cannot degrade the map.
struct SpanIdHash {
  size_t operator()(const SpanId& id) const {
    uint64_t h;
    std::memcpy(&h, id.bytes.data(), 8);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return static_cast<size_t>(h);
  }
};

// ---- value serialization ----

constexpr int kMaxDepth = 32;

void PutKeyValues(std::string* out, const std::vector<otlp::KeyValue>& kvs);

void PutValue(std::string* out, const otlp::AnyValue& v) {
  out->push_back(static_cast<char>(v.type));
  switch (v.type) {
    case otlp::AnyValue::Type::kEmpty:
      break;
    case otlp::AnyValue::Type::kString:
    case otlp::AnyValue::Type::kBytes:
      PutLengthPrefixed(out, v.string_value);
      break;
    case otlp::AnyValue::Type::kBool:
      out->push_back(v.bool_value ? 1 : 0);
      break;
    case otlp::AnyValue::Type::kInt:
      PutVarint64(out, ZigZagEncode(v.int_value));
      break;
    case otlp::AnyValue::Type::kDouble: {
      char b[8];
      std::memcpy(b, &v.double_value, 8);
      out->append(b, 8);
      break;
    }
    case otlp::AnyValue::Type::kArray:
      PutVarint64(out, v.array_value.size());
      for (const otlp::AnyValue& item : v.array_value) PutValue(out, item);
      break;
    case otlp::AnyValue::Type::kKvList:
      PutKeyValues(out, v.kvlist_value);
      break;
  }
}

void PutKeyValues(std::string* out, const std::vector<otlp::KeyValue>& kvs) {
  PutVarint64(out, kvs.size());
  for (const otlp::KeyValue& kv : kvs) {
    PutLengthPrefixed(out, kv.key);
    PutValue(out, kv.value);
  }
}

// Reads what the Put* functions write; every getter fails instead of reading
// past the input, and counts are bounded by the bytes left (each element
// takes at least one byte).
struct Reader {
  std::string_view in;

  bool Varint(uint64_t* v) { return GetVarint64(&in, v); }
  bool U32(uint32_t* v) {
    uint64_t x;
    if (!Varint(&x) || x > UINT32_MAX) return false;
    *v = static_cast<uint32_t>(x);
    return true;
  }
  bool Count(uint64_t* n) { return Varint(n) && *n <= in.size(); }
  bool Str(std::string* s) {
    std::string_view v;
    if (!GetLengthPrefixed(&in, &v)) return false;
    s->assign(v);
    return true;
  }
  bool Raw(size_t n, void* out) {
    if (in.size() < n) return false;
    std::memcpy(out, in.data(), n);
    in.remove_prefix(n);
    return true;
  }
  bool Value(otlp::AnyValue* v, int depth) {
    if (depth > kMaxDepth || in.empty()) return false;
    const auto type = static_cast<uint8_t>(in[0]);
    in.remove_prefix(1);
    if (type > static_cast<uint8_t>(otlp::AnyValue::Type::kBytes)) return false;
    v->type = static_cast<otlp::AnyValue::Type>(type);
    switch (v->type) {
      case otlp::AnyValue::Type::kEmpty:
        return true;
      case otlp::AnyValue::Type::kString:
      case otlp::AnyValue::Type::kBytes:
        return Str(&v->string_value);
      case otlp::AnyValue::Type::kBool: {
        uint8_t b;
        if (!Raw(1, &b) || b > 1) return false;
        v->bool_value = b;
        return true;
      }
      case otlp::AnyValue::Type::kInt: {
        uint64_t x;
        if (!Varint(&x)) return false;
        v->int_value = ZigZagDecode(x);
        return true;
      }
      case otlp::AnyValue::Type::kDouble:
        return Raw(8, &v->double_value);
      case otlp::AnyValue::Type::kArray: {
        uint64_t n;
        if (!Count(&n)) return false;
        v->array_value.resize(n);
        for (otlp::AnyValue& item : v->array_value) {
          if (!Value(&item, depth + 1)) return false;
        }
        return true;
      }
      case otlp::AnyValue::Type::kKvList:
        return KeyValues(&v->kvlist_value, depth + 1);
    }
    return false;
  }
  bool KeyValues(std::vector<otlp::KeyValue>* kvs, int depth) {
    uint64_t n;
    if (depth > kMaxDepth || !Count(&n)) return false;
    kvs->resize(n);
    for (otlp::KeyValue& kv : *kvs) {
      if (!Str(&kv.key) || !Value(&kv.value, depth)) return false;
    }
    return true;
  }
};

std::string EncodeEvents(const std::vector<otlp::SpanEvent>& events, uint64_t span_start) {
  std::string out;
  if (events.empty()) return out;
  PutVarint64(&out, events.size());
  for (const otlp::SpanEvent& e : events) {
    PutVarint64(&out, ZigZagEncode(static_cast<int64_t>(WrapSub(e.time_unix_nano, span_start))));
    PutLengthPrefixed(&out, e.name);
    PutKeyValues(&out, e.attributes);
    PutVarint64(&out, e.dropped_attributes_count);
  }
  return out;
}

bool DecodeEvents(std::string_view in, uint64_t span_start, std::vector<otlp::SpanEvent>* out) {
  if (in.empty()) return true;
  Reader r{in};
  uint64_t n;
  if (!r.Count(&n)) return false;
  out->resize(n);
  for (otlp::SpanEvent& e : *out) {
    uint64_t dt;
    if (!r.Varint(&dt)) return false;
    e.time_unix_nano = span_start + static_cast<uint64_t>(ZigZagDecode(dt));
    if (!r.Str(&e.name) || !r.KeyValues(&e.attributes, 0) || !r.U32(&e.dropped_attributes_count)) {
      return false;
    }
  }
  return r.in.empty();
}

std::string EncodeLinks(const std::vector<otlp::SpanLink>& links) {
  std::string out;
  if (links.empty()) return out;
  PutVarint64(&out, links.size());
  for (const otlp::SpanLink& l : links) {
    out.append(reinterpret_cast<const char*>(l.trace_id.bytes.data()), 16);
    out.append(reinterpret_cast<const char*>(l.span_id.bytes.data()), 8);
    PutLengthPrefixed(&out, l.trace_state);
    PutKeyValues(&out, l.attributes);
    PutVarint64(&out, l.dropped_attributes_count);
    PutVarint64(&out, l.flags);
  }
  return out;
}

bool DecodeLinks(std::string_view in, std::vector<otlp::SpanLink>* out) {
  if (in.empty()) return true;
  Reader r{in};
  uint64_t n;
  if (!r.Count(&n)) return false;
  out->resize(n);
  for (otlp::SpanLink& l : *out) {
    if (!r.Raw(16, l.trace_id.bytes.data()) || !r.Raw(8, l.span_id.bytes.data()) ||
        !r.Str(&l.trace_state) || !r.KeyValues(&l.attributes, 0) ||
        !r.U32(&l.dropped_attributes_count) || !r.U32(&l.flags)) {
      return false;
    }
  }
  return r.in.empty();
}

// ---- column packing ----

// A family section: the number of columns, their lengths, then their bytes.
std::string Pack(std::initializer_list<std::string> columns) {
  std::string out;
  PutVarint64(&out, columns.size());
  for (const std::string& c : columns) PutVarint64(&out, c.size());
  for (const std::string& c : columns) out += c;
  return out;
}

Result<std::vector<std::string_view>> Unpack(std::string_view in, size_t count,
                                             std::string_view family) {
  uint64_t n;
  if (!GetVarint64(&in, &n) || n != count) {
    return Bad(std::string(family) + " family has the wrong number of columns");
  }
  std::vector<uint64_t> lengths(count);
  for (uint64_t& len : lengths) {
    if (!GetVarint64(&in, &len)) return Bad(std::string(family) + " family directory truncated");
  }
  std::vector<std::string_view> out(count);
  for (size_t i = 0; i < count; ++i) {
    if (lengths[i] > in.size()) return Bad(std::string(family) + " column overruns its section");
    out[i] = in.substr(0, lengths[i]);
    in.remove_prefix(lengths[i]);
  }
  if (!in.empty()) return Bad(std::string(family) + " family has trailing bytes");
  return out;
}

Result<std::vector<uint32_t>> U32s(std::string_view in, size_t n, std::string_view what,
                                   uint32_t bound = UINT32_MAX) {
  ASSIGN_OR_RETURN(std::vector<uint32_t> v, DecodeUint32s(in));
  if (v.size() != n) return Bad(std::string(what) + " has the wrong length");
  if (bound != UINT32_MAX) {
    for (uint32_t x : v) {
      if (x >= bound) return Bad(std::string(what) + " value out of range");
    }
  }
  return v;
}

Result<std::vector<int64_t>> I64s(std::string_view in, size_t n, std::string_view what) {
  ASSIGN_OR_RETURN(std::vector<int64_t> v, DecodeInt64s(in));
  if (v.size() != n) return Bad(std::string(what) + " has the wrong length");
  return v;
}

Result<StringColumn> Strings(std::string_view in, size_t n, std::string_view what) {
  ASSIGN_OR_RETURN(StringColumn v, DecodeStrings(in));
  if (v.size() != n) return Bad(std::string(what) + " has the wrong length");
  return v;
}

}  // namespace

// ---- tables ----

std::string EncodeResourceEntry(const otlp::Resource& resource, std::string_view schema_url) {
  std::string out;
  PutKeyValues(&out, resource.attributes);
  PutVarint64(&out, resource.dropped_attributes_count);
  PutLengthPrefixed(&out, schema_url);
  return out;
}

Status DecodeResourceEntry(std::string_view in, otlp::Resource* resource, std::string* schema_url) {
  Reader r{in};
  if (!r.KeyValues(&resource->attributes, 0) || !r.U32(&resource->dropped_attributes_count) ||
      !r.Str(schema_url) || !r.in.empty()) {
    return Bad("undecodable resource table entry");
  }
  return Status::Ok();
}

std::string EncodeScopeEntry(const otlp::InstrumentationScope& scope, std::string_view schema_url) {
  std::string out;
  PutLengthPrefixed(&out, scope.name);
  PutLengthPrefixed(&out, scope.version);
  PutKeyValues(&out, scope.attributes);
  PutVarint64(&out, scope.dropped_attributes_count);
  PutLengthPrefixed(&out, schema_url);
  return out;
}

Status DecodeScopeEntry(std::string_view in, otlp::InstrumentationScope* scope,
                        std::string* schema_url) {
  Reader r{in};
  if (!r.Str(&scope->name) || !r.Str(&scope->version) || !r.KeyValues(&scope->attributes, 0) ||
      !r.U32(&scope->dropped_attributes_count) || !r.Str(schema_url) || !r.in.empty()) {
    return Bad("undecodable scope table entry");
  }
  return Status::Ok();
}

void PutAnyValue(std::string* out, const otlp::AnyValue& value) { PutValue(out, value); }

Status DecodeAnyValue(std::string_view in, otlp::AnyValue* value) {
  Reader r{in};
  if (!r.Value(value, 0) || !r.in.empty()) return Bad("undecodable attribute value");
  return Status::Ok();
}

// ---- builder ----

void SpanColumnsBuilder::AddTrace(std::span<const SpanRef> spans, int64_t base_ns) {
  std::unordered_map<SpanId, uint32_t, SpanIdHash> index;
  for (size_t i = 0; i < spans.size(); ++i) index.emplace(spans[i].span->span_id, i);
  const auto base = static_cast<uint64_t>(base_ns);
  for (const SpanRef& ref : spans) {
    const otlp::Span& s = *ref.span;
    const auto ordinal = static_cast<uint32_t>(names_.size());
    names_.push_back(dict_.Add(s.name));
    resources_.push_back(ref.resource);
    statuses_.push_back(static_cast<uint32_t>(s.status.code));
    durations_.push_back(
        static_cast<int64_t>(WrapSub(s.end_time_unix_nano, s.start_time_unix_nano)));
    span_ids_.append(reinterpret_cast<const char*>(s.span_id.bytes.data()), 8);
    uint32_t parent = 0;
    if (s.parent_span_id.valid()) {
      auto it = index.find(s.parent_span_id);
      if (it != index.end()) {
        parent = it->second + 1;
      } else {
        parent_xs_.push_back(ordinal);
        parent_xids_.append(reinterpret_cast<const char*>(s.parent_span_id.bytes.data()), 8);
      }
    }
    parents_.push_back(parent);
    kinds_.push_back(static_cast<uint32_t>(s.kind));
    starts_.push_back(static_cast<int64_t>(WrapSub(s.start_time_unix_nano, base)));
    status_msgs_.push_back(dict_.Add(s.status.message));
    trace_states_.push_back(dict_.Add(s.trace_state));
    flags_.push_back(s.flags);
    groups_.push_back(ref.group_bits);
    scopes_.push_back(ref.scope);
    d_attrs_.push_back(s.dropped_attributes_count);
    d_events_.push_back(s.dropped_events_count);
    d_links_.push_back(s.dropped_links_count);
    events_.push_back(EncodeEvents(s.events, s.start_time_unix_nano));
    links_.push_back(EncodeLinks(s.links));
    attr_n_.push_back(static_cast<uint32_t>(s.attributes.size()));
    for (const otlp::KeyValue& kv : s.attributes) {
      attr_key_.push_back(dict_.Add(kv.key));
      const otlp::AnyValue& v = kv.value;
      switch (v.type) {
        case otlp::AnyValue::Type::kEmpty:
          attr_type_.push_back(static_cast<uint32_t>(AttrType::kEmpty));
          break;
        case otlp::AnyValue::Type::kString:
          attr_type_.push_back(static_cast<uint32_t>(AttrType::kString));
          attr_str_.push_back(vals_.Add(v.string_value));
          break;
        case otlp::AnyValue::Type::kBool:
          attr_type_.push_back(static_cast<uint32_t>(AttrType::kBool));
          attr_bool_.push_back(v.bool_value ? 1 : 0);
          break;
        case otlp::AnyValue::Type::kInt:
          attr_type_.push_back(static_cast<uint32_t>(AttrType::kInt));
          attr_int_.push_back(v.int_value);
          break;
        case otlp::AnyValue::Type::kDouble: {
          attr_type_.push_back(static_cast<uint32_t>(AttrType::kDouble));
          char b[8];
          std::memcpy(b, &v.double_value, 8);
          attr_dbl_.append(b, 8);
          break;
        }
        default: {
          attr_type_.push_back(static_cast<uint32_t>(AttrType::kOther));
          std::string bytes;
          PutValue(&bytes, v);
          attr_other_.push_back(std::move(bytes));
        }
      }
    }
  }
}

SpanColumnsBuilder::Sections SpanColumnsBuilder::Finish() {
  Sections out;
  out.search = Pack({dict_.Encode(), EncodeUint32s(names_), EncodeUint32s(resources_),
                     EncodeUint32s(statuses_), EncodeInt64s(durations_)});
  out.attributes =
      Pack({EncodeUint32s(attr_n_), EncodeUint32s(attr_key_), EncodeUint32s(attr_type_),
            EncodeUint32s(attr_str_), EncodeInt64s(attr_int_), attr_dbl_, EncodeUint32s(attr_bool_),
            EncodeStrings(attr_other_), vals_.Encode()});
  out.extra = Pack({span_ids_, EncodeUint32s(parents_), EncodeUint32s(parent_xs_), parent_xids_,
                    EncodeUint32s(kinds_), EncodeInt64s(starts_), EncodeUint32s(status_msgs_),
                    EncodeUint32s(trace_states_), EncodeUint32s(flags_), EncodeUint32s(groups_),
                    EncodeUint32s(scopes_), EncodeUint32s(d_attrs_), EncodeUint32s(d_events_),
                    EncodeUint32s(d_links_), EncodeStrings(events_), EncodeStrings(links_)});
  *this = SpanColumnsBuilder();
  return out;
}

// ---- decoders ----

Result<SpanSearchColumns> SpanSearchColumns::Decode(std::string_view bytes, uint32_t n,
                                                    uint32_t resource_count, uint32_t columns) {
  ASSIGN_OR_RETURN(std::vector<std::string_view> c, Unpack(bytes, 5, "search"));
  SpanSearchColumns s;
  ASSIGN_OR_RETURN(StringDictionary dict, StringDictionary::Decode(c[0]));
  const auto dict_size = static_cast<uint32_t>(dict.size());
  s.dict.emplace(std::move(dict));
  if (columns & kSearchName) {
    ASSIGN_OR_RETURN(s.name, U32s(c[1], n, "name", dict_size));
  }
  if (columns & kSearchResource) {
    ASSIGN_OR_RETURN(s.resource, U32s(c[2], n, "resource", resource_count));
  }
  if (columns & kSearchStatus) {
    ASSIGN_OR_RETURN(s.status, U32s(c[3], n, "status"));
  }
  if (columns & kSearchDuration) {
    ASSIGN_OR_RETURN(s.duration, I64s(c[4], n, "duration"));
  }
  return s;
}

Result<SpanAttributeColumns> SpanAttributeColumns::Decode(std::string_view bytes, uint32_t n,
                                                          uint32_t dict_size, bool numeric_only) {
  ASSIGN_OR_RETURN(std::vector<std::string_view> c, Unpack(bytes, 9, "attribute"));
  SpanAttributeColumns a;
  ASSIGN_OR_RETURN(std::vector<uint32_t> counts, U32s(c[0], n, "attr_n"));
  a.begin.resize(size_t{n} + 1);
  uint64_t total = 0;
  for (uint32_t i = 0; i < n; ++i) {
    a.begin[i] = static_cast<uint32_t>(total);
    total += counts[i];
    if (total > UINT32_MAX) return Bad("attribute counts overflow");
  }
  a.begin[n] = static_cast<uint32_t>(total);
  ASSIGN_OR_RETURN(a.key, U32s(c[1], total, "attr_key", dict_size));
  ASSIGN_OR_RETURN(a.type,
                   U32s(c[2], total, "attr_type", static_cast<uint32_t>(AttrType::kOther) + 1));
  uint32_t per_type[6] = {};
  a.slot.resize(total);
  for (size_t i = 0; i < total; ++i) a.slot[i] = per_type[a.type[i]]++;
  if (numeric_only) {
    ASSIGN_OR_RETURN(a.ints, I64s(c[4], per_type[3], "attr_int"));
    if (c[5].size() != uint64_t{per_type[4]} * 8) return Bad("attr_dbl has the wrong length");
    a.dbl_bytes.assign(c[5]);
    return a;
  }
  ASSIGN_OR_RETURN(StringDictionary vals, StringDictionary::Decode(c[8]));
  const auto vals_size = static_cast<uint32_t>(vals.size());
  a.vals.emplace(std::move(vals));
  ASSIGN_OR_RETURN(a.str, U32s(c[3], per_type[1], "attr_str", vals_size));
  ASSIGN_OR_RETURN(a.bools, U32s(c[6], per_type[2], "attr_bool", 2));
  ASSIGN_OR_RETURN(a.ints, I64s(c[4], per_type[3], "attr_int"));
  if (c[5].size() != uint64_t{per_type[4]} * 8) return Bad("attr_dbl has the wrong length");
  a.dbl_bytes.assign(c[5]);
  a.other_bytes = std::make_unique<const std::string>(c[7]);
  ASSIGN_OR_RETURN(StringColumn other, Strings(*a.other_bytes, per_type[5], "attr_other"));
  a.other.emplace(std::move(other));
  return a;
}

Status SpanAttributeColumns::Value(uint32_t i, otlp::AnyValue* out) const {
  const uint32_t k = slot[i];
  switch (static_cast<AttrType>(type[i])) {
    case AttrType::kEmpty:
      *out = otlp::AnyValue();
      return Status::Ok();
    case AttrType::kString:
      *out = otlp::AnyValue::String(std::string(*vals->Lookup(str[k])));
      return Status::Ok();
    case AttrType::kBool:
      *out = otlp::AnyValue::Bool(bools[k] != 0);
      return Status::Ok();
    case AttrType::kInt:
      *out = otlp::AnyValue::Int(ints[k]);
      return Status::Ok();
    case AttrType::kDouble: {
      double d;
      std::memcpy(&d, dbl_bytes.data() + size_t{k} * 8, 8);
      *out = otlp::AnyValue::Double(d);
      return Status::Ok();
    }
    case AttrType::kOther:
      return DecodeAnyValue((*other)[k], out);
  }
  return Bad("bad attribute type");
}

Result<SpanExtraColumns> SpanExtraColumns::Decode(std::string_view bytes, uint32_t n,
                                                  uint32_t dict_size, uint32_t scope_count) {
  ASSIGN_OR_RETURN(std::vector<std::string_view> c, Unpack(bytes, 16, "extra"));
  SpanExtraColumns x;
  if (c[0].size() != uint64_t{n} * 8) return Bad("span_id has the wrong length");
  x.span_ids.assign(c[0]);
  ASSIGN_OR_RETURN(x.parent, U32s(c[1], n, "parent"));
  ASSIGN_OR_RETURN(std::vector<uint32_t> xs, DecodeUint32s(c[2]));
  if (c[3].size() != xs.size() * 8) return Bad("parent_xid has the wrong length");
  x.parent_xids.assign(c[3]);
  x.parent_x.assign(n, -1);
  for (size_t i = 0; i < xs.size(); ++i) {
    if (xs[i] >= n || (i > 0 && xs[i] <= xs[i - 1]) || x.parent[xs[i]] != 0) {
      return Bad("parent exception list is invalid");
    }
    x.parent_x[xs[i]] = static_cast<int32_t>(i);
  }
  ASSIGN_OR_RETURN(x.kind, U32s(c[4], n, "kind"));
  ASSIGN_OR_RETURN(x.start, I64s(c[5], n, "start"));
  ASSIGN_OR_RETURN(x.status_msg, U32s(c[6], n, "status_msg", dict_size));
  ASSIGN_OR_RETURN(x.trace_state, U32s(c[7], n, "trace_state", dict_size));
  ASSIGN_OR_RETURN(x.flags, U32s(c[8], n, "flags"));
  ASSIGN_OR_RETURN(x.group, U32s(c[9], n, "group", 4));
  ASSIGN_OR_RETURN(x.scope, U32s(c[10], n, "scope", scope_count));
  ASSIGN_OR_RETURN(x.d_attrs, U32s(c[11], n, "dropped_attributes"));
  ASSIGN_OR_RETURN(x.d_events, U32s(c[12], n, "dropped_events"));
  ASSIGN_OR_RETURN(x.d_links, U32s(c[13], n, "dropped_links"));
  x.events_bytes = std::make_unique<const std::string>(c[14]);
  x.links_bytes = std::make_unique<const std::string>(c[15]);
  ASSIGN_OR_RETURN(StringColumn events, Strings(*x.events_bytes, n, "events"));
  ASSIGN_OR_RETURN(StringColumn links, Strings(*x.links_bytes, n, "links"));
  x.events.emplace(std::move(events));
  x.links.emplace(std::move(links));
  return x;
}

Status SpanRowGroup::ReadTrace(uint32_t first, uint32_t count, int64_t base_ns,
                               const TraceId& trace_id,
                               std::span<const otlp::ResourceSpans> resources,
                               std::span<const otlp::ScopeSpans> scopes,
                               otlp::ExportTraceServiceRequest* out) const {
  const SpanSearchColumns& s = search;
  const SpanExtraColumns& x = extra;
  if (uint64_t{first} + count > s.name.size()) return Bad("trace beyond its row group");
  uint32_t resource = UINT32_MAX, scope = UINT32_MAX;
  otlp::ScopeSpans* group = nullptr;
  for (uint32_t j = 0; j < count; ++j) {
    const uint32_t i = first + j;
    const bool new_resource = j == 0 || (x.group[i] & kGroupNewResource);
    if (new_resource) {
      resource = s.resource[i];
      otlp::ResourceSpans& rs = out->resource_spans.emplace_back();
      rs.resource = resources[resource].resource;
      rs.schema_url = resources[resource].schema_url;
    } else if (s.resource[i] != resource) {
      return Bad("resource column disagrees with its groups");
    }
    if (new_resource || (x.group[i] & kGroupNewScope)) {
      scope = x.scope[i];
      group = &out->resource_spans.back().scope_spans.emplace_back();
      group->scope = scopes[scope].scope;
      group->schema_url = scopes[scope].schema_url;
    } else if (x.scope[i] != scope) {
      return Bad("scope column disagrees with its groups");
    }
    otlp::Span& span = group->spans.emplace_back();
    span.trace_id = trace_id;
    std::memcpy(span.span_id.bytes.data(), x.span_ids.data() + size_t{i} * 8, 8);
    if (x.parent_x[i] >= 0) {
      std::memcpy(span.parent_span_id.bytes.data(),
                  x.parent_xids.data() + static_cast<size_t>(x.parent_x[i]) * 8, 8);
    } else if (x.parent[i] != 0) {
      if (x.parent[i] > count) return Bad("parent index beyond its trace");
      std::memcpy(span.parent_span_id.bytes.data(),
                  x.span_ids.data() + (size_t{first} + x.parent[i] - 1) * 8, 8);
    }
    span.trace_state = *s.dict->Lookup(x.trace_state[i]);
    span.flags = x.flags[i];
    span.name = *s.dict->Lookup(s.name[i]);
    span.kind = static_cast<otlp::SpanKind>(static_cast<int32_t>(x.kind[i]));
    span.start_time_unix_nano = static_cast<uint64_t>(base_ns) + static_cast<uint64_t>(x.start[i]);
    span.end_time_unix_nano = span.start_time_unix_nano + static_cast<uint64_t>(s.duration[i]);
    const SpanAttributeColumns& a = attributes;
    span.attributes.resize(a.begin[i + 1] - a.begin[i]);
    for (uint32_t k = a.begin[i]; k < a.begin[i + 1]; ++k) {
      otlp::KeyValue& kv = span.attributes[k - a.begin[i]];
      kv.key = *s.dict->Lookup(a.key[k]);
      RETURN_IF_ERROR(a.Value(k, &kv.value));
    }
    span.dropped_attributes_count = x.d_attrs[i];
    if (!DecodeEvents((*x.events)[i], span.start_time_unix_nano, &span.events)) {
      return Bad("undecodable events");
    }
    span.dropped_events_count = x.d_events[i];
    if (!DecodeLinks((*x.links)[i], &span.links)) return Bad("undecodable links");
    span.dropped_links_count = x.d_links[i];
    span.status.code = static_cast<otlp::SpanStatusCode>(static_cast<int32_t>(s.status[i]));
    span.status.message = *s.dict->Lookup(x.status_msg[i]);
  }
  return Status::Ok();
}

}  // namespace quartet::store
