#include "server/incident/trace_facts.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include "wire/otlp/response.h"

namespace quartet::incident {
namespace {

// Attribute values longer than this are not features: they are payloads,
// not names a person filters by (SQL texts are shorter).
constexpr size_t kMaxValueBytes = 512;
// Critical-path recursion stops here; deeper subtrees count as their root's
// time (untrusted traces may be chains of thousands of spans).
constexpr int kMaxDepth = 128;

struct SpanKey {
  uint64_t v;
  bool operator==(const SpanKey&) const = default;
};
struct SpanKeyHash {
  size_t operator()(const SpanKey& k) const { return k.v * 0x9e3779b97f4a7c15ull; }
};
SpanKey KeyOf(const SpanId& id) {
  SpanKey k;
  std::memcpy(&k.v, id.bytes.data(), sizeof(k.v));
  return k;
}

struct Node {
  const otlp::Span* span;
  const otlp::Resource* resource;
  std::vector<size_t> children;
};

std::string_view ServiceOf(const otlp::Resource& r) {
  const otlp::AnyValue* v = otlp::FindAttribute(r.attributes, "service.name");
  return v != nullptr && v->type == otlp::AnyValue::Type::kString
             ? std::string_view(v->string_value)
             : std::string_view();
}

// Scalar attribute values as text; false for arrays, maps and empties.
bool ValueText(const otlp::AnyValue& v, std::string* out) {
  switch (v.type) {
    case otlp::AnyValue::Type::kString:
      if (v.string_value.size() > kMaxValueBytes) return false;
      *out = v.string_value;
      return true;
    case otlp::AnyValue::Type::kBool:
      *out = v.bool_value ? "true" : "false";
      return true;
    case otlp::AnyValue::Type::kInt:
      *out = std::to_string(v.int_value);
      return true;
    case otlp::AnyValue::Type::kDouble: {
      char buf[32];
      auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v.double_value);
      if (ec != std::errc()) return false;
      out->assign(buf, end);
      return true;
    }
    default:
      return false;
  }
}

std::string StringAttr(const std::vector<otlp::KeyValue>& attrs, std::string_view key) {
  const otlp::AnyValue* v = otlp::FindAttribute(attrs, key);
  std::string s;
  if (v != nullptr && ValueText(*v, &s)) return s;
  return "";
}

int64_t HttpStatus(const otlp::Span& s) {
  for (std::string_view key : {"http.response.status_code", "http.status_code"}) {
    const otlp::AnyValue* v = otlp::FindAttribute(s.attributes, key);
    if (v == nullptr) continue;
    if (v->type == otlp::AnyValue::Type::kInt) return v->int_value;
    if (v->type == otlp::AnyValue::Type::kString) {
      int64_t n = 0;
      auto [p, ec] = std::from_chars(v->string_value.data(),
                                     v->string_value.data() + v->string_value.size(), n);
      if (ec == std::errc()) return n;
    }
  }
  return 0;
}

// Failed, by the span's status or, when an instrumentation left it unset,
// by OpenTelemetry's semantic conventions for the status attributes: HTTP
// >= 500, and >= 400 on a client span (the callee refused the call); gRPC
// codes that mean a server fault, and any non-OK code on a client span.
bool IsError(const otlp::Span& s) {
  if (s.status.code == otlp::SpanStatusCode::kError) return true;
  const bool client = s.kind == otlp::SpanKind::kClient;
  const int64_t http = HttpStatus(s);
  if (http >= 500 || (client && http >= 400)) return true;
  const otlp::AnyValue* grpc = otlp::FindAttribute(s.attributes, "rpc.grpc.status_code");
  if (grpc != nullptr && grpc->type == otlp::AnyValue::Type::kInt && grpc->int_value != 0) {
    // UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS
    const int64_t c = grpc->int_value;
    return client || c == 2 || c == 4 || c == 12 || c == 13 || c == 14 || c == 15;
  }
  return false;
}

// "14 UNAVAILABLE": the code as the attribute holds it, and its name, so a
// report reads without a table at hand.
std::string GrpcStatusText(const std::string& code) {
  int c = -1;
  auto [end, ec] = std::from_chars(code.data(), code.data() + code.size(), c);
  if (ec != std::errc() || end != code.data() + code.size() || c < 0 || c > 16) return code;
  return code + " " + otlp::GrpcCodeName(c);
}

const char* KindName(otlp::SpanKind k) {
  switch (k) {
    case otlp::SpanKind::kInternal:
      return "internal";
    case otlp::SpanKind::kServer:
      return "server";
    case otlp::SpanKind::kClient:
      return "client";
    case otlp::SpanKind::kProducer:
      return "producer";
    case otlp::SpanKind::kConsumer:
      return "consumer";
    default:
      return "unspecified";
  }
}

SpanSignature SignatureOf(const Node& n) {
  SpanSignature sig;
  sig.service = std::string(ServiceOf(*n.resource));
  sig.name = n.span->name;
  sig.kind = KindName(n.span->kind);
  // What tells two spans of one name apart, most specific first.
  for (std::string_view key : {"db.query.text", "db.statement", "http.route", "url.template",
                               "rpc.method", "peer.service", "server.address"}) {
    std::string v = StringAttr(n.span->attributes, key);
    if (!v.empty()) {
      sig.detail_key = std::string(key);
      sig.detail = std::move(v);
      break;
    }
  }
  return sig;
}

int64_t Start(const otlp::Span& s) { return static_cast<int64_t>(s.start_time_unix_nano); }
int64_t End(const otlp::Span& s) {
  return std::max(Start(s), static_cast<int64_t>(s.end_time_unix_nano));
}

struct Tree {
  std::vector<Node> nodes;
  std::unordered_map<SpanKey, size_t, SpanKeyHash> by_id;
};

Tree BuildTree(const otlp::ExportTraceServiceRequest& trace) {
  Tree t;
  for (const otlp::ResourceSpans& rs : trace.resource_spans) {
    for (const otlp::ScopeSpans& ss : rs.scope_spans) {
      for (const otlp::Span& s : ss.spans) {
        t.by_id.emplace(KeyOf(s.span_id), t.nodes.size());
        t.nodes.push_back(Node{&s, &rs.resource, {}});
      }
    }
  }
  for (size_t i = 0; i < t.nodes.size(); ++i) {
    const otlp::Span& s = *t.nodes[i].span;
    if (!s.parent_span_id.valid()) continue;
    auto it = t.by_id.find(KeyOf(s.parent_span_id));
    if (it != t.by_id.end() && it->second != i) t.nodes[it->second].children.push_back(i);
  }
  return t;
}

// Attributes to each node its time on the critical path ending at `limit`:
// walking back from the end, the latest-ending child owns its interval, gaps
// belong to the parent (the approach of Jaeger's critical path view).
void CriticalPath(const Tree& t, size_t i, int64_t limit, int depth,
                  std::vector<int64_t>* critical) {
  const otlp::Span& s = *t.nodes[i].span;
  const int64_t start = Start(s);
  int64_t cursor = std::min(End(s), limit);
  if (cursor <= start) return;
  if (depth < kMaxDepth) {
    std::vector<size_t> children = t.nodes[i].children;
    std::sort(children.begin(), children.end(),
              [&](size_t a, size_t b) { return End(*t.nodes[a].span) > End(*t.nodes[b].span); });
    for (size_t c : children) {
      if (cursor <= start) break;
      const otlp::Span& cs = *t.nodes[c].span;
      const int64_t c_end = std::min(End(cs), cursor);
      const int64_t c_start = std::max(Start(cs), start);
      if (c_start >= c_end) continue;
      (*critical)[i] += cursor - c_end;
      CriticalPath(t, c, c_end, depth + 1, critical);
      cursor = c_start;
    }
  }
  if (cursor > start) (*critical)[i] += cursor - start;
}

bool HasErrorChild(const Tree& t, size_t i) {
  for (size_t c : t.nodes[i].children) {
    if (IsError(*t.nodes[c].span)) return true;
  }
  return false;
}

bool ParseNumber(std::string_view s, double* out) {
  if (s.empty() || s.size() > 32) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && std::isfinite(*out);
}

void AddAttribute(std::string_view key, const otlp::AnyValue& v, RequestDetail* d) {
  if ((v.type == otlp::AnyValue::Type::kInt || v.type == otlp::AnyValue::Type::kDouble) &&
      !IsNamingKey(key)) {
    d->numbers.emplace_back(std::string(key), v.type == otlp::AnyValue::Type::kInt
                                                  ? static_cast<double>(v.int_value)
                                                  : v.double_value);
    return;
  }
  std::string text;
  if (ValueText(v, &text)) d->features.emplace_back(std::string(key), std::move(text));
}

}  // namespace

