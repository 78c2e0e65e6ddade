#include "server/store/annotations/annotation_record.h"

#include "base/crc32c.h"

namespace quartet::store::annotation_log {
namespace {

void PutFixed32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutFixed64(std::string* out, int64_t v) {
  auto u = static_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(u >> (8 * i)));
}
void PutString(std::string* out, std::string_view s) {
  PutFixed32(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

uint32_t Fixed32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{u[0]} | uint32_t{u[1]} << 8 | uint32_t{u[2]} << 16 | uint32_t{u[3]} << 24;
}

// Reads the fields of a payload front to back; any overrun makes it fail.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool I64(int64_t* v) {
    if (data_.size() < 8) return false;
    uint64_t u = 0;
    for (int i = 7; i >= 0; --i) u = (u << 8) | static_cast<unsigned char>(data_[i]);
    *v = static_cast<int64_t>(u);
    data_.remove_prefix(8);
    return true;
  }
  bool U32(uint32_t* v) {
    if (data_.size() < 4) return false;
    *v = Fixed32(data_.data());
    data_.remove_prefix(4);
    return true;
  }
  bool String(std::string* s) {
    uint32_t n = 0;
    if (!U32(&n) || data_.size() < n) return false;
    s->assign(data_.substr(0, n));
    data_.remove_prefix(n);
    return true;
  }
  bool done() const { return data_.empty(); }

 private:
  std::string_view data_;
};

void PutAnnotation(std::string* out, const Annotation& a) {
  for (int64_t v :
       {a.id, a.time_ms, a.time_end_ms, a.dashboard_id, a.panel_id, a.created_ms, a.updated_ms}) {
    PutFixed64(out, v);
  }
  PutString(out, a.text);
  PutString(out, a.dashboard_uid);
  PutString(out, a.data_json);
  PutFixed32(out, static_cast<uint32_t>(a.tags.size()));
  for (const std::string& tag : a.tags) PutString(out, tag);
}

bool ReadAnnotation(Reader* r, Annotation* a) {
  for (int64_t* v : {&a->id, &a->time_ms, &a->time_end_ms, &a->dashboard_id, &a->panel_id,
                     &a->created_ms, &a->updated_ms}) {
    if (!r->I64(v)) return false;
  }
  uint32_t tags = 0;
  if (!r->String(&a->text) || !r->String(&a->dashboard_uid) || !r->String(&a->data_json) ||
      !r->U32(&tags)) {
    return false;
  }
  a->tags.clear();
  for (uint32_t i = 0; i < tags; ++i) {
    std::string tag;
    if (!r->String(&tag)) return false;
    a->tags.push_back(std::move(tag));
  }
  return true;
}

}  // namespace

std::string Encode(const Record& record) {
  std::string body(1, static_cast<char>(record.type));
  if (record.type == RecordType::kPut) {
    PutAnnotation(&body, record.annotation);
  } else {
    PutFixed64(&body, record.id);
  }
  std::string out;
  out.reserve(kHeaderSize - 1 + body.size());
  PutFixed32(&out, crc32c::Mask(crc32c::Value(body)));
  PutFixed32(&out, static_cast<uint32_t>(body.size() - 1));
  out += body;
  return out;
}

ReadResult ReadRecord(std::string_view data, Record* record) {
  if (data.size() < kHeaderSize) {
    return {ReadResult::Kind::kTruncated, 0,
            "record header cut short (" + std::to_string(data.size()) + " of " +
                std::to_string(kHeaderSize) + " bytes)"};
  }
  uint32_t length = Fixed32(data.data() + 4);
  if (length > kMaxPayload) {
    return {ReadResult::Kind::kCorrupt, 0,
            "record length " + std::to_string(length) + " is over the " +
                std::to_string(kMaxPayload) + "-byte limit"};
  }
  size_t size = kHeaderSize + length;
  if (data.size() < size) {
    return {ReadResult::Kind::kTruncated, 0,
            "record cut short (" + std::to_string(data.size()) + " of " + std::to_string(size) +
                " bytes)"};
  }
  std::string_view body = data.substr(8, length + 1);
  if (crc32c::Unmask(Fixed32(data.data())) != crc32c::Value(body)) {
    return {ReadResult::Kind::kCorrupt, size, "checksum mismatch"};
  }
  auto type = static_cast<RecordType>(static_cast<uint8_t>(body[0]));
  Reader r(body.substr(1));
  bool ok = false;
  *record = Record{.type = type};
  switch (type) {
    case RecordType::kPut:
      ok = ReadAnnotation(&r, &record->annotation);
      break;
    case RecordType::kDelete:
    case RecordType::kNextId:
      ok = r.I64(&record->id);
      break;
    default:
      return {ReadResult::Kind::kCorrupt, size,
              "unknown record type " + std::to_string(static_cast<int>(body[0]))};
  }
  if (!ok || !r.done()) {
    return {ReadResult::Kind::kCorrupt, size, "record payload does not match its type"};
  }
  return {ReadResult::Kind::kOk, size, ""};
}

}  // namespace quartet::store::annotation_log
