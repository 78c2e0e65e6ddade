#include "server/store/logs/log_record.h"

#include <bit>
#include <cstdlib>
#include <cstring>

#include "wire/protobuf/reader.h"

namespace quartet::store {
namespace {

Status ReadLabel(const protobuf::Reader& parent, const protobuf::Field& field, Labels* out) {
  ASSIGN_OR_RETURN(protobuf::Reader r, parent.Message(field));
  std::pair<std::string, std::string> label;
  protobuf::Field f;
  while (r.Next(&f)) {
    if (f.number == 1 || f.number == 2) {
      ASSIGN_OR_RETURN(std::string_view s, f.Bytes());
      (f.number == 1 ? label.first : label.second) = std::string(s);
    }
  }
  RETURN_IF_ERROR(r.status());
  out->push_back(std::move(label));
  return Status::Ok();
}

template <size_t N>
Status ReadId(const protobuf::Field& f, std::array<uint8_t, N>* out) {
  ASSIGN_OR_RETURN(std::string_view s, f.Bytes());
  if (s.size() != N) return Status::DataLoss("log record id of the wrong length");
  std::memcpy(out->data(), s.data(), N);
  return Status::Ok();
}

Status ReadEntry(const protobuf::Reader& parent, const protobuf::Field& field, LogEntry* e) {
  ASSIGN_OR_RETURN(protobuf::Reader r, parent.Message(field));
  protobuf::Field f;
  while (r.Next(&f)) {
    switch (f.number) {
      case 1:
        e->timestamp_ns = static_cast<int64_t>(f.scalar);
        break;
      case 2: {
        ASSIGN_OR_RETURN(std::string_view s, f.Bytes());
        e->line = std::string(s);
        break;
      }
      case 3:
        RETURN_IF_ERROR(ReadLabel(r, f, &e->structured_metadata));
        break;
      case 4:
        RETURN_IF_ERROR(ReadId(f, &e->trace_id.bytes));
        break;
      case 5:
        RETURN_IF_ERROR(ReadId(f, &e->span_id.bytes));
        break;
      default:
        break;
    }
  }
  return r.status();
}

size_t VarintSize(uint64_t v) { return static_cast<size_t>(std::bit_width(v | 1) + 6) / 7; }

// A length-delimited field's size: tag (fields here are < 16: one byte),
// length varint, body.
size_t FieldSize(size_t body) { return 1 + VarintSize(body) + body; }

size_t LabelSize(const std::pair<std::string, std::string>& label) {
  return FieldSize(label.first.size()) + FieldSize(label.second.size());
}

size_t EntrySize(const LogEntry& e) {
  size_t n = 1 + VarintSize(static_cast<uint64_t>(e.timestamp_ns)) + FieldSize(e.line.size());
  for (const auto& label : e.structured_metadata) n += FieldSize(LabelSize(label));
  if (e.trace_id.valid()) n += FieldSize(e.trace_id.bytes.size());
  if (e.span_id.valid()) n += FieldSize(e.span_id.bytes.size());
  return n;
}

// Writes into a buffer already sized for it (no capacity checks per byte).
class Out {
 public:
  explicit Out(char* p) : p_(p) {}
  char* end() const { return p_; }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      *p_++ = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    *p_++ = static_cast<char>(v);
  }
  void Tag(uint32_t field, uint32_t wire_type) {
    *p_++ = static_cast<char>(field << 3 | wire_type);
  }
  void Bytes(uint32_t field, const void* data, size_t n) {
    Tag(field, 2);
    Varint(n);
    std::memcpy(p_, data, n);
    p_ += n;
  }
  void Bytes(uint32_t field, std::string_view s) { Bytes(field, s.data(), s.size()); }
  void Header(uint32_t field, size_t body) {
    Tag(field, 2);
    Varint(body);
  }
  void Label(uint32_t field, const std::pair<std::string, std::string>& label) {
    Header(field, LabelSize(label));
    Bytes(1, label.first);
    Bytes(2, label.second);
  }

 private:
  char* p_;
};

}  // namespace

void AppendLogBatch(const std::vector<LogStream>& streams, std::string* out) {
  // Pass 1: every stream's body size (entry sizes are recomputed in pass 2;
  // that arithmetic is cheaper than keeping them).
  size_t total = 0;
  std::vector<size_t> stream_sizes;
  stream_sizes.reserve(streams.size());
  for (const LogStream& stream : streams) {
    size_t n = 0;
    for (const auto& label : stream.labels) n += FieldSize(LabelSize(label));
    for (const LogEntry& e : stream.entries) n += FieldSize(EntrySize(e));
    stream_sizes.push_back(n);
    total += FieldSize(n);
  }
  const size_t start = out->size();
  out->resize(start + total);
  Out w(out->data() + start);
  for (size_t s = 0; s < streams.size(); ++s) {
    const LogStream& stream = streams[s];
    w.Header(1, stream_sizes[s]);
    for (const auto& label : stream.labels) w.Label(1, label);
    for (const LogEntry& e : stream.entries) {
      w.Header(2, EntrySize(e));
      w.Tag(1, 0);
      w.Varint(static_cast<uint64_t>(e.timestamp_ns));
      w.Bytes(2, e.line);
      for (const auto& label : e.structured_metadata) w.Label(3, label);
      if (e.trace_id.valid()) w.Bytes(4, e.trace_id.bytes.data(), e.trace_id.bytes.size());
      if (e.span_id.valid()) w.Bytes(5, e.span_id.bytes.data(), e.span_id.bytes.size());
    }
  }
  // The sizes and the bytes come from the same inputs; a mismatch is a bug.
  if (w.end() != out->data() + out->size()) std::abort();
}

std::string EncodeLogBatch(const std::vector<LogStream>& streams) {
  std::string out;
  AppendLogBatch(streams, &out);
  return out;
}

Result<std::vector<LogStream>> DecodeLogBatch(std::string_view bytes) {
  std::vector<LogStream> out;
  protobuf::Reader r(bytes);
  protobuf::Field f;
  while (r.Next(&f)) {
    if (f.number != 1) continue;
    ASSIGN_OR_RETURN(protobuf::Reader sr, r.Message(f));
    LogStream& stream = out.emplace_back();
    protobuf::Field sf;
    while (sr.Next(&sf)) {
      if (sf.number == 1) {
        RETURN_IF_ERROR(ReadLabel(sr, sf, &stream.labels));
      } else if (sf.number == 2) {
        RETURN_IF_ERROR(ReadEntry(sr, sf, &stream.entries.emplace_back()));
      }
    }
    RETURN_IF_ERROR(sr.status());
  }
  RETURN_IF_ERROR(r.status());
  return out;
}

}  // namespace quartet::store