std::string SpanSignature::Encode() const {
  std::string out;
  for (const std::string* part : {&service, &name, &kind, &detail_key, &detail}) {
    out += *part;
    out.push_back('\x1f');
  }
  return out;
}

SpanSignature SpanSignature::Decode(std::string_view key) {
  SpanSignature sig;
  std::string* parts[] = {&sig.service, &sig.name, &sig.kind, &sig.detail_key, &sig.detail};
  size_t pos = 0;
  for (std::string* part : parts) {
    size_t sep = key.find('\x1f', pos);
    if (sep == std::string_view::npos) break;
    part->assign(key.substr(pos, sep - pos));
    pos = sep + 1;
  }
  return sig;
}

bool IsNamingKey(std::string_view key) {
  std::string lower(key);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view word : {"id", "code", "status", "port", "version", "tenant", "user",
                                "customer", "account", "region", "zone", "shard"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

bool ExtractRequest(const otlp::ExportTraceServiceRequest& trace, std::string_view service,
                    RequestFacts* out) {
  const otlp::Span* best = nullptr;
  const otlp::Resource* best_resource = nullptr;
  std::unordered_map<SpanKey, std::string_view, SpanKeyHash> service_of;
  for (const otlp::ResourceSpans& rs : trace.resource_spans) {
    std::string_view svc = ServiceOf(rs.resource);
    for (const otlp::ScopeSpans& ss : rs.scope_spans) {
      for (const otlp::Span& s : ss.spans) service_of.emplace(KeyOf(s.span_id), svc);
    }
  }
  for (const otlp::ResourceSpans& rs : trace.resource_spans) {
    if (ServiceOf(rs.resource) != service) continue;
    for (const otlp::ScopeSpans& ss : rs.scope_spans) {
      for (const otlp::Span& s : ss.spans) {
        if (s.parent_span_id.valid()) {
          auto it = service_of.find(KeyOf(s.parent_span_id));
          if (it != service_of.end() && it->second == service) continue;  // not topmost
        }
        if (best == nullptr || End(s) - Start(s) > End(*best) - Start(*best)) {
          best = &s;
          best_resource = &rs.resource;
        }
      }
    }
  }
  if (best == nullptr) return false;
  out->trace_id = best->trace_id;
  out->entry_span_id = best->span_id;
  out->start_ns = Start(*best);
  out->duration_ns = End(*best) - Start(*best);
  out->error = IsError(*best);
  out->route = StringAttr(best->attributes, "http.route");
  if (out->route.empty()) out->route = best->name;
  out->version = StringAttr(best_resource->attributes, "service.version");
  return true;
}

RequestDetail ExtractDetail(const otlp::ExportTraceServiceRequest& trace, const SpanId& entry) {
  RequestDetail d;
  Tree t = BuildTree(trace);
  auto it = t.by_id.find(KeyOf(entry));
  if (it == t.by_id.end()) return d;
  // The entry span's subtree, breadth first (each node once: ids are unique
  // in by_id, and a node has one parent).
  std::vector<size_t> subtree = {it->second};
  std::vector<bool> seen(t.nodes.size(), false);
  seen[it->second] = true;
  for (size_t k = 0; k < subtree.size(); ++k) {
    for (size_t c : t.nodes[subtree[k]].children) {
      if (!seen[c]) {
        seen[c] = true;
        subtree.push_back(c);
      }
    }
  }
  std::vector<int64_t> critical(t.nodes.size(), 0);
  CriticalPath(t, it->second, End(*t.nodes[it->second].span), 0, &critical);
  const Node& entry_node = t.nodes[it->second];
  const std::string_view entry_service = ServiceOf(*entry_node.resource);
  std::vector<std::string> entry_keys;
  for (const otlp::KeyValue& kv : entry_node.resource->attributes) entry_keys.push_back(kv.key);
  for (const otlp::KeyValue& kv : entry_node.span->attributes) entry_keys.push_back(kv.key);
  std::vector<const otlp::Resource*> resources;
  for (size_t i : subtree) {
    const Node& n = t.nodes[i];
    const bool inner = i != it->second;
    auto add = [&](const otlp::KeyValue& kv) {
      AddAttribute(kv.key, kv.value, &d);
      if (inner && std::find(entry_keys.begin(), entry_keys.end(), kv.key) == entry_keys.end()) {
        d.inner_keys.push_back(kv.key);
      }
    };
    if (std::find(resources.begin(), resources.end(), n.resource) == resources.end()) {
      resources.push_back(n.resource);
      const std::string_view svc = ServiceOf(*n.resource);
      if (svc == entry_service) {
        for (const otlp::KeyValue& kv : n.resource->attributes) add(kv);
      } else {
        // A callee's resource (its version, host, zone) is not who sent
        // the request; its version is evidence for "why".
        std::string version = StringAttr(n.resource->attributes, "service.version");
        if (!svc.empty() && !version.empty()) {
          d.callee_versions.emplace_back(std::string(svc), std::move(version));
        }
      }
    }
    for (const otlp::KeyValue& kv : n.span->attributes) add(kv);
    SpanSignature sig = SignatureOf(n);
    if (critical[i] > 0) d.critical_ns.emplace_back(sig.Encode(), critical[i]);
    if (IsError(*n.span)) {
      if (!HasErrorChild(t, i)) d.error_origins.push_back(sig.Encode());
      bool has_exception = false;
      for (const otlp::SpanEvent& e : n.span->events) {
        if (e.name != "exception") continue;
        std::string type = StringAttr(e.attributes, "exception.type");
        std::string message = StringAttr(e.attributes, "exception.message");
        if (type.empty() && message.empty()) continue;
        d.exceptions.emplace_back(std::move(type), std::move(message));
        has_exception = true;
      }
      if (n.span->kind == otlp::SpanKind::kClient) {
        std::string upstream = StringAttr(n.span->attributes, "peer.service");
        if (upstream.empty()) {
          upstream = StringAttr(n.span->attributes, "server.address");
          std::string port = StringAttr(n.span->attributes, "server.port");
          if (!upstream.empty() && !port.empty()) upstream += ":" + port;
        }
        if (upstream.empty()) upstream = n.span->name;
        const int64_t status = HttpStatus(*n.span);
        std::string code =
            status > 0 ? std::to_string(status)
                       : GrpcStatusText(StringAttr(n.span->attributes, "rpc.grpc.status_code"));
        if (code.empty()) code = n.span->status.message.empty() ? "error" : n.span->status.message;
        d.upstream_errors.emplace_back(std::move(upstream), std::move(code));
      } else if (!has_exception && !n.span->status.message.empty() &&
                 n.span->status.message.size() <= kMaxValueBytes && !HasErrorChild(t, i)) {
        // A failed span of the service's own code with no exception event:
        // its status message is the error it raised.
        d.exceptions.emplace_back("", n.span->status.message);
      }
    }
  }
  // Sum per signature (a request may run the same query several times).
  std::sort(d.critical_ns.begin(), d.critical_ns.end());
  std::vector<std::pair<std::string, int64_t>> summed;
  for (auto& [sig, ns] : d.critical_ns) {
    if (!summed.empty() && summed.back().first == sig) {
      summed.back().second += ns;
    } else {
      summed.emplace_back(std::move(sig), ns);
    }
  }
  d.critical_ns = std::move(summed);
  Normalize(&d);
  return d;
}

void AddLogAttributes(const std::vector<std::pair<std::string, std::string>>& metadata,
                      RequestDetail* detail) {
  std::string exception_type, exception_message;
  for (const auto& [key, value] : metadata) {
    if (key == "trace_id" || key == "span_id" || key == "ts" || key == "time" ||
        key == "timestamp" || key == "msg" || key == "message" || value.size() > kMaxValueBytes) {
      continue;
    }
    if (key == "exception.type" || key == "exception_type") {
      exception_type = value;
      continue;
    }
    if (key == "exception.message" || key == "exception_message" || key == "error.message" ||
        key == "error_message" || key == "err_message") {
      exception_message = value;
      continue;
    }
    if (key.rfind("exception", 0) == 0) continue;  // stack traces are payloads
    double number;
    if (!IsNamingKey(key) && ParseNumber(value, &number)) {
      detail->numbers.emplace_back(key, number);
      detail->log_keys.push_back(key);
      continue;
    }
    // Log labels are sanitized attribute names (cloud.availability_zone
    // becomes cloud_availability_zone): a value the spans carry too is one
    // feature, under the spans' key.
    std::string feature_key = key;
    bool on_spans = false;
    for (const auto& f : detail->features) {
      if (f.first == key) {
        on_spans = true;
        break;
      }
      if (f.first.size() == key.size() && !on_spans) {
        bool same = true;
        for (size_t i = 0; i < key.size() && same; ++i) {
          const char c = f.first[i];
          const bool ok =
              (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
          same = (ok ? c : '_') == key[i];
        }
        if (same) {
          feature_key = f.first;
          on_spans = true;
          break;
        }
      }
    }
    if (!on_spans) detail->log_feature_keys.push_back(feature_key);
    detail->features.emplace_back(std::move(feature_key), value);
  }
  if (!exception_type.empty() || !exception_message.empty()) {
    detail->exceptions.emplace_back(std::move(exception_type), std::move(exception_message));
  }
}

bool RestatesFailure(std::string_view key, std::string_view value) {
  auto number = [&]() {
    int64_t n = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    return ec == std::errc() && p == value.data() + value.size() ? n : int64_t{-1};
  };
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  if (key == "http.response.status_code" || key == "http.status_code" ||
      key == "http_response_status_code" || key == "http_status_code" || key == "status_code" ||
      key == "status") {
    return number() >= 500;
  }
  const std::string v = lower(value);
  if (key == "rpc.grpc.status_code" || key == "rpc_grpc_status_code") {
    return value != "0" && v != "ok" && v != "status_code_ok";
  }
  if (key == "severity_number") return number() >= 17;
  if (key == "otel.status_code" || key == "severity_text" || key == "level" || key == "severity" ||
      key == "detected_level") {
    return v == "error" || v == "fatal" || v == "critical" || v == "crit" || v == "alert" ||
           v == "emergency" || v == "50" || v == "60";
  }
  if (key == "error") return v == "true";
  return key.rfind("exception", 0) == 0 || key.rfind("error.", 0) == 0 ||
         key.rfind("error_", 0) == 0 || key.rfind("err.", 0) == 0 || key.rfind("err_", 0) == 0;
}

void Normalize(RequestDetail* d) {
  std::sort(d->features.begin(), d->features.end());
  d->features.erase(std::unique(d->features.begin(), d->features.end()), d->features.end());
  std::sort(d->numbers.begin(), d->numbers.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second > b.second;
  });
  d->numbers.erase(std::unique(d->numbers.begin(), d->numbers.end(),
                               [](const auto& a, const auto& b) { return a.first == b.first; }),
                   d->numbers.end());
  std::sort(d->log_keys.begin(), d->log_keys.end());
  d->log_keys.erase(std::unique(d->log_keys.begin(), d->log_keys.end()), d->log_keys.end());
  std::sort(d->log_feature_keys.begin(), d->log_feature_keys.end());
  d->log_feature_keys.erase(std::unique(d->log_feature_keys.begin(), d->log_feature_keys.end()),
                            d->log_feature_keys.end());
  std::sort(d->error_origins.begin(), d->error_origins.end());
  d->error_origins.erase(std::unique(d->error_origins.begin(), d->error_origins.end()),
                         d->error_origins.end());
  for (auto* v : {&d->upstream_errors, &d->exceptions, &d->callee_versions}) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
  std::sort(d->inner_keys.begin(), d->inner_keys.end());
  d->inner_keys.erase(std::unique(d->inner_keys.begin(), d->inner_keys.end()), d->inner_keys.end());
}

}  // namespace quartet::incident
