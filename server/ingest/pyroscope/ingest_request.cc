#include "server/ingest/pyroscope/ingest_request.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <map>

#include "wire/json/json_parser.h"
#include "wire/json/json_value.h"
#include "wire/pprof/builder.h"

namespace quartet::ingest {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

// Type suffixes of Pyroscope app names ("<app>.<suffix>"), including the
// SDK's own (memory, threads).
constexpr std::array<std::string_view, 18> kSuffixes = {"cpu",
                                                        "itimer",
                                                        "wall",
                                                        "alloc_objects",
                                                        "alloc_space",
                                                        "inuse_objects",
                                                        "inuse_space",
                                                        "goroutines",
                                                        "goroutine",
                                                        "mutex_count",
                                                        "mutex_duration",
                                                        "block_count",
                                                        "block_duration",
                                                        "memory",
                                                        "threads",
                                                        "heap",
                                                        "objects",
                                                        "space"};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

Status Bad(std::string message) { return Status::InvalidArgument(std::move(message)); }

std::string Quote(std::string_view s) {
  std::string out = "'";
  out += s.substr(0, 64);
  if (s.size() > 64) out += "...";
  return out + "'";
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The value of `key=` in a header's ;-separated parameters (quotes removed).
std::string HeaderParam(std::string_view header, std::string_view key) {
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view part = Trim(header.substr(pos, end - pos));
    pos = end + 1;
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos || Lower(Trim(part.substr(0, eq))) != key) continue;
    std::string_view v = Trim(part.substr(eq + 1));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return std::string(v);
  }
  return {};
}

}  // namespace

Result<AppName> ParseAppName(std::string_view name) {
  AppName out;
  std::string_view app = name, tags;
  if (const size_t brace = name.find('{'); brace != std::string_view::npos) {
    if (name.back() != '}') return Bad("name: tags must end with '}': " + Quote(name));
    app = name.substr(0, brace);
    tags = name.substr(brace + 1, name.size() - brace - 2);
  }
  app = Trim(app);
  if (const size_t dot = app.rfind('.'); dot != std::string_view::npos) {
    std::string_view suffix = app.substr(dot + 1);
    if (std::find(kSuffixes.begin(), kSuffixes.end(), suffix) != kSuffixes.end()) {
      out.suffix = suffix;
      app = app.substr(0, dot);
    }
  }
  if (app.empty()) return Bad("name: no application name in " + Quote(name));
  out.app = app;
  while (!tags.empty()) {
    size_t comma = tags.find(',');
    std::string_view tag = Trim(tags.substr(0, comma));
    tags = comma == std::string_view::npos ? std::string_view() : tags.substr(comma + 1);
    if (tag.empty()) continue;
    const size_t eq = tag.find('=');
    if (eq == std::string_view::npos) return Bad("name: tag " + Quote(tag) + " has no '='");
    std::string key(Trim(tag.substr(0, eq)));
    std::string_view value = Trim(tag.substr(eq + 1));
    if (key.empty() || std::isdigit(static_cast<unsigned char>(key[0]))) {
      return Bad("name: bad tag name " + Quote(key));
    }
    for (char& c : key) {
      if (c == '.' || c == '-') c = '_';
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') {
        return Bad("name: bad tag name " + Quote(tag.substr(0, eq)));
      }
    }
    if (key == "__name__") return Bad("name: tag __name__ is reserved");
    if (value.empty()) continue;
    for (const auto& [k, v] : out.tags) {
      if (k == key) return Bad("name: tag " + Quote(key) + " given twice");
    }
    out.tags.emplace_back(std::move(key), std::string(value));
  }
  std::sort(out.tags.begin(), out.tags.end());
  return out;
}

