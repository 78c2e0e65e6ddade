// Encoder and decoder of perftools.profiles.Profile (see profile.h).
#include <string>
#include <unordered_map>
#include <utility>

#include "wire/compress/gzip.h"
#include "wire/pprof/profile.h"
#include "wire/protobuf/reader.h"
#include "wire/protobuf/writer.h"

namespace quartet::pprof {
namespace {

using protobuf::Field;
using protobuf::Reader;
using protobuf::Writer;

// ---- encoding ----

void PutNonZero(Writer* w, uint32_t field, uint64_t v) {
  if (v != 0) w->Varint(field, v);
}
void PutNonZeroInt(Writer* w, uint32_t field, int64_t v) {
  if (v != 0) w->Int64(field, v);
}

void PutValueType(Writer* w, uint32_t field, const ValueType& vt) {
  auto m = w->BeginMessage(field);
  PutNonZeroInt(w, 1, vt.type);
  PutNonZeroInt(w, 2, vt.unit);
  w->EndMessage(m);
}

// Packed repeated int64 (proto3 packs repeated scalars by default).
void PutPackedInts(Writer* w, uint32_t field, const std::vector<int64_t>& v) {
  if (v.empty()) return;
  std::vector<uint64_t> u(v.begin(), v.end());
  w->PackedVarint(field, u);
}

// ---- decoding ----

// Budget charges, roughly what each decoded element costs in memory.
constexpr size_t kScalarCost = sizeof(uint64_t);

Status NoBudget(std::string_view what) {
  return Status::ResourceExhausted(std::string(what) +
                                   ": decoded profile would exceed the allocation budget");
}

Status Wrap(const Status& st, std::string_view context) {
  return st.ok() ? st : st.Annotate(context);
}

Result<ValueType> ParseValueType(const Reader& parent, const Field& f) {
  ASSIGN_OR_RETURN(Reader r, parent.Message(f));
  ValueType vt;
  Field g;
  while (r.Next(&g)) {
    if (g.number == 1) {
      ASSIGN_OR_RETURN(vt.type, g.Int64());
    } else if (g.number == 2) {
      ASSIGN_OR_RETURN(vt.unit, g.Int64());
    }
  }
  RETURN_IF_ERROR(r.status());
  return vt;
}

// Appends repeated varints (packed or not) after charging the budget.
Status AppendCharged(const Reader& r, const Field& f, std::vector<uint64_t>* out) {
  size_t before = out->size();
  RETURN_IF_ERROR(protobuf::AppendVarints(f, out));
  if (!r.Charge((out->size() - before) * kScalarCost)) return NoBudget("repeated field");
  return Status::Ok();
}

Result<Label> ParseLabel(const Reader& parent, const Field& f) {
  ASSIGN_OR_RETURN(Reader r, parent.Message(f));
  Label l;
  Field g;
  while (r.Next(&g)) {
    switch (g.number) {
      case 1: {
        ASSIGN_OR_RETURN(l.key, g.Int64());
        break;
      }
      case 2: {
        ASSIGN_OR_RETURN(l.str, g.Int64());
        break;
      }
      case 3: {
        ASSIGN_OR_RETURN(l.num, g.Int64());
        break;
      }
      case 4: {
        ASSIGN_OR_RETURN(l.num_unit, g.Int64());
        break;
      }
      default:
        break;
    }
  }
  RETURN_IF_ERROR(r.status());
  return l;
}

Result<Sample> ParseSample(const Reader& parent, const Field& f) {
  ASSIGN_OR_RETURN(Reader r, parent.Message(f));
  Sample s;
  std::vector<uint64_t> values;
  Field g;
  while (r.Next(&g)) {
    if (g.number == 1) {
      RETURN_IF_ERROR(Wrap(AppendCharged(r, g, &s.location_id), "location_id"));
    } else if (g.number == 2) {
      RETURN_IF_ERROR(Wrap(AppendCharged(r, g, &values), "value"));
    } else if (g.number == 3) {
      if (!r.Charge(sizeof(Label))) return NoBudget("label");
      ASSIGN_OR_RETURN(Label l, ParseLabel(r, g));
      s.label.push_back(l);
    }
  }
  RETURN_IF_ERROR(r.status());
  s.value.assign(values.begin(), values.end());
  return s;
}

Result<Mapping> ParseMapping(const Reader& parent, const Field& f) {
  ASSIGN_OR_RETURN(Reader r, parent.Message(f));
  Mapping m;
  Field g;
  while (r.Next(&g)) {
    switch (g.number) {
      case 1: {
        ASSIGN_OR_RETURN(m.id, g.Uint64());
        break;
      }
      case 2: {
        ASSIGN_OR_RETURN(m.memory_start, g.Uint64());
        break;
      }
      case 3: {
        ASSIGN_OR_RETURN(m.memory_limit, g.Uint64());
        break;
      }
      case 4: {
        ASSIGN_OR_RETURN(m.file_offset, g.Uint64());
        break;
      }
      case 5: {
        ASSIGN_OR_RETURN(m.filename, g.Int64());
        break;
      }
      case 6: {
        ASSIGN_OR_RETURN(m.build_id, g.Int64());
        break;
      }
      case 7: {
        ASSIGN_OR_RETURN(m.has_functions, g.Bool());
        break;
      }
      case 8: {
        ASSIGN_OR_RETURN(m.has_filenames, g.Bool());
        break;
      }
      case 9: {
        ASSIGN_OR_RETURN(m.has_line_numbers, g.Bool());
        break;
      }
      case 10: {
        ASSIGN_OR_RETURN(m.has_inline_frames, g.Bool());
        break;
      }
      default:
        break;
    }
  }
  RETURN_IF_ERROR(r.status());
  return m;
}

Result<Line> ParseLine(const Reader& parent, const Field& f) {
  ASSIGN_OR_RETURN(Reader r, parent.Message(f));
  Line l;
  Field g;
  while (r.Next(&g)) {
    switch (g.number) {
      case 1: {
        ASSIGN_OR_RETURN(l.function_id, g.Uint64());
        break;
      }
      case 2: {
        ASSIGN_OR_RETURN(l.line, g.Int64());
        break;
      }
      case 3: {
        ASSIGN_OR_RETURN(l.column, g.Int64());
        break;
      }
      default:
        break;
    }
  }
  RETURN_IF_ERROR(r.status());
  return l;
}

Result<Location> ParseLocation(const Reader& parent, const Field& f) {
  ASSIGN_OR_RETURN(Reader r, parent.Message(f));
  Location loc;
  Field g;
  while (r.Next(&g)) {
    switch (g.number) {
      case 1: {
        ASSIGN_OR_RETURN(loc.id, g.Uint64());
        break;
      }
      case 2: {
        ASSIGN_OR_RETURN(loc.mapping_id, g.Uint64());
        break;
      }
      case 3: {
        ASSIGN_OR_RETURN(loc.address, g.Uint64());
        break;
      }
      case 4: {
        if (!r.Charge(sizeof(Line))) return NoBudget("line");
        ASSIGN_OR_RETURN(Line l, ParseLine(r, g));
        loc.line.push_back(l);
        break;
      }
      case 5: {
        ASSIGN_OR_RETURN(loc.is_folded, g.Bool());
        break;
      }
      default:
        break;
    }
  }
  RETURN_IF_ERROR(r.status());
  return loc;
}

Result<Function> ParseFunction(const Reader& parent, const Field& f) {
  ASSIGN_OR_RETURN(Reader r, parent.Message(f));
  Function fn;
  Field g;
  while (r.Next(&g)) {
    switch (g.number) {
      case 1: {
        ASSIGN_OR_RETURN(fn.id, g.Uint64());
        break;
      }
      case 2: {
        ASSIGN_OR_RETURN(fn.name, g.Int64());
        break;
      }
      case 3: {
        ASSIGN_OR_RETURN(fn.system_name, g.Int64());
        break;
      }
      case 4: {
        ASSIGN_OR_RETURN(fn.filename, g.Int64());
        break;
      }
      case 5: {
        ASSIGN_OR_RETURN(fn.start_line, g.Int64());
        break;
      }
      default:
        break;
    }
  }
  RETURN_IF_ERROR(r.status());
  return fn;
}

// Cross-reference checks, once everything is read: every string index inside
// the table, ids unique and non-zero, references resolvable.
class Validator {
 public:
  explicit Validator(const Profile& p) : p_(p) {}

