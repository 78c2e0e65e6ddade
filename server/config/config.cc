#include "server/config/config.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <filesystem>
#include <set>

#include "base/duration.h"

namespace quartet::server {
namespace {

// Prometheus sections accepted and not used by quartetd (the ones it uses,
// global, scrape_configs and rule_files, go to ParsePrometheusSections).
constexpr std::string_view kPrometheusSections[] = {"remote_write", "remote_read", "storage_config",
                                                    "tracing"};
constexpr std::string_view kParsedPrometheusSections[] = {"global", "scrape_configs", "rule_files",
                                                          "alerting", "notifications"};

Status KeyError(std::string_view key, std::string_view problem) {
  return Status::InvalidArgument("config key " + std::string(key) + ": " + std::string(problem));
}

Result<store::SyncPolicy> ParseSync(std::string_view text) {
  if (text == "always") return store::SyncPolicy::kAlways;
  if (text == "interval") return store::SyncPolicy::kInterval;
  if (text == "never") return store::SyncPolicy::kNever;
  return Status::InvalidArgument("want always, interval or never, got \"" + std::string(text) +
                                 "\"");
}

Result<int64_t> ParseCount(std::string_view text) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v <= 0) {
    return Status::InvalidArgument("want a positive integer, got \"" + std::string(text) + "\"");
  }
  return v;
}