Result<int64_t> ParseUnixTime(std::string_view text, std::string_view param) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 0) {
    return Bad(std::string(param) + ": not a unix time: " + Quote(text));
  }
  // Each bound keeps the product within int64 (seconds up to the year 2255).
  if (v < 9'000'000'000) return v * kSecond;        // seconds
  if (v < 9'000'000'000'000) return v * 1'000'000;  // milliseconds
  if (v < 9'000'000'000'000'000) return v * 1'000;  // microseconds
  return v;                                         // nanoseconds
}

Result<std::vector<MultipartPart>> ParseMultipart(std::string_view content_type,
                                                  std::string_view body) {
  const std::string boundary = HeaderParam(content_type, "boundary");
  if (boundary.empty() || boundary.size() > 200) {
    return Bad("multipart: no usable boundary in Content-Type " + Quote(content_type));
  }
  const std::string delim = "--" + boundary;
  std::vector<MultipartPart> parts;
  size_t pos = body.find(delim);
  if (pos == std::string_view::npos) return Bad("multipart: boundary not found in the body");
  for (;;) {
    pos += delim.size();
    if (body.substr(pos, 2) == "--") return parts;  // closing delimiter
    if (body.substr(pos, 2) != "\r\n") {
      return Bad("multipart: part " + std::to_string(parts.size()) +
                 ": boundary not followed by CRLF");
    }
    pos += 2;
    const size_t headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos) {
      return Bad("multipart: part " + std::to_string(parts.size()) + ": headers never end");
    }
    MultipartPart part;
    std::string_view headers = body.substr(pos, headers_end - pos);
    while (!headers.empty()) {
      size_t eol = headers.find("\r\n");
      std::string_view line = headers.substr(0, eol);
      headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + 2);
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      if (Lower(Trim(line.substr(0, colon))) != "content-disposition") continue;
      std::string_view value = line.substr(colon + 1);
      part.name = HeaderParam(value, "name");
      part.filename = HeaderParam(value, "filename");
    }
    const size_t content = headers_end + 4;
    const size_t next = body.find("\r\n" + delim, content);
    if (next == std::string_view::npos) {
      return Bad("multipart: part " + Quote(part.name) + " is not closed by the boundary " +
                 "(truncated body?)");
    }
    if (part.name.empty()) {
      return Bad("multipart: part " + std::to_string(parts.size()) +
                 " has no Content-Disposition name");
    }
    part.body = body.substr(content, next - content);
    parts.push_back(std::move(part));
    pos = next + 2;
  }
}

Result<pprof::Profile> ParseFolded(std::string_view body, const FoldedOptions& o) {
  pprof::ProfileBuilder b;
  const int64_t rate = o.sample_rate_hz > 0 ? o.sample_rate_hz : 100;
  const int64_t period = kSecond / rate;
  bool cpu = false;
  if (o.units.empty() || o.units == "samples") {
    b.AddSampleType("samples", "count");
    b.AddSampleType("cpu", "nanoseconds");
    b.SetPeriod("cpu", "nanoseconds", period);
    cpu = true;
  } else {
    static const std::map<std::string, std::pair<const char*, const char*>, std::less<>> kUnits = {
        {"objects", {"objects", "count"}},
        {"bytes", {"space", "bytes"}},
        {"goroutines", {"goroutine", "count"}},
        {"lock_samples", {"contentions", "count"}},
        {"lock_nanoseconds", {"delay", "nanoseconds"}}};
    auto it = kUnits.find(o.units);
    if (it == kUnits.end()) {
      return Bad("units: unsupported " + Quote(o.units) +
                 " (samples, objects, bytes, goroutines, lock_samples, lock_nanoseconds)");
    }
    b.AddSampleType(it->second.first, it->second.second);
    b.SetPeriod(it->second.first, it->second.second, 1);
  }
  std::vector<uint64_t> locs;
  size_t line_no = 0, samples = 0;
  while (!body.empty()) {
    const size_t eol = body.find('\n');
    std::string_view line = Trim(body.substr(0, eol));
    body = eol == std::string_view::npos ? std::string_view() : body.substr(eol + 1);
    ++line_no;
    if (line.empty()) continue;
    if (line_no > o.max_lines)
      return Bad("folded: more than " + std::to_string(o.max_lines) + " lines");
    std::string_view stack = line;
    int64_t count = 1;
    if (!o.lines) {
      const size_t space = line.rfind(' ');
      if (space == std::string_view::npos) {
        return Bad("folded: line " + std::to_string(line_no) +
                   ": no count after the stack: " + Quote(line));
      }
      std::string_view n = line.substr(space + 1);
      auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), count);
      if (ec != std::errc() || end != n.data() + n.size() || count < 0 ||
          count > INT64_MAX / period) {
        return Bad("folded: line " + std::to_string(line_no) + ": bad count " + Quote(n));
      }
      stack = Trim(line.substr(0, space));
    }
    if (count == 0) continue;
    if (stack.empty()) return Bad("folded: line " + std::to_string(line_no) + ": empty stack");
    locs.clear();
    while (!stack.empty()) {
      const size_t semi = stack.find(';');
      std::string_view frame = stack.substr(0, semi);
      stack = semi == std::string_view::npos ? std::string_view() : stack.substr(semi + 1);
      locs.push_back(b.LocationForFunction(b.Function(frame, frame, "")));
    }
    std::reverse(locs.begin(), locs.end());  // pprof: leaf first
    if (cpu) {
      const int64_t values[] = {count, count * period};
      b.AddSample(locs, values);
    } else {
      const int64_t values[] = {count};
      b.AddSample(locs, values);
    }
    ++samples;
  }
  if (samples == 0) return Bad("folded: no stacks in the body");
  return b.Release();
}

