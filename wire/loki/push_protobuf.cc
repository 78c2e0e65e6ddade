// DecodePushProtobuf / EncodePushProtobuf over wire/protobuf's Reader and
// Writer. Schema (grafana/loki pkg/push/push.proto):
//   PushRequest   { repeated StreamAdapter streams = 1; }
//   StreamAdapter { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3; }
//   EntryAdapter  { google.protobuf.Timestamp timestamp = 1; string line = 2;
//                   repeated LabelPairAdapter structuredMetadata = 3; }
//   LabelPairAdapter { string name = 1; string value = 2; }
//   Timestamp     { int64 seconds = 1; int32 nanos = 2; }
#include <cstdint>
#include <limits>

#include "wire/loki/push.h"
#include "wire/protobuf/reader.h"
#include "wire/protobuf/writer.h"

namespace quartet::loki {
namespace {

using protobuf::Field;
using protobuf::Reader;
using protobuf::WireType;

constexpr int64_t kNanosPerSecond = 1'000'000'000;

// Each decoded struct costs far more memory than its smallest encoding (an
// empty EntryAdapter is 2 bytes, an Entry 64; a realistic entry is ~4x its encoding): the budget
// bounds what hostile input can make us allocate to a multiple of its own size.
constexpr int64_t kBudgetPerInputByte = 16;
constexpr int64_t kBudgetBase = 1 << 20;

// Where a field sits, as a path string built only when reporting an error, so
// that the success path allocates nothing for it.
struct Where {
  size_t stream = 0;
  size_t entry = SIZE_MAX;
  size_t metadata = SIZE_MAX;