// Applies one setting by its canonical name; both YAML and flags come here,
// so a setting is parsed the same way wherever it is given.
Status Apply(std::string_view name, const std::string& value, ServerConfig* c) {
  auto wrap = [&](const Status& s) {
    return Status::InvalidArgument(std::string(name) + ": " + std::string(s.message()));
  };
  if (name == "data_dir") {
    if (value.empty()) return wrap(Status::InvalidArgument("must not be empty"));
    c->data_dir = value;
  } else if (name == "http_listen") {
    c->http_listen = value;
  } else if (name == "grpc_listen") {
    c->grpc_listen = value;
  } else if (name == "http.workers") {
    Result<int64_t> n = ParseCount(value);
    if (!n.ok() || *n > 1024) return wrap(Status::InvalidArgument("want 1..1024, got " + value));
    c->http_workers = static_cast<int>(*n);
  } else if (name == "http.max_body") {
    Result<uint64_t> n = ParseBytes(value);
    if (!n.ok()) return wrap(n.status());
    c->max_body_bytes = *n;
  } else if (name == "storage.fsync") {
    Result<store::SyncPolicy> p = ParseSync(value);
    if (!p.ok()) return wrap(p.status());
    c->fsync = *p;
  } else if (name == "storage.memory_limit") {
    Result<uint64_t> n = ParseBytes(value);
    if (!n.ok()) return wrap(n.status());
    c->memory_limit_bytes = *n;
  } else if (name == "storage.max_streams") {
    Result<int64_t> n = ParseCount(value);
    if (!n.ok()) return wrap(n.status());
    c->max_streams = static_cast<size_t>(*n);
  } else if (name == "storage.retention") {
    Result<int64_t> d = ParseDuration(value);
    if (!d.ok()) return wrap(d.status());
    c->retention = std::chrono::seconds(*d / 1'000'000'000);
  } else if (name == "storage.retention_size") {
    Result<uint64_t> n = ParseBytes(value);
    if (!n.ok()) return wrap(n.status());
    c->retention_bytes = *n;
  } else if (name == "limits.max_value") {
    Result<uint64_t> n = ParseBytes(value);
    if (!n.ok()) return wrap(n.status());
    c->max_value_bytes = *n;
  } else {
    return Status::NotFound(std::string(name));
  }
  return Status::Ok();
}

Status ApplyYaml(const YAML::Node& node, const std::string& prefix, ServerConfig* c) {
  if (!node.IsMap()) return KeyError(prefix.empty() ? "(top level)" : prefix, "must be a mapping");
  for (const auto& item : node) {
    const std::string key = item.first.as<std::string>();
    const std::string name = prefix.empty() ? key : prefix + "." + key;
    if (prefix.empty() && std::find(std::begin(kPrometheusSections), std::end(kPrometheusSections),
                                    key) != std::end(kPrometheusSections)) {
      c->reserved_sections.push_back(key);
      continue;
    }
    if (prefix.empty() &&
        std::find(std::begin(kParsedPrometheusSections), std::end(kParsedPrometheusSections),
                  key) != std::end(kParsedPrometheusSections)) {
      continue;
    }
    // Prometheus's storage section shares its name with quartetd's.
    if (prefix == "storage" && (key == "tsdb" || key == "exemplars")) {
      c->reserved_sections.push_back(name);
      continue;
    }
    if (item.second.IsMap()) {
      if (!prefix.empty() || (key != "http" && key != "storage" && key != "limits")) {
        return KeyError(name, "unknown section");
      }
      RETURN_IF_ERROR(ApplyYaml(item.second, name, c));
      continue;
    }
    if (!item.second.IsScalar()) return KeyError(name, "must be a single value");
    Status s = Apply(name, item.second.as<std::string>(), c);
    if (s.code() == StatusCode::kNotFound) return KeyError(name, "unknown key");
    if (!s.ok()) return Status::InvalidArgument("config key " + std::string(s.message()));
  }
  return Status::Ok();
}

// The `notifications` section (config.h).
Status ParseNotifications(const YAML::Node& node, NotificationsConfig* out) {
  if (node.IsNull()) return Status::Ok();
  if (!node.IsMap()) return KeyError("notifications", "must be a mapping");
  for (const auto& item : node) {
    const std::string key = item.first.as<std::string>();
    const std::string name = "notifications." + key;
    if (key == "resend_delay") {
      if (!item.second.IsScalar()) return KeyError(name, "must be a single value");
      Result<int64_t> ms = ParsePrometheusDuration(item.second.as<std::string>());
      if (!ms.ok() || *ms <= 0) return KeyError(name, "want a positive duration like 1m");
      out->resend_delay_ms = *ms;
    } else if (key == "webhooks") {
      if (item.second.IsNull()) continue;
      if (!item.second.IsSequence()) return KeyError(name, "must be a list");
      for (size_t i = 0; i < item.second.size(); ++i) {
        const YAML::Node hook = item.second[i];
        const std::string where = name + "[" + std::to_string(i) + "]";
        if (!hook.IsMap()) return KeyError(where, "must be a mapping");
        WebhookNotification w;
        for (const auto& field : hook) {
          const std::string f = field.first.as<std::string>();
          if (!field.second.IsScalar()) return KeyError(where + "." + f, "must be a single value");
          const std::string v = field.second.as<std::string>();
          if (f == "url") {
            if (!v.starts_with("http://") && !v.starts_with("https://")) {
              return KeyError(where + ".url", "want an http:// or https:// URL, got \"" + v + "\"");
            }
            w.url = v;
          } else if (f == "send_resolved") {
            if (v != "true" && v != "false") return KeyError(where + "." + f, "want true or false");
            w.send_resolved = v == "true";
          } else if (f == "name") {
            w.name = v;
          } else if (f == "send_report") {
            if (v != "true" && v != "false") return KeyError(where + "." + f, "want true or false");
            w.send_report = v == "true";
          } else {
            return KeyError(where + "." + f, "unknown key");
          }
        }
        if (w.url.empty()) return KeyError(where + ".url", "is required");
        out->webhooks.push_back(std::move(w));
      }
    } else {
      return KeyError(name, "unknown key");
    }
  }
  return Status::Ok();
}

struct FlagSpec {
  std::string_view flag;     // without the leading --
  std::string_view setting;  // canonical name
  std::string_view help;
};

constexpr FlagSpec kFlags[] = {
    {"data-dir", "data_dir", "directory for all stored data (required)"},
    {"http-listen", "http_listen", "HTTP address for every HTTP API (default 127.0.0.1:4318)"},
    {"grpc-listen", "grpc_listen", "OTLP/gRPC address (default 127.0.0.1:4317; \"\" = off)"},
    {"http-workers", "http.workers", "HTTP worker threads (default 8)"},
    {"max-body", "http.max_body", "largest request body after decompression (default 20MiB)"},
    {"fsync", "storage.fsync", "always | interval | never (default always)"},
    {"memory-limit", "storage.memory_limit",
     "memory per table before ingest is pushed back (default 1GiB)"},
    {"max-streams", "storage.max_streams", "log streams held in memory (default 100000)"},
    {"retention", "storage.retention", "how long data is kept (default 7d)"},
    {"retention-size", "storage.retention_size", "bytes kept per table, 0 = no limit"},
    {"max-value", "limits.max_value", "longest attribute value or log body (default 256KiB)"},
};

}  // namespace