  Status Run() {
    if (p_.string_table.empty() || !p_.string_table[0].empty()) {
      return Status::InvalidArgument("string_table: entry 0 must be the empty string");
    }
    for (size_t i = 0; i < p_.sample_type.size(); ++i) {
      RETURN_IF_ERROR(Wrap(CheckValueType(p_.sample_type[i]), Where("sample_type", i)));
    }
    RETURN_IF_ERROR(Wrap(CheckValueType(p_.period_type), "period_type"));
    RETURN_IF_ERROR(Str(p_.drop_frames, "drop_frames"));
    RETURN_IF_ERROR(Str(p_.keep_frames, "keep_frames"));
    RETURN_IF_ERROR(Str(p_.default_sample_type, "default_sample_type"));
    for (size_t i = 0; i < p_.comment.size(); ++i) {
      RETURN_IF_ERROR(Str(p_.comment[i], Where("comment", i)));
    }
    if (p_.time_nanos < 0) return Status::InvalidArgument("time_nanos: negative");
    if (p_.duration_nanos < 0) return Status::InvalidArgument("duration_nanos: negative");

    std::unordered_map<uint64_t, size_t> functions, mappings, locations;
    for (size_t i = 0; i < p_.function.size(); ++i) {
      const Function& f = p_.function[i];
      std::string w = Where("function", i);
      RETURN_IF_ERROR(Id(f.id, &functions, i, w));
      RETURN_IF_ERROR(Str(f.name, w + ": name"));
      RETURN_IF_ERROR(Str(f.system_name, w + ": system_name"));
      RETURN_IF_ERROR(Str(f.filename, w + ": filename"));
    }
    for (size_t i = 0; i < p_.mapping.size(); ++i) {
      const Mapping& m = p_.mapping[i];
      std::string w = Where("mapping", i);
      RETURN_IF_ERROR(Id(m.id, &mappings, i, w));
      RETURN_IF_ERROR(Str(m.filename, w + ": filename"));
      RETURN_IF_ERROR(Str(m.build_id, w + ": build_id"));
      if (m.memory_limit < m.memory_start) {
        return Status::InvalidArgument(w + ": memory_limit below memory_start");
      }
    }
    for (size_t i = 0; i < p_.location.size(); ++i) {
      const Location& l = p_.location[i];
      std::string w = Where("location", i);
      RETURN_IF_ERROR(Id(l.id, &locations, i, w));
      if (l.mapping_id != 0 && !mappings.count(l.mapping_id)) {
        return Status::InvalidArgument(w + ": mapping_id " + std::to_string(l.mapping_id) +
                                       " names no mapping");
      }
      for (size_t j = 0; j < l.line.size(); ++j) {
        if (!functions.count(l.line[j].function_id)) {
          return Status::InvalidArgument(w + ": " + Where("line", j) + ": function_id " +
                                         std::to_string(l.line[j].function_id) +
                                         " names no function");
        }
      }
    }
    for (size_t i = 0; i < p_.sample.size(); ++i) {
      const Sample& s = p_.sample[i];
      std::string w = Where("sample", i);
      if (s.value.size() != p_.sample_type.size()) {
        return Status::InvalidArgument(w + ": " + std::to_string(s.value.size()) + " values for " +
                                       std::to_string(p_.sample_type.size()) + " sample types");
      }
      for (uint64_t id : s.location_id) {
        if (!locations.count(id)) {
          return Status::InvalidArgument(w + ": location_id " + std::to_string(id) +
                                         " names no location");
        }
      }
      for (size_t j = 0; j < s.label.size(); ++j) {
        const Label& l = s.label[j];
        std::string lw = w + ": " + Where("label", j);
        RETURN_IF_ERROR(Str(l.key, lw + ": key"));
        RETURN_IF_ERROR(Str(l.str, lw + ": str"));
        RETURN_IF_ERROR(Str(l.num_unit, lw + ": num_unit"));
        if (l.key == 0) return Status::InvalidArgument(lw + ": key is the empty string");
      }
    }
    return Status::Ok();
  }

