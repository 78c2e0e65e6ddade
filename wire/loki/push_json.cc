// DecodePushJson / EncodePushJson. The decoder walks the body once with a
// JsonCursor (json_cursor.h): no JSON DOM, strings without escapes are read
// in place, the others are unescaped into a scratch buffer, and each line is
// copied once into its Entry. It accepts exactly the documents json::Parse
// accepts (same grammar, limits and syntax messages, same U+FFFD repairs) and
// reports schema errors with the
// same precedence as a decoder over the DOM would: any syntax error wins, then
// the first stream in order with a problem; duplicate keys: the last wins.
// To keep that precedence while streaming, a schema error is remembered and
// the rest of the document is only checked for syntax.
#include <charconv>
#include <cstdint>

#include "wire/json/json_cursor.h"
#include "wire/json/json_parser.h"
#include "wire/json/json_writer.h"
#include "wire/loki/push.h"

namespace quartet::loki {
namespace {

using json::JsonCursor;
using json::JsonScratch;

// json::Parse's defaults: the push body is held to the same limits.
constexpr json::ParseOptions kJsonLimits{};

std::string Quoted(std::string_view s, size_t max = 64) {
  std::string out;
  json::AppendString(&out, s.substr(0, max));
  if (s.size() > max) out.insert(out.size() - 1, "...");
  return out;
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

class Decoder {
 public:
  explicit Decoder(std::string_view body) : json_(body) {}

  Result<PushRequest> Decode() {
    PushRequest push;
    Status schema;
    bool has_streams = false;
    std::string_view not_an_object;  // the top-level value's type when it is not an object
    json_.SkipSpace();
    bool ok;
    if (json_.At('{')) {
      ok = json_.Object(1, [&](std::string_view key) {
        if (key != "streams") return json_.SkipValue(2);
        has_streams = true;
        push.streams.clear();
        schema = Status::Ok();
        return DecodeStreams(&push, &schema);
      });
    } else {
      not_an_object = json_.TypeAt();
      ok = json_.SkipValue(1);
    }
    if (ok) {
      json_.SkipSpace();
      if (!json_.AtEnd()) ok = json_.Fail("expected end of input after the top-level value");
    }
    if (!ok) return json_.error();
    if (!not_an_object.empty()) {
      return Status::InvalidArgument("push body must be a JSON object, got " +
                                     std::string(not_an_object));
    }
    if (!has_streams) return Status::InvalidArgument("streams: must be an array, got nothing");
    if (!schema.ok()) return schema;
    return push;
  }

 private:
  // A label or metadata value: strings as they are, numbers as their source
  // text and booleans as true/false (pino-loki sends `"level":30`). Other
  // values set *error (when none is set yet) and are skipped.
  bool ScalarText(std::string* out, const Where& where, int depth, Status* error) {
    if (json_.AtEnd()) return json_.Fail("expected a value");
    std::string_view text;
    switch (json_.Peek()) {
      case '"':
        if (!json_.String(&text, &value_scratch_)) return false;
        out->assign(text);
        return true;
      case 't':
        *out = "true";
        return json_.Literal("true");
      case 'f':
        *out = "false";
        return json_.Literal("false");
      case 'n':
      case '{':
      case '[': {
        const std::string_view type = json_.TypeAt();
        if (!json_.SkipValue(depth)) return false;
        if (error->ok()) *error = where.Error("value must be a string, got " + std::string(type));
        return true;
      }
      default:
        if (json_.AtNumber()) {
          bool integer;
          if (!json_.Number(&text, &integer)) return false;
          out->assign(text);
          return true;
        }
        return json_.Fail("expected a value");
    }
  }

  // At the value of "streams" (level 2).
  bool DecodeStreams(PushRequest* push, Status* error) {
    if (!json_.At('[')) {
      const std::string_view type = json_.TypeAt();
      if (!json_.SkipValue(2)) return false;
      *error = Status::InvalidArgument("streams: must be an array, got " + std::string(type));
      return true;
    }
    return json_.Array(2, [&](size_t i) {
      if (!error->ok()) return json_.SkipValue(3);
      return DecodeStream(i, &push->streams.emplace_back(), error);
    });
  }

  bool DecodeStream(size_t index, Stream* out, Status* error) {
    const Where where{.stream = index};
    if (!json_.At('{')) {
      const std::string_view type = json_.TypeAt();
      if (!json_.SkipValue(3)) return false;
      *error = where.Error("must be an object, got " + std::string(type));
      return true;
    }
    bool has_labels = false;
    Status labels_error, values_error;
    const bool ok = json_.Object(3, [&](std::string_view key) {
      if (key == "stream") {
        has_labels = true;
        out->labels.clear();
        labels_error = Status::Ok();
        return DecodeLabels(Where{.stream = index, .field = "stream"}, &out->labels, &labels_error);
      }
      if (key == "values") {
        out->entries.clear();
        values_error = Status::Ok();
        return DecodeValues(Where{.stream = index, .field = "values"}, &out->entries,
                            &values_error);
      }
      return json_.SkipValue(4);
    });
    if (!ok) return false;
    if (!has_labels) {
      *error = where.Error("missing \"stream\" (the labels object)");
    } else if (!labels_error.ok()) {
      *error = std::move(labels_error);
    } else if (!values_error.ok()) {
      *error = std::move(values_error);
    }
    return true;
  }

  bool DecodeLabels(const Where& where, Labels* out, Status* error) {
    if (!json_.At('{')) {
      const std::string_view type = json_.TypeAt();
      if (!json_.SkipValue(4)) return false;
      *error = where.Error("must be an object of labels, got " + std::string(type));
      return true;
    }
    const bool ok = json_.Object(4, [&](std::string_view key) {
      if (!error->ok()) return json_.SkipValue(5);
      if (!IsValidLabelName(key)) {
        *error = where.Error("invalid label name " + Quoted(key) +
                             " (must match [a-zA-Z_][a-zA-Z0-9_]*)");
        return json_.SkipValue(5);
      }
      auto& [name, value] = out->emplace_back(std::string(key), std::string());
      return ScalarText(&value, where.Key(name), 5, error);
    });
    if (!ok) return false;
    if (error->ok()) {
      Status sorted = SortLabels(out);
      if (!sorted.ok()) *error = where.Error(sorted.message());
    }
    return true;
  }

  bool DecodeValues(Where where, std::vector<Entry>* out, Status* error) {
    if (json_.At('n')) return json_.Literal("null");
    if (!json_.At('[')) {
      const std::string_view type = json_.TypeAt();
      if (!json_.SkipValue(4)) return false;
      *error = where.Error("must be an array, got " + std::string(type));
      return true;
    }
    return json_.Array(4, [&](size_t i) {
      if (!error->ok()) return json_.SkipValue(5);
      where.value = i;
      return DecodeEntry(where, &out->emplace_back(), error);
    });
  }

  bool DecodeEntry(const Where& where, Entry* out, Status* error) {
    static constexpr std::string_view kShape =
        "must be [timestamp, line] or [timestamp, line, {metadata}], got ";
    if (!json_.At('[')) {
      const std::string_view type = json_.TypeAt();
      if (!json_.SkipValue(5)) return false;
      *error = where.Error(std::string(kShape) + std::string(type));
      return true;
    }
    size_t count = 0;
    Status item_error;  // the first item's problem; the item count is checked first
    const bool ok = json_.Array(5, [&](size_t i) {
      count = i + 1;
      if (!item_error.ok() || i >= 3) return json_.SkipValue(6);
      if (i == 0) return DecodeTimestamp(where.Item(0), &out->timestamp_ns, &item_error);
      if (i == 1) return DecodeLine(where.Item(1), &out->line, &item_error);
      return DecodeMetadata(where.Item(2), &out->structured_metadata, &item_error);
    });
    if (!ok) return false;
    if (count < 2 || count > 3) {
      *error = where.Error(std::string(kShape) + "an array of " + std::to_string(count));
    } else if (!item_error.ok()) {
      *error = std::move(item_error);
    }
    return true;
  }

  bool DecodeTimestamp(const Where& where, int64_t* out, Status* error) {
    static constexpr std::string_view kWant = "timestamp must be a decimal string of nanoseconds";
    if (json_.AtNumber()) {
      std::string_view text;
      bool integer;
      if (!json_.Number(&text, &integer)) return false;
      int64_t v = -1;
      if (integer) {
        auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc() || ptr != text.data() + text.size()) v = -1;
      }
      if (v < 0) {
        *error = where.Error(std::string(kWant) + ", got the number " + std::string(text));
      } else {
        *out = v;
      }
      return true;
    }
    if (!json_.At('"')) {
      const std::string_view type = json_.TypeAt();
      if (!json_.SkipValue(6)) return false;
      *error = where.Error(std::string(kWant) + ", got " + std::string(type));
      return true;
    }
    std::string_view s;
    if (!json_.String(&s, &value_scratch_)) return false;
    const char* end = s.data() + s.size();
    int64_t ns = 0;
    auto [ptr, ec] = std::from_chars(s.data(), end, ns);
    const bool digits_only = !s.empty() && s[0] != '-';
    if (!digits_only || ec != std::errc() || ptr != end) {
      const std::string why = ec == std::errc::result_out_of_range ? " (out of range)" : "";
      *error = where.Error(std::string(kWant) + why + ", got " + Quoted(s));
    } else {
      *out = ns;
    }
    return true;
  }

  bool DecodeLine(const Where& where, std::string* out, Status* error) {
    if (!json_.At('"')) {
      const std::string_view type = json_.TypeAt();
      if (!json_.SkipValue(6)) return false;
      *error = where.Error("log line must be a string, got " + std::string(type));
      return true;
    }
    std::string_view line;
    if (!json_.String(&line, &value_scratch_)) return false;
    out->assign(line);
    return true;
  }

  bool DecodeMetadata(const Where& where, std::vector<std::pair<std::string, std::string>>* out,
                      Status* error) {
    if (json_.At('n')) return json_.Literal("null");
    if (!json_.At('{')) {
      const std::string_view type = json_.TypeAt();
      if (!json_.SkipValue(6)) return false;
      *error = where.Error("structured metadata must be an object, got " + std::string(type));
      return true;
    }
    return json_.Object(6, [&](std::string_view key) {
      if (!error->ok()) return json_.SkipValue(7);
      auto& [name, value] = out->emplace_back(std::string(key), std::string());
      return ScalarText(&value, where.Key(name), 7, error);
    });
  }

  JsonCursor json_;
  // Strings with escapes (a value is copied out before the next is read).
  JsonScratch value_scratch_;
};

}  // namespace

Result<PushRequest> DecodePushJson(std::string_view body) {
  if (body.size() > kJsonLimits.max_bytes) {
    return Status::ResourceExhausted("json: document is " + std::to_string(body.size()) +
                                     " bytes, limit is " + std::to_string(kJsonLimits.max_bytes));
  }
  return Decoder(body).Decode();
}

std::string EncodePushJson(const PushRequest& push) {
  std::string out = "{\"streams\":[";
  for (size_t s = 0; s < push.streams.size(); ++s) {
    const Stream& stream = push.streams[s];
    if (s > 0) out += ',';
    out += "{\"stream\":{";
    for (size_t i = 0; i < stream.labels.size(); ++i) {
      if (i > 0) out += ',';
      json::AppendString(&out, stream.labels[i].first);
      out += ':';
      json::AppendString(&out, stream.labels[i].second);
    }
    out += "},\"values\":[";
    for (size_t e = 0; e < stream.entries.size(); ++e) {
      const Entry& entry = stream.entries[e];
      if (e > 0) out += ',';
      out += "[\"";
      json::AppendInt(&out, entry.timestamp_ns);
      out += "\",";
      json::AppendString(&out, entry.line);
      if (!entry.structured_metadata.empty()) {
        out += ",{";
        for (size_t i = 0; i < entry.structured_metadata.size(); ++i) {
          if (i > 0) out += ',';
          json::AppendString(&out, entry.structured_metadata[i].first);
          out += ':';
          json::AppendString(&out, entry.structured_metadata[i].second);
        }
        out += '}';
      }
      out += ']';
    }
    out += "]}";
  }
  out += "]}";
  return out;
}

}  // namespace quartet::loki