Status ApplySampleTypeConfig(std::string_view text, pprof::Profile* p) {
  Result<json::Value> doc = json::Parse(text);
  if (!doc.ok()) return Bad("sample_type_config: " + std::string(doc.status().message()));
  if (!doc->is_object()) return Bad("sample_type_config: not a JSON object");
  for (pprof::ValueType& vt : p->sample_type) {
    const json::Value* config = doc->Find(p->StringAt(vt.type));
    if (config == nullptr) continue;
    if (!config->is_object()) {
      return Bad("sample_type_config: " + Quote(p->StringAt(vt.type)) + " is not an object");
    }
    auto set = [&](const char* key, int64_t* index) -> Status {
      const json::Value* v = config->Find(key);
      if (v == nullptr || v->is_null()) return Status::Ok();
      if (!v->is_string() || v->string_value().empty()) {
        return Bad(std::string("sample_type_config: ") + key + " must be a non-empty string");
      }
      *index = static_cast<int64_t>(p->string_table.size());
      p->string_table.push_back(v->string_value());
      return Status::Ok();
    };
    int64_t type = vt.type, unit = vt.unit;
    RETURN_IF_ERROR(set("display-name", &type));
    RETURN_IF_ERROR(set("units", &unit));
    vt = pprof::ValueType{type, unit};
  }
  return Status::Ok();
}

std::string ProfileName(std::string_view suffix, const pprof::Profile& p) {
  bool cpu = false, wall = false, memory = false, lock = false, goroutine = false;
  for (const pprof::ValueType& vt : p.sample_type) {
    std::string_view t = p.StringAt(vt.type);
    cpu |= t == "cpu";
    wall |= t == "wall";
    memory |= StartsWith(t, "alloc_") || StartsWith(t, "inuse_") || t == "objects" || t == "space";
    lock |= t == "contentions" || t == "delay";
    goroutine |= t == "goroutine" || t == "goroutines";
  }
  if (wall) return "wall";
  if (cpu) return "process_cpu";
  if (memory) return "memory";
  if (lock) return StartsWith(suffix, "block") ? "block" : "mutex";
  if (goroutine) return "goroutine";
  if (suffix == "cpu" || suffix == "itimer") return "process_cpu";
  if (StartsWith(suffix, "alloc_") || StartsWith(suffix, "inuse_") || suffix == "heap") {
    return "memory";
  }
  if (suffix == "goroutines") return "goroutine";
  if (!suffix.empty()) return std::string(suffix);
  if (p.StringAt(p.period_type.type) == "cpu") return "process_cpu";
  return p.sample_type.empty() ? "unknown" : std::string(p.StringAt(p.sample_type[0].type));
}

