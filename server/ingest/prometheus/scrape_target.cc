#include "server/ingest/prometheus/scrape_target.h"

#include <algorithm>
#include <map>
#include <set>

#include "server/ingest/prometheus/scrape_relabel.h"

namespace quartet::ingest {
namespace {

uint64_t Fnv1a(uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// Go's url.QueryEscape.
std::string QueryEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Whether `addr` lacks a port ("host", "[::1]"), as Prometheus's addPort.
bool NeedsPort(std::string_view addr) {
  if (addr.starts_with('[')) return addr.find("]:") == std::string_view::npos;
  const size_t colon = addr.find(':');
  if (colon == std::string_view::npos) return true;
  // Several colons: a bare IPv6 address, which Go's SplitHostPort refuses:
  // Prometheus then adds the port after it, as we do.
  return addr.find(':', colon + 1) != std::string_view::npos;
}

}  // namespace

std::string FormatPrometheusDuration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  auto unit = [&](const char* name, int64_t mult, bool exact) {
    if (exact && ms % mult != 0) return;
    if (const int64_t v = ms / mult; v > 0) {
      out += std::to_string(v) + name;
      ms -= v * mult;
    }
  };
  unit("y", 365LL * 86'400'000, true);
  unit("w", 7LL * 86'400'000, true);
  unit("d", 86'400'000, false);
  unit("h", 3'600'000, false);
  unit("m", 60'000, false);
  unit("s", 1'000, false);
  unit("ms", 1, false);
  return out;
}

int64_t ScrapeTarget::OffsetMs(uint64_t seed) const {
  if (interval_ms <= 0) return 0;
  return static_cast<int64_t>((hash ^ seed) % static_cast<uint64_t>(interval_ms));
}

Result<ScrapeTarget> PopulateTarget(const store::Labels& discovered,
                                    const server::ScrapeConfig& config) {
  store::Labels lb = discovered;
  std::sort(lb.begin(), lb.end());
  const std::pair<const char*, std::string> defaults[] = {
      {"job", config.job_name},
      {"__scrape_interval__", FormatPrometheusDuration(config.scrape_interval_ms)},
      {"__scrape_timeout__", FormatPrometheusDuration(config.scrape_timeout_ms)},
      {"__metrics_path__", config.metrics_path},
      {"__scheme__", config.scheme}};
  for (const auto& [name, value] : defaults) {
    if (GetLabel(discovered, name).empty()) SetLabel(&lb, name, value);
  }
  for (const auto& [name, values] : config.params) {
    if (!values.empty()) SetLabel(&lb, "__param_" + name, values[0]);
  }
  ScrapeTarget t;
  t.discovered = lb;
  if (!Relabel(config.relabel_configs, &lb)) return Status::NotFound("dropped by relabeling");
  std::string addr(GetLabel(lb, "__address__"));
  if (addr.empty()) return Status::InvalidArgument("no address");
  std::string scheme(GetLabel(lb, "__scheme__"));
  if (scheme.empty()) scheme = "http";
  // Prometheus refuses other schemes only when it must pick a default port;
  // its HTTP client fails on them later. Refusing them here says why sooner.
  if (scheme != "http" && scheme != "https") {
    return Status::InvalidArgument("invalid scheme: \"" + scheme + "\"");
  }
  if (NeedsPort(addr)) {
    addr += scheme == "https" ? ":443" : ":80";
    SetLabel(&lb, "__address__", addr);
  }
  if (addr.find('/') != std::string::npos) {
    return Status::InvalidArgument("\"" + addr + "\" is not a valid hostname");
  }
  const std::string interval(GetLabel(lb, "__scrape_interval__"));
  const std::string timeout(GetLabel(lb, "__scrape_timeout__"));
  Result<int64_t> interval_ms = server::ParsePrometheusDuration(interval);
  if (!interval_ms.ok()) {
    return Status::InvalidArgument("error parsing scrape interval: " +
                                   std::string(interval_ms.status().message()));
  }
  if (*interval_ms == 0) return Status::InvalidArgument("scrape interval cannot be 0");
  Result<int64_t> timeout_ms = server::ParsePrometheusDuration(timeout);
  if (!timeout_ms.ok()) {
    return Status::InvalidArgument("error parsing scrape timeout: " +
                                   std::string(timeout_ms.status().message()));
  }
  if (*timeout_ms == 0) return Status::InvalidArgument("scrape timeout cannot be 0");
  if (*timeout_ms > *interval_ms) {
    return Status::InvalidArgument("scrape timeout cannot be greater than scrape interval (\"" +
                                   timeout + "\" > \"" + interval + "\")");
  }
  std::erase_if(lb, [](const auto& l) { return l.first.starts_with("__meta_"); });
  if (GetLabel(lb, "instance").empty()) SetLabel(&lb, "instance", addr);

  // URL: the job's params, each overridden (first value) by __param_<name>.
  std::map<std::string, std::vector<std::string>> params;
  for (const auto& [name, values] : config.params) params[name] = values;
  for (const auto& [name, value] : lb) {
    if (!name.starts_with("__param_")) continue;
    std::vector<std::string>& values = params[name.substr(8)];
    if (values.empty()) {
      values.push_back(value);
    } else {
      values[0] = value;
    }
  }
  std::string path(GetLabel(lb, "__metrics_path__"));
  if (!path.starts_with('/')) path.insert(0, "/");
  t.url = scheme + "://" + addr + path;
  char sep = '?';
  for (const auto& [name, values] : params) {
    for (const std::string& v : values) {
      t.url += sep + QueryEscape(name) + "=" + QueryEscape(v);
      sep = '&';
    }
  }
  t.interval_ms = *interval_ms;
  t.timeout_ms = *timeout_ms;
  t.all_labels = lb;
  for (const auto& l : lb) {
    if (!l.first.starts_with("__")) t.labels.push_back(l);
  }
  uint64_t h = 14695981039346656037ull;
  for (const auto& [name, value] : t.all_labels) {
    h = Fnv1a(Fnv1a(h, name), "\xff");
    h = Fnv1a(Fnv1a(h, value), "\xff");
  }
  t.hash = Fnv1a(h, t.url);
  return t;
}

JobTargets BuildTargets(const server::ScrapeConfig& config) {
  JobTargets out;
  std::set<std::pair<store::Labels, std::string>> seen;
  for (const server::StaticTargetGroup& group : config.static_configs) {
    for (const std::string& address : group.targets) {
      store::Labels discovered = group.labels;
      std::erase_if(discovered, [](const auto& l) { return l.second.empty(); });  // = absent
      SetLabel(&discovered, "__address__", address);
      Result<ScrapeTarget> t = PopulateTarget(discovered, config);
      if (!t.ok()) {
        if (t.status().code() == StatusCode::kNotFound) {
          ++out.dropped;
        } else {
          out.errors.push_back(address + ": " + std::string(t.status().message()));
        }
        continue;
      }
      if (!seen.insert({t->labels, t->url}).second) continue;
      out.targets.push_back(std::move(*t));
    }
  }
  if (config.target_limit > 0 && out.targets.size() > config.target_limit) {
    out.errors.push_back(
        "target_limit exceeded (number of targets: " + std::to_string(out.targets.size()) +
        ", limit: " + std::to_string(config.target_limit) + ")");
    out.targets.clear();
  }
  return out;
}

}  // namespace quartet::ingest
