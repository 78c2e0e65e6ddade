// The Loki JSON push decoder as it was before the streaming one (over
// wire/json's DOM), kept only as an oracle for the differential fuzz check:
// the streaming decoder must accept, reject and decode exactly as this does.
// Header-only so that only the fuzz target and its replay test compile it.
#pragma once

#include <charconv>
#include <cstdint>

#include "wire/json/json_parser.h"
#include "wire/json/json_writer.h"
#include "wire/loki/push.h"

namespace quartet::loki::dom_reference {
namespace {

using json::Value;

std::string Quoted(std::string_view s, size_t max = 64) {
  std::string out;
  json::AppendString(&out, s.substr(0, max));
  if (s.size() > max) out.insert(out.size() - 1, "...");
  return out;
}

std::string TypeName(const Value& v) {
  switch (v.type()) {
    case Value::Type::kNull:
      return "null";
    case Value::Type::kBool:
      return "a boolean";
    case Value::Type::kNumber:
      return "a number";
    case Value::Type::kString:
      return "a string";
    case Value::Type::kArray:
      return "an array";
    case Value::Type::kObject:
      return "an object";
  }
  return "?";
}

// Where a value sits (streams[s].values[v][i].key), rendered only when
// reporting an error so that the success path allocates nothing for it.
struct Where {
  size_t stream = 0;
  std::string_view field;  // "stream" or "values"; empty for the stream itself
  size_t value = SIZE_MAX;
  size_t item = SIZE_MAX;
  std::string_view key;  // label or metadata name

