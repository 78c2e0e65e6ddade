#include "sdk/export/otlp_endpoint.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include "base/strings.h"

namespace quartet::exporter {
namespace {

std::string_view SignalUpper(Signal s) {
  switch (s) {
    case Signal::kTraces:
      return "TRACES";
    case Signal::kLogs:
      return "LOGS";
    case Signal::kMetrics:
      return "METRICS";
    case Signal::kProfiles:
      return "PROFILES";
  }
  return "TRACES";
}

std::string_view SignalPath(Signal s) {
  switch (s) {
    case Signal::kTraces:
      return "v1/traces";
    case Signal::kLogs:
      return "v1/logs";
    case Signal::kMetrics:
      return "v1/metrics";
    case Signal::kProfiles:
      return "v1development/profiles";
  }
  return "v1/traces";
}

bool IsSafeValue(std::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

void MergeHeaders(Headers& base, const Headers& over) {
  for (const auto& [name, value] : over) {
    bool replaced = false;
    for (auto& [bname, bvalue] : base) {
      if (bname.size() == name.size() &&
          std::equal(bname.begin(), bname.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
          })) {
        bvalue = value;
        replaced = true;
      }
    }
    if (!replaced) base.emplace_back(name, value);
  }
}

// The per-signal variable if set (even if empty: an explicit empty value
// is an explicit choice), else the generic one.
std::optional<std::pair<std::string, std::string>> Lookup(const EnvLookup& env, Signal signal,
                                                          std::string_view suffix) {
  std::string specific =
      "OTEL_EXPORTER_OTLP_" + std::string(SignalUpper(signal)) + "_" + std::string(suffix);
  if (auto v = env(specific)) return std::make_pair(specific, *v);
  std::string generic = "OTEL_EXPORTER_OTLP_" + std::string(suffix);
  if (auto v = env(generic)) return std::make_pair(generic, *v);
  return std::nullopt;
}

}  // namespace

Headers ParseOtlpHeaders(std::string_view list, std::vector<std::string>* warnings) {
  Headers out;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view member = TrimSpace(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (member.empty()) continue;
    size_t eq = member.find('=');
    if (eq == std::string_view::npos) {
      if (warnings) warnings->push_back("header entry without '=' ignored: " + std::string(member));
      continue;
    }
    std::string name = PercentDecode(TrimSpace(member.substr(0, eq)));
    std::string value = PercentDecode(TrimSpace(member.substr(eq + 1)));
    if (!IsHttpToken(name)) {
      if (warnings) warnings->push_back("invalid header name ignored: '" + name + "'");
      continue;
    }
    if (!IsSafeValue(value)) {
      if (warnings) warnings->push_back("header value with CR/LF/NUL ignored for " + name);
      continue;
    }
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

OtlpEndpointConfig ResolveOtlpEndpoint(Signal signal, const OtlpOverrides& overrides,
                                       const EnvLookup& env) {
  OtlpEndpointConfig config;
  const std::string upper(SignalUpper(signal));

  // URL.
  if (overrides.endpoint) {
    config.url = *overrides.endpoint;
  } else if (auto v = env("OTEL_EXPORTER_OTLP_" + upper + "_ENDPOINT"); v && !v->empty()) {
    config.url = std::string(TrimSpace(*v));
  } else {
    std::string base(kDefaultOtlpHttpEndpoint);
    if (auto b = env("OTEL_EXPORTER_OTLP_ENDPOINT"); b && !TrimSpace(*b).empty()) {
      base = std::string(TrimSpace(*b));
    }
    if (base.empty() || base.back() != '/') base += '/';
    config.url = base + std::string(SignalPath(signal));
  }
  if (!config.url.starts_with("http://") && !config.url.starts_with("https://")) {
    config.warnings.push_back("OTLP endpoint '" + config.url +
                              "' is not an http:// or https:// URL");
  }

  // Headers: generic, then per-signal, then code, each overriding per key.
  if (auto v = env("OTEL_EXPORTER_OTLP_HEADERS")) {
    config.headers = ParseOtlpHeaders(*v, &config.warnings);
  }
  if (auto v = env("OTEL_EXPORTER_OTLP_" + upper + "_HEADERS")) {
    MergeHeaders(config.headers, ParseOtlpHeaders(*v, &config.warnings));
  }
  if (overrides.headers) MergeHeaders(config.headers, *overrides.headers);

  // Compression.
  if (overrides.gzip) {
    config.gzip = *overrides.gzip;
  } else if (auto v = Lookup(env, signal, "COMPRESSION")) {
    std::string_view value = TrimSpace(v->second);
    if (value == "gzip") {
      config.gzip = true;
    } else if (value != "none" && !value.empty()) {
      config.warnings.push_back(v->first + "='" + std::string(value) +
                                "' unsupported (gzip|none); sending uncompressed");
    }
  }

  // Timeout.
  if (overrides.timeout) {
    config.timeout = *overrides.timeout;
  } else if (auto v = Lookup(env, signal, "TIMEOUT")) {
    std::string_view value = TrimSpace(v->second);
    int64_t ms = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
    if (ec == std::errc() && end == value.data() + value.size() && ms > 0) {
      config.timeout = std::chrono::milliseconds(ms);
    } else {
      config.warnings.push_back(v->first + "='" + std::string(value) +
                                "' is not a positive number of milliseconds; using " +
                                std::to_string(kDefaultOtlpTimeout.count()));
    }
  }

  if (overrides.ca_file) {
    config.ca_file = *overrides.ca_file;
  } else if (auto v = Lookup(env, signal, "CERTIFICATE")) {
    config.ca_file = std::string(TrimSpace(v->second));
  }
  return config;
}

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

}  // namespace quartet::exporter
