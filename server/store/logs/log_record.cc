#include "server/store/logs/log_record.h"

#include <cstring>

#include "wire/protobuf/reader.h"
#include "wire/protobuf/writer.h"

namespace quartet::store {
namespace {

void WriteLabels(protobuf::Writer& w, uint32_t field, const Labels& labels) {
  for (const auto& [name, value] : labels) {
    auto mark = w.BeginMessage(field);
    w.String(1, name);
    w.String(2, value);
    w.EndMessage(mark);
  }
}

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

}  // namespace

std::string EncodeLogBatch(const std::vector<LogStream>& streams) {
  protobuf::Writer w;
  for (const LogStream& stream : streams) {
    auto stream_mark = w.BeginMessage(1);
    WriteLabels(w, 1, stream.labels);
    for (const LogEntry& e : stream.entries) {
      auto entry_mark = w.BeginMessage(2);
      w.Int64(1, e.timestamp_ns);
      w.Bytes(2, e.line);
      WriteLabels(w, 3, e.structured_metadata);
      if (e.trace_id.valid()) w.Bytes(4, e.trace_id.bytes.data(), e.trace_id.bytes.size());
      if (e.span_id.valid()) w.Bytes(5, e.span_id.bytes.data(), e.span_id.bytes.size());
      w.EndMessage(entry_mark);
    }
    w.EndMessage(stream_mark);
  }
  return w.Release();
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