  Status Error(std::string_view what) const {
    std::string p = "streams[" + std::to_string(stream) + "]";
    if (!field.empty()) p.append(".").append(field);
    // append(), not "[" + to_string(): g++ 12 at -O3 warns falsely (-Wrestrict) on the latter.
    if (value != SIZE_MAX) p.append("[").append(std::to_string(value)).append("]");
    if (item != SIZE_MAX) p.append("[").append(std::to_string(item)).append("]");
    if (!key.empty()) p.append(".").append(key);
    return Status::InvalidArgument(p + ": " + std::string(what));
  }
  Where Key(std::string_view k) const {
    Where w = *this;
    w.key = k;
    return w;
  }
  Where Item(size_t i) const {
    Where w = *this;
    w.item = i;
    return w;
  }
};

// A label or metadata value: strings as they are, numbers as their source text
// and booleans as true/false (pino-loki sends `"level":30`).
Status ScalarText(const Value& v, const Where& where, std::string* out) {
  switch (v.type()) {
    case Value::Type::kString:
      *out = v.string_value();
      return Status::Ok();
    case Value::Type::kNumber:
      *out = v.number_text();
      return Status::Ok();
    case Value::Type::kBool:
      *out = v.bool_value() ? "true" : "false";
      return Status::Ok();
    default:
      return where.Error("value must be a string, got " + TypeName(v));
  }
}

Status ParseTimestamp(const Value& v, const Where& where, int64_t* out) {
  static constexpr std::string_view kWant = "timestamp must be a decimal string of nanoseconds";
  if (v.is_number()) {
    std::optional<int64_t> i = v.int_value();
    if (!i.has_value() || *i < 0) {
      return where.Error(std::string(kWant) + ", got the number " + v.number_text());
    }
    *out = *i;
    return Status::Ok();
  }
  if (!v.is_string()) return where.Error(std::string(kWant) + ", got " + TypeName(v));
  const std::string& s = v.string_value();
  const char* end = s.data() + s.size();
  int64_t ns = 0;
  auto [ptr, ec] = std::from_chars(s.data(), end, ns);
  bool digits_only = !s.empty() && s[0] != '-';
  if (!digits_only || ec != std::errc() || ptr != end) {
    std::string why = ec == std::errc::result_out_of_range ? " (out of range)" : "";
    return where.Error(std::string(kWant) + why + ", got " + Quoted(s));
  }
  *out = ns;
  return Status::Ok();
}

Status DecodeLabels(const Value& v, const Where& where, Labels* out) {
  if (!v.is_object()) return where.Error("must be an object of labels, got " + TypeName(v));
  out->reserve(v.members().size());
  for (const json::Member& m : v.members()) {
    if (!IsValidLabelName(m.key)) {
      return where.Error("invalid label name " + Quoted(m.key) +
                         " (must match [a-zA-Z_][a-zA-Z0-9_]*)");
    }
    std::string value;
    RETURN_IF_ERROR(ScalarText(m.value, where.Key(m.key), &value));
    out->emplace_back(m.key, std::move(value));
  }
  Status sorted = SortLabels(out);
  if (!sorted.ok()) return where.Error(sorted.message());
  return Status::Ok();
}

Status DecodeEntry(const Value& v, const Where& where, Entry* out) {
  if (!v.is_array() || v.items().size() < 2 || v.items().size() > 3) {
    return where.Error(
        "must be [timestamp, line] or [timestamp, line, {metadata}], got " +
        (v.is_array() ? "an array of " + std::to_string(v.items().size()) : TypeName(v)));
  }
  const std::vector<Value>& items = v.items();
  RETURN_IF_ERROR(ParseTimestamp(items[0], where.Item(0), &out->timestamp_ns));
  if (!items[1].is_string()) {
    return where.Item(1).Error("log line must be a string, got " + TypeName(items[1]));
  }
  out->line = items[1].string_value();
  if (items.size() == 3 && !items[2].is_null()) {
    const Value& md = items[2];
    if (!md.is_object()) {
      return where.Item(2).Error("structured metadata must be an object, got " + TypeName(md));
    }
    out->structured_metadata.reserve(md.members().size());
    for (const json::Member& m : md.members()) {
      auto& [name, value] = out->structured_metadata.emplace_back();
      name = m.key;
      RETURN_IF_ERROR(ScalarText(m.value, where.Item(2).Key(m.key), &value));
    }
  }
  return Status::Ok();
}

Status DecodeStream(const Value& v, size_t index, Stream* out) {
  Where where{.stream = index};
  if (!v.is_object()) return where.Error("must be an object, got " + TypeName(v));
  const Value* labels = v.Find("stream");
  if (labels == nullptr) return where.Error("missing \"stream\" (the labels object)");
  RETURN_IF_ERROR(DecodeLabels(*labels, Where{.stream = index, .field = "stream"}, &out->labels));
  const Value* values = v.Find("values");
  if (values == nullptr || values->is_null()) return Status::Ok();
  where.field = "values";
  if (!values->is_array()) return where.Error("must be an array, got " + TypeName(*values));
  out->entries.resize(values->items().size());
  for (size_t i = 0; i < values->items().size(); ++i) {
    where.value = i;
    RETURN_IF_ERROR(DecodeEntry(values->items()[i], where, &out->entries[i]));
  }
  return Status::Ok();
}

}  // namespace

inline Result<PushRequest> DecodePushJson(std::string_view body) {
  Result<Value> doc = json::Parse(body);
  if (!doc.ok()) return doc.status();
  if (!doc->is_object()) {
    return Status::InvalidArgument("push body must be a JSON object, got " + TypeName(*doc));
  }
  const Value* streams = doc->Find("streams");
  if (streams == nullptr || !streams->is_array()) {
    return Status::InvalidArgument("streams: must be an array, got " +
                                   (streams == nullptr ? "nothing" : TypeName(*streams)));
  }
  PushRequest push;
  push.streams.resize(streams->items().size());
  for (size_t i = 0; i < streams->items().size(); ++i) {
    RETURN_IF_ERROR(DecodeStream(streams->items()[i], i, &push.streams[i]));
  }
  return push;
}

}  // namespace quartet::loki::dom_reference