Result<IngestUpload> ParseIngestRequest(const server::HttpRequest& request,
                                        const IngestLimits& limits, int64_t now_ns) {
  const std::string format = Lower(request.Param("format").value_or(""));
  std::string_view content_type = request.Header("content-type");
  std::string_view body = request.body;
  std::string_view type_config;
  if (StartsWith(Lower(content_type), "multipart/form-data")) {
    ASSIGN_OR_RETURN(std::vector<MultipartPart> parts, ParseMultipart(content_type, body));
    bool found = false;
    for (const MultipartPart& part : parts) {
      if (part.name == "profile") body = part.body, found = true;
      if (part.name == "sample_type_config") type_config = part.body;
    }
    if (!found) return Bad("multipart: no 'profile' part");
  }
  if (body.empty()) return Bad("empty body: no profile");

  IngestUpload up;
  std::optional<std::string> name_param = request.Param("name");
  AppName name;
  if (name_param.has_value() && !name_param->empty()) {
    ASSIGN_OR_RETURN(name, ParseAppName(*name_param));
  } else {
    std::optional<std::string> service = request.Param("service_name");
    if (!service.has_value() || service->empty()) {
      return Bad("name: missing (give name=<app>.<type>{tags} or service_name=<app>)");
    }
    name.app = *service;
  }

  if (format.empty() || format == "pprof") {
    pprof::DecodeLimits dl;
    dl.max_uncompressed = limits.max_body_bytes;
    dl.budget_per_input_byte = limits.budget_per_input_byte;
    Result<pprof::Profile> p = pprof::DecodeMaybeGzip(body, dl);
    if (!p.ok()) {
      const bool gz = body.size() >= 2 && static_cast<uint8_t>(body[0]) == 0x1f &&
                      static_cast<uint8_t>(body[1]) == 0x8b;
      return Bad(std::string(gz ? "gzipped pprof: " : "pprof: ") +
                 std::string(p.status().message()));
    }
    up.profile = std::move(*p);
    if (!type_config.empty()) RETURN_IF_ERROR(ApplySampleTypeConfig(type_config, &up.profile));
  } else if (format == "folded" || format == "collapsed" || format == "lines") {
    FoldedOptions fo;
    fo.lines = format == "lines";
    fo.units = request.Param("units").value_or("samples");
    if (std::optional<std::string> rate = request.Param("sampleRate"); rate && !rate->empty()) {
      auto [end, ec] =
          std::from_chars(rate->data(), rate->data() + rate->size(), fo.sample_rate_hz);
      if (ec != std::errc() || end != rate->data() + rate->size() || fo.sample_rate_hz <= 0 ||
          fo.sample_rate_hz > 1'000'000'000) {
        return Bad("sampleRate: not a positive integer: " + Quote(*rate));
      }
    }
    if (std::optional<std::string> agg = request.Param("aggregationType");
        agg && !agg->empty() && *agg != "sum" && *agg != "average") {
      return Bad("aggregationType: must be sum or average, not " + Quote(*agg));
    }
    ASSIGN_OR_RETURN(up.profile, ParseFolded(body, fo));
  } else {
    return Bad("format: unsupported " + Quote(format) + " (pprof, folded, collapsed, lines)");
  }
  if (up.profile.sample_type.empty()) return Bad("pprof: the profile has no sample_type");

  // Time: the profile's own time when it has one, else from/until.
  int64_t until = now_ns, from = 0;
  if (std::optional<std::string> u = request.Param("until"); u && !u->empty()) {
    ASSIGN_OR_RETURN(until, ParseUnixTime(*u, "until"));
  }
  if (std::optional<std::string> f = request.Param("from"); f && !f->empty()) {
    ASSIGN_OR_RETURN(from, ParseUnixTime(*f, "from"));
  } else {
    from = until - (up.profile.duration_nanos > 0 ? up.profile.duration_nanos : 10 * kSecond);
  }
  if (until < from) return Bad("until is before from");
  const int64_t t = up.profile.time_nanos;
  if (t > 0 && t <= now_ns + 3600 * kSecond) {
    const int64_t d = up.profile.duration_nanos > 0 ? up.profile.duration_nanos : until - from;
    from = t;
    until = t + d;
  }
  up.from_ns = from;
  up.until_ns = until;

  up.labels = name.tags;
  up.labels.emplace_back("__name__", ProfileName(name.suffix, up.profile));
  bool has_service = false;
  for (const auto& [k, v] : name.tags) has_service |= k == "service_name";
  if (!has_service) up.labels.emplace_back("service_name", name.app);
  if (std::optional<std::string> spy = request.Param("spyName"); spy && !spy->empty()) {
    bool tagged = false;
    for (const auto& [k, v] : name.tags) tagged |= k == "pyroscope_spy";
    if (!tagged) up.labels.emplace_back("pyroscope_spy", *spy);
  }
  std::sort(up.labels.begin(), up.labels.end());
  return up;
}

}  // namespace quartet::ingest