 private:
  static std::string Where(std::string_view what, size_t i) {
    return std::string(what) + " " + std::to_string(i);
  }
  Status CheckValueType(const ValueType& vt) {
    RETURN_IF_ERROR(Str(vt.type, "type"));
    return Str(vt.unit, "unit");
  }
  Status Str(int64_t index, std::string_view what) const {
    if (index >= 0 && static_cast<uint64_t>(index) < p_.string_table.size()) return Status::Ok();
    return Status::InvalidArgument(std::string(what) + ": string index " + std::to_string(index) +
                                   " outside string_table (" +
                                   std::to_string(p_.string_table.size()) + " strings)");
  }
  static Status Id(uint64_t id, std::unordered_map<uint64_t, size_t>* seen, size_t i,
                   const std::string& where) {
    if (id == 0) return Status::InvalidArgument(where + ": id 0 is reserved");
    if (!seen->emplace(id, i).second) {
      return Status::InvalidArgument(where + ": duplicate id " + std::to_string(id));
    }
    return Status::Ok();
  }

  const Profile& p_;
};

}  // namespace

std::string Encode(const Profile& p) {
  Writer w(4096);
  for (const ValueType& vt : p.sample_type) PutValueType(&w, 1, vt);
  for (const Sample& s : p.sample) {
    auto m = w.BeginMessage(2);
    w.PackedVarint(1, s.location_id);
    PutPackedInts(&w, 2, s.value);
    for (const Label& l : s.label) {
      auto lm = w.BeginMessage(3);
      PutNonZeroInt(&w, 1, l.key);
      PutNonZeroInt(&w, 2, l.str);
      PutNonZeroInt(&w, 3, l.num);
      PutNonZeroInt(&w, 4, l.num_unit);
      w.EndMessage(lm);
    }
    w.EndMessage(m);
  }
  for (const Mapping& mp : p.mapping) {
    auto m = w.BeginMessage(3);
    PutNonZero(&w, 1, mp.id);
    PutNonZero(&w, 2, mp.memory_start);
    PutNonZero(&w, 3, mp.memory_limit);
    PutNonZero(&w, 4, mp.file_offset);
    PutNonZeroInt(&w, 5, mp.filename);
    PutNonZeroInt(&w, 6, mp.build_id);
    if (mp.has_functions) w.Bool(7, true);
    if (mp.has_filenames) w.Bool(8, true);
    if (mp.has_line_numbers) w.Bool(9, true);
    if (mp.has_inline_frames) w.Bool(10, true);
    w.EndMessage(m);
  }
  for (const Location& loc : p.location) {
    auto m = w.BeginMessage(4);
    PutNonZero(&w, 1, loc.id);
    PutNonZero(&w, 2, loc.mapping_id);
    PutNonZero(&w, 3, loc.address);
    for (const Line& l : loc.line) {
      auto lm = w.BeginMessage(4);
      PutNonZero(&w, 1, l.function_id);
      PutNonZeroInt(&w, 2, l.line);
      PutNonZeroInt(&w, 3, l.column);
      w.EndMessage(lm);
    }
    if (loc.is_folded) w.Bool(5, true);
    w.EndMessage(m);
  }
  for (const Function& fn : p.function) {
    auto m = w.BeginMessage(5);
    PutNonZero(&w, 1, fn.id);
    PutNonZeroInt(&w, 2, fn.name);
    PutNonZeroInt(&w, 3, fn.system_name);
    PutNonZeroInt(&w, 4, fn.filename);
    PutNonZeroInt(&w, 5, fn.start_line);
    w.EndMessage(m);
  }
  // string_table[0] must be present even when the table would be empty.
  if (p.string_table.empty()) w.String(6, "");
  for (const std::string& s : p.string_table) w.String(6, s);
  PutNonZeroInt(&w, 7, p.drop_frames);
  PutNonZeroInt(&w, 8, p.keep_frames);
  PutNonZeroInt(&w, 9, p.time_nanos);
  PutNonZeroInt(&w, 10, p.duration_nanos);
  if (p.period_type.type != 0 || p.period_type.unit != 0) PutValueType(&w, 11, p.period_type);
  PutNonZeroInt(&w, 12, p.period);
  PutPackedInts(&w, 13, p.comment);
  PutNonZeroInt(&w, 14, p.default_sample_type);
  return w.Release();
}

Result<std::string> EncodeGzip(const Profile& profile) {
  return compress::GzipCompress(Encode(profile));
}

Result<Profile> Decode(std::string_view bytes, const DecodeLimits& limits) {
  int64_t budget =
      limits.budget_base + limits.budget_per_input_byte * static_cast<int64_t>(bytes.size());
  Reader r(bytes);
  r.set_budget(&budget);
  Profile p;
  std::vector<uint64_t> comments;
  Field f;
  // Each repeated message is charged before it is materialized.
  auto charge = [&](size_t n, std::string_view what) -> Status {
    return r.Charge(n) ? Status::Ok() : NoBudget(what);
  };
  while (r.Next(&f)) {
    switch (f.number) {
      case 1: {
        RETURN_IF_ERROR(charge(sizeof(ValueType), "sample_type"));
        auto vt = ParseValueType(r, f);
        if (!vt.ok())
          return vt.status().Annotate("sample_type " + std::to_string(p.sample_type.size()));
        p.sample_type.push_back(*vt);
        break;
      }
      case 2: {
        RETURN_IF_ERROR(charge(sizeof(Sample), "sample"));
        auto s = ParseSample(r, f);
        if (!s.ok()) return s.status().Annotate("sample " + std::to_string(p.sample.size()));
        p.sample.push_back(std::move(*s));
        break;
      }
      case 3: {
        RETURN_IF_ERROR(charge(sizeof(Mapping), "mapping"));
        auto m = ParseMapping(r, f);
        if (!m.ok()) return m.status().Annotate("mapping " + std::to_string(p.mapping.size()));
        p.mapping.push_back(*m);
        break;
      }
      case 4: {
        RETURN_IF_ERROR(charge(sizeof(Location), "location"));
        auto l = ParseLocation(r, f);
        if (!l.ok()) return l.status().Annotate("location " + std::to_string(p.location.size()));
        p.location.push_back(std::move(*l));
        break;
      }
      case 5: {
        RETURN_IF_ERROR(charge(sizeof(Function), "function"));
        auto fn = ParseFunction(r, f);
        if (!fn.ok()) return fn.status().Annotate("function " + std::to_string(p.function.size()));
        p.function.push_back(*fn);
        break;
      }
      case 6: {
        auto s = f.Bytes();
        if (!s.ok()) return s.status().Annotate("string_table");
        RETURN_IF_ERROR(charge(sizeof(std::string) + s->size(), "string_table"));
        p.string_table.emplace_back(*s);
        break;
      }
      case 7: {
        ASSIGN_OR_RETURN(p.drop_frames, f.Int64());
        break;
      }
      case 8: {
        ASSIGN_OR_RETURN(p.keep_frames, f.Int64());
        break;
      }
      case 9: {
        ASSIGN_OR_RETURN(p.time_nanos, f.Int64());
        break;
      }
      case 10: {
        ASSIGN_OR_RETURN(p.duration_nanos, f.Int64());
        break;
      }
      case 11: {
        auto vt = ParseValueType(r, f);
        if (!vt.ok()) return vt.status().Annotate("period_type");
        p.period_type = *vt;
        break;
      }
      case 12: {
        ASSIGN_OR_RETURN(p.period, f.Int64());
        break;
      }
      case 13:
        RETURN_IF_ERROR(Wrap(AppendCharged(r, f, &comments), "comment"));
        break;
      case 14: {
        ASSIGN_OR_RETURN(p.default_sample_type, f.Int64());
        break;
      }
      default:
        break;  // unknown fields (e.g. doc_url) are skipped
    }
  }
  RETURN_IF_ERROR(r.status());
  p.comment.assign(comments.begin(), comments.end());
  RETURN_IF_ERROR(Validator(p).Run());
  return p;
}

Result<Profile> DecodeMaybeGzip(std::string_view bytes, const DecodeLimits& limits) {
  if (bytes.size() >= 2 && static_cast<uint8_t>(bytes[0]) == 0x1f &&
      static_cast<uint8_t>(bytes[1]) == 0x8b) {
    auto raw = compress::GzipDecompress(bytes, limits.max_uncompressed);
    if (!raw.ok()) return raw.status().Annotate("gzip");
    return Decode(*raw, limits);
  }
  return Decode(bytes, limits);
}

}  // namespace quartet::pprof