std::string Usage() {
  std::string out =
      "usage: quartetd --data-dir DIR [--http-listen HOST:PORT] [--grpc-listen HOST:PORT] "
      "[--config FILE] [flags]\n\nflags (each also a key of the YAML config file):\n";
  out += "  --config FILE          YAML config file; flags override it\n";
  for (const FlagSpec& f : kFlags) {
    std::string left = "  --" + std::string(f.flag) + " V";
    left.resize(std::max<size_t>(left.size() + 1, 25), ' ');
    out += left + std::string(f.help) + "  [" + std::string(f.setting) + "]\n";
  }
  return out;
}

Result<uint64_t> ParseBytes(std::string_view text) {
  uint64_t number = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || p == text.data()) {
    return Status::InvalidArgument("want a size like 512MiB or 1000000, got \"" +
                                   std::string(text) + "\"");
  }
  const std::string_view unit(p, text.data() + text.size() - p);
  uint64_t scale = 0;
  if (unit.empty() || unit == "B") scale = 1;
  if (unit == "KiB") scale = 1ull << 10;
  if (unit == "MiB") scale = 1ull << 20;
  if (unit == "GiB") scale = 1ull << 30;
  if (unit == "TiB") scale = 1ull << 40;
  if (unit == "kB" || unit == "KB") scale = 1000;
  if (unit == "MB") scale = 1000'000;
  if (unit == "GB") scale = 1000'000'000;
  if (unit == "TB") scale = 1000'000'000'000;
  if (scale == 0) {
    return Status::InvalidArgument("unknown size unit \"" + std::string(unit) +
                                   "\" (use B, KiB, MiB, GiB, TiB, kB, MB, GB, TB)");
  }
  if (number > UINT64_MAX / scale) {
    return Status::InvalidArgument("size \"" + std::string(text) + "\" is too large");
  }
  return number * scale;
}

Result<ServerConfig> LoadConfig(const std::vector<std::string>& args) {
  // Flags as (setting, value), applied after the file.
  std::vector<std::pair<std::string, std::string>> flags;
  ServerConfig config;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "-h" || arg == "--help") return Status::FailedPrecondition(Usage());
    if (arg.rfind("--", 0) != 0) {
      return Status::InvalidArgument("unexpected argument \"" + arg + "\"");
    }
    std::string name = arg.substr(2), value;
    const size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else {
      if (i + 1 >= args.size()) return Status::InvalidArgument("flag --" + name + " needs a value");
      value = args[++i];
    }
    if (name == "config") {
      config.config_file = value;
      continue;
    }
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& f : kFlags) {
      if (f.flag == name) spec = &f;
    }
    if (spec == nullptr) return Status::InvalidArgument("unknown flag --" + name);
    flags.emplace_back(std::string(spec->setting), value);
  }
  if (!config.config_file.empty()) {
    try {
      const YAML::Node root = YAML::LoadFile(config.config_file);
      if (!root.IsNull()) {
        RETURN_IF_ERROR(ApplyYaml(root, "", &config));
        const std::string dir = std::filesystem::path(config.config_file).parent_path().string();
        ASSIGN_OR_RETURN(config.prometheus, ParsePrometheusSections(root, dir));
        if (root.IsMap()) {
          if (const YAML::Node n = root["notifications"]) {
            RETURN_IF_ERROR(ParseNotifications(n, &config.notifications));
          }
        }
      }
    } catch (const YAML::Exception& e) {
      return Status::InvalidArgument("config file " + config.config_file + ": " + e.what());
    }
  }
  for (const auto& [setting, value] : flags) {
    Status s = Apply(setting, value, &config);
    if (!s.ok()) {
      for (const FlagSpec& f : kFlags) {
        if (f.setting == setting) {
          return Status::InvalidArgument("flag --" + std::string(f.flag) + ": " +
                                         std::string(s.message()).substr(setting.size() + 2));
        }
      }
    }
  }
  if (config.data_dir.empty()) {
    return Status::InvalidArgument("flag --data-dir is required (or data_dir in --config)");
  }
  return config;
}

}  // namespace quartet::server
