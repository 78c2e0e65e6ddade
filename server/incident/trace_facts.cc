#include "server/incident/trace_facts.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <unordered_map>

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

bool IsError(const otlp::Span& s) {
  return s.status.code == otlp::SpanStatusCode::kError || HttpStatus(s) >= 500;
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
  std::vector<const otlp::Resource*> resources;
  for (size_t i : subtree) {
    const Node& n = t.nodes[i];
    if (std::find(resources.begin(), resources.end(), n.resource) == resources.end()) {
      resources.push_back(n.resource);
      for (const otlp::KeyValue& kv : n.resource->attributes) AddAttribute(kv.key, kv.value, &d);
    }
    for (const otlp::KeyValue& kv : n.span->attributes) AddAttribute(kv.key, kv.value, &d);
    SpanSignature sig = SignatureOf(n);
    if (critical[i] > 0) d.critical_ns.emplace_back(sig.Encode(), critical[i]);
    if (IsError(*n.span)) {
      if (!HasErrorChild(t, i)) d.error_origins.push_back(sig.Encode());
      if (n.span->kind == otlp::SpanKind::kClient) {
        std::string upstream = StringAttr(n.span->attributes, "peer.service");
        if (upstream.empty()) {
          upstream = StringAttr(n.span->attributes, "server.address");
          std::string port = StringAttr(n.span->attributes, "server.port");
          if (!upstream.empty() && !port.empty()) upstream += ":" + port;
        }
        if (upstream.empty()) upstream = n.span->name;
        const int64_t status = HttpStatus(*n.span);
        std::string code = status > 0 ? std::to_string(status)
                                      : StringAttr(n.span->attributes, "rpc.grpc.status_code");
        if (code.empty()) code = n.span->status.message.empty() ? "error" : n.span->status.message;
        d.upstream_errors.emplace_back(std::move(upstream), std::move(code));
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
  for (const auto& [key, value] : metadata) {
    if (key == "trace_id" || key == "span_id" || key == "ts" || key == "time" ||
        key == "timestamp" || key == "msg" || key == "message" || value.size() > kMaxValueBytes) {
      continue;
    }
    double number;
    if (!IsNamingKey(key) && ParseNumber(value, &number)) {
      detail->numbers.emplace_back(key, number);
      detail->log_keys.push_back(key);
    } else {
      const bool on_spans = std::any_of(detail->features.begin(), detail->features.end(),
                                        [&](const auto& f) { return f.first == key; });
      if (!on_spans) detail->log_feature_keys.push_back(key);
      detail->features.emplace_back(key, value);
    }
  }
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
  std::sort(d->upstream_errors.begin(), d->upstream_errors.end());
  d->upstream_errors.erase(std::unique(d->upstream_errors.begin(), d->upstream_errors.end()),
                           d->upstream_errors.end());
}

}  // namespace quartet::incident