  std::string Path(std::string_view leaf = {}) const {
    std::string p = "streams[" + std::to_string(stream) + "]";
    if (entry != SIZE_MAX) p += ".entries[" + std::to_string(entry) + "]";
    if (metadata != SIZE_MAX) p += ".structuredMetadata[" + std::to_string(metadata) + "]";
    if (!leaf.empty()) p.append(".").append(leaf);
    return p;
  }
  Status Error(std::string_view leaf, const Status& cause) const {
    return cause.Annotate(Path(leaf));
  }
  Status OverBudget() const {
    return Status::ResourceExhausted(Path() +
                                     ": push request decodes to too many streams or entries "
                                     "for its size");
  }
};

Result<std::string_view> GetBytes(const Field& f, const Where& where, std::string_view leaf) {
  Result<std::string_view> b = f.Bytes();
  if (!b.ok()) return where.Error(leaf, b.status());
  return b;
}

Status DecodeTimestamp(const Reader& parent, const Field& f, const Where& where, int64_t* out) {
  Result<Reader> r = parent.Message(f);
  if (!r.ok()) return where.Error("timestamp", r.status());
  int64_t seconds = 0;
  int32_t nanos = 0;
  Field g;
  while (r->Next(&g)) {
    if (g.number == 1) {
      Result<int64_t> v = g.Int64();
      if (!v.ok()) return where.Error("timestamp.seconds", v.status());
      seconds = *v;
    } else if (g.number == 2) {
      Result<int32_t> v = g.Int32();
      if (!v.ok()) return where.Error("timestamp.nanos", v.status());
      nanos = *v;
    }
  }
  if (!r->status().ok()) return where.Error("timestamp", r->status());
  if (nanos < 0 || nanos >= kNanosPerSecond) {
    return Status::InvalidArgument(where.Path("timestamp.nanos") +
                                   ": must be in [0, 999999999], got " + std::to_string(nanos));
  }
  if (seconds < 0 || seconds > (std::numeric_limits<int64_t>::max() - nanos) / kNanosPerSecond) {
    return Status::InvalidArgument(where.Path("timestamp.seconds") + ": " +
                                   std::to_string(seconds) +
                                   " is outside the range of int64 unix nanoseconds from 1970");
  }
  *out = seconds * kNanosPerSecond + nanos;
  return Status::Ok();
}

Status DecodeLabelPair(const Reader& parent, const Field& f, const Where& where,
                       std::pair<std::string, std::string>* out) {
  Result<Reader> r = parent.Message(f);
  if (!r.ok()) return where.Error({}, r.status());
  Field g;
  while (r->Next(&g)) {
    if (g.number != 1 && g.number != 2) continue;
    ASSIGN_OR_RETURN(std::string_view b, GetBytes(g, where, g.number == 1 ? "name" : "value"));
    (g.number == 1 ? out->first : out->second).assign(b);
  }
  if (!r->status().ok()) return where.Error({}, r->status());
  return Status::Ok();
}

Status DecodeEntry(const Reader& parent, const Field& f, const Where& where, Entry* out) {
  Result<Reader> r = parent.Message(f);
  if (!r.ok()) return where.Error({}, r.status());
  Field g;
  while (r->Next(&g)) {
    switch (g.number) {
      case 1:
        RETURN_IF_ERROR(DecodeTimestamp(*r, g, where, &out->timestamp_ns));
        break;
      case 2: {
        ASSIGN_OR_RETURN(std::string_view line, GetBytes(g, where, "line"));
        out->line.assign(line);
        break;
      }
      case 3: {
        Where md = where;
        md.metadata = out->structured_metadata.size();
        if (!r->Charge(sizeof(std::pair<std::string, std::string>))) return md.OverBudget();
        RETURN_IF_ERROR(DecodeLabelPair(*r, g, md, &out->structured_metadata.emplace_back()));
        break;
      }
      default:
        break;
    }
  }
  if (!r->status().ok()) return where.Error({}, r->status());
  return Status::Ok();
}

Status DecodeStream(const Reader& parent, const Field& f, const Where& where, Stream* out) {
  Result<Reader> r = parent.Message(f);
  if (!r.ok()) return where.Error({}, r.status());
  bool have_labels = false;
  Field g;
  while (r->Next(&g)) {
    if (g.number == 1) {
      ASSIGN_OR_RETURN(std::string_view text, GetBytes(g, where, "labels"));
      Result<Labels> labels = ParseLabelSet(text);
      if (!labels.ok()) return where.Error("labels", labels.status());
      out->labels = std::move(labels).value();
      have_labels = true;
    } else if (g.number == 2) {
      Where entry = where;
      entry.entry = out->entries.size();
      if (!r->Charge(sizeof(Entry))) return entry.OverBudget();
      RETURN_IF_ERROR(DecodeEntry(*r, g, entry, &out->entries.emplace_back()));
    }
  }
  if (!r->status().ok()) return where.Error({}, r->status());
  if (!have_labels) return Status::InvalidArgument(where.Path("labels") + ": missing");
  return Status::Ok();
}

}  // namespace

Result<PushRequest> DecodePushProtobuf(std::string_view body) {
  int64_t budget = kBudgetBase + kBudgetPerInputByte * static_cast<int64_t>(body.size());
  Reader r(body);
  r.set_budget(&budget);
  PushRequest push;
  Field f;
  while (r.Next(&f)) {
    if (f.number != 1) continue;
    Where where{.stream = push.streams.size()};
    if (!r.Charge(sizeof(Stream))) return where.OverBudget();
    RETURN_IF_ERROR(DecodeStream(r, f, where, &push.streams.emplace_back()));
  }
  if (!r.status().ok()) return r.status().Annotate("push request");
  return push;
}

std::string EncodePushProtobuf(const PushRequest& push) {
  protobuf::Writer w;
  for (const Stream& stream : push.streams) {
    auto s = w.BeginMessage(1);
    w.String(1, FormatLabelSet(stream.labels));
    for (const Entry& entry : stream.entries) {
      auto e = w.BeginMessage(2);
      auto t = w.BeginMessage(1);
      // Floor division keeps nanos in [0, 1e9) for pre-1970 times too.
      int64_t seconds = entry.timestamp_ns / kNanosPerSecond;
      int64_t nanos = entry.timestamp_ns % kNanosPerSecond;
      if (nanos < 0) {
        nanos += kNanosPerSecond;
        --seconds;
      }
      if (seconds != 0) w.Int64(1, seconds);
      if (nanos != 0) w.Int32(2, static_cast<int32_t>(nanos));
      w.EndMessage(t);
      if (!entry.line.empty()) w.String(2, entry.line);
      for (const auto& [name, value] : entry.structured_metadata) {
        auto m = w.BeginMessage(3);
        w.String(1, name);
        w.String(2, value);
        w.EndMessage(m);
      }
      w.EndMessage(e);
    }
    w.EndMessage(s);
  }
  return w.Release();
}

}  // namespace quartet::loki
