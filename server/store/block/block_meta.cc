#include "server/store/block/block_meta.h"

#include <random>

#include "wire/json/json_parser.h"
#include "wire/json/json_value.h"
#include "wire/json/json_writer.h"

namespace quartet::store {
namespace {

Result<int64_t> GetInt(const json::Value& doc, std::string_view key) {
  const json::Value* v = doc.Find(key);
  if (v == nullptr || !v->is_number() || !v->int_value()) {
    return Status::InvalidArgument("block meta: '" + std::string(key) + "' must be an integer");
  }
  return *v->int_value();
}

}  // namespace

bool IsValidBlockId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string BlockMeta::ToJson() const {
  std::string out = "{\"id\":";
  json::AppendString(&out, id);
  out += ",\"min_time_ns\":";
  json::AppendInt(&out, min_time_ns);
  out += ",\"max_time_ns\":";
  json::AppendInt(&out, max_time_ns);
  out += ",\"rows\":";
  json::AppendUint(&out, rows);
  out += ",\"level\":";
  json::AppendUint(&out, level);
  out += ",\"sources\":[";
  for (size_t i = 0; i < sources.size(); ++i) {
    if (i > 0) out += ',';
    json::AppendString(&out, sources[i]);
  }
  out += "],\"extra\":";
  out += extra_json.empty() ? "{}" : extra_json;
  out += '}';
  return out;
}

Result<BlockMeta> BlockMeta::FromJson(std::string_view text) {
  auto parsed = json::Parse(text);
  if (!parsed.ok()) return parsed.status().Annotate("block meta");
  const json::Value& doc = *parsed;
  if (!doc.is_object()) return Status::InvalidArgument("block meta: not a JSON object");
  BlockMeta m;
  const json::Value* id = doc.Find("id");
  if (id == nullptr || !id->is_string() || !IsValidBlockId(id->string_value())) {
    return Status::InvalidArgument("block meta: 'id' missing or not a valid block id");
  }
  m.id = id->string_value();
  ASSIGN_OR_RETURN(m.min_time_ns, GetInt(doc, "min_time_ns"));
  ASSIGN_OR_RETURN(m.max_time_ns, GetInt(doc, "max_time_ns"));
  ASSIGN_OR_RETURN(int64_t rows, GetInt(doc, "rows"));
  ASSIGN_OR_RETURN(int64_t level, GetInt(doc, "level"));
  if (rows < 0 || level < 0 || level > 1000) {
    return Status::InvalidArgument("block meta: 'rows' or 'level' out of range");
  }
  if (m.min_time_ns > m.max_time_ns) {
    return Status::InvalidArgument("block meta: min_time_ns > max_time_ns");
  }
  m.rows = static_cast<uint64_t>(rows);
  m.level = static_cast<uint32_t>(level);
  if (const json::Value* sources = doc.Find("sources"); sources != nullptr) {
    if (!sources->is_array()) return Status::InvalidArgument("block meta: 'sources' not an array");
    for (const json::Value& s : sources->items()) {
      if (!s.is_string() || !IsValidBlockId(s.string_value())) {
        return Status::InvalidArgument("block meta: bad id in 'sources'");
      }
      m.sources.push_back(s.string_value());
    }
  }
  if (const json::Value* extra = doc.Find("extra"); extra != nullptr) {
    if (!extra->is_object()) return Status::InvalidArgument("block meta: 'extra' not an object");
    m.extra_json = json::Serialize(*extra);
  }
  return m;
}

std::string NewBlockId(int64_t unix_nanos) {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  thread_local std::mt19937_64 rng(std::random_device{}());
  uint64_t ms = static_cast<uint64_t>(unix_nanos < 0 ? 0 : unix_nanos / 1'000'000) &
                ((uint64_t{1} << 48) - 1);
  uint64_t r1 = rng(), r2 = rng();
  std::string id(26, '0');
  for (int i = 9; i >= 0; --i, ms >>= 5) id[static_cast<size_t>(i)] = kAlphabet[ms & 31];
  // 80 random bits: 16 characters of 5 bits.
  for (int i = 0; i < 16; ++i) {
    uint64_t bits = i < 12 ? (r1 >> (5 * i)) : (r2 >> (5 * (i - 12)));
    id[static_cast<size_t>(10 + i)] = kAlphabet[bits & 31];
  }
  return id;
}

}  // namespace quartet::store
