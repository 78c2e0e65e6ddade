#include "server/alert/state_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/crc32c.h"
#include "wire/json/json_parser.h"
#include "wire/json/json_writer.h"

namespace quartet::alert {
namespace {

constexpr std::string_view kMagic = "quartet-alert-state 1 ";

void AppendPairs(std::string* out, const std::vector<std::pair<std::string, std::string>>& pairs) {
  *out += '{';
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i > 0) *out += ',';
    json::AppendString(out, pairs[i].first);
    *out += ':';
    json::AppendString(out, pairs[i].second);
  }
  *out += '}';
}

void AppendField(std::string* out, std::string_view name, int64_t v) {
  *out += ",\"";
  *out += name;
  *out += "\":";
  json::AppendInt(out, v);
}

Result<int64_t> IntField(const json::Value& o, std::string_view name) {
  const json::Value* v = o.Find(name);
  if (v == nullptr || !v->int_value()) {
    return Status::InvalidArgument("alert state: field " + std::string(name) + " missing");
  }
  return *v->int_value();
}

Result<std::string> StringField(const json::Value& o, std::string_view name) {
  const json::Value* v = o.Find(name);
  if (v == nullptr || !v->is_string()) {
    return Status::InvalidArgument("alert state: field " + std::string(name) + " missing");
  }
  return v->string_value();
}

Result<std::vector<std::pair<std::string, std::string>>> PairsField(const json::Value& o,
                                                                    std::string_view name) {
  const json::Value* v = o.Find(name);
  if (v == nullptr || !v->is_object()) {
    return Status::InvalidArgument("alert state: field " + std::string(name) + " missing");
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const json::Member& m : v->members()) {
    if (!m.value.is_string()) return Status::InvalidArgument("alert state: label is not a string");
    out.emplace_back(m.key, m.value.string_value());
  }
  return out;
}

Status SyncDir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Status::Internal("open " + dir + ": " + std::strerror(errno));
  int rc = fsync(fd);
  close(fd);
  if (rc != 0) return Status::Internal("fsync " + dir + ": " + std::strerror(errno));
  return Status::Ok();
}

}  // namespace

std::string EncodeAlertState(const std::vector<RuleAlerts>& rules) {
  std::string body = "{\"rules\":[";
  for (size_t r = 0; r < rules.size(); ++r) {
    const RuleAlerts& rule = rules[r];
    if (r > 0) body += ',';
    body += "{\"file\":";
    json::AppendString(&body, rule.file);
    body += ",\"group\":";
    json::AppendString(&body, rule.group);
    AppendField(&body, "index", static_cast<int64_t>(rule.index));
    body += ",\"rule\":";
    json::AppendString(&body, rule.rule);
    body += ",\"alerts\":[";
    for (size_t i = 0; i < rule.alerts.size(); ++i) {
      const Alert& a = rule.alerts[i];
      if (i > 0) body += ',';
      body += "{\"labels\":";
      std::vector<std::pair<std::string, std::string>> labels;
      for (const promql::Label& l : a.labels) labels.emplace_back(l.name, l.value);
      AppendPairs(&body, labels);
      body += ",\"annotations\":";
      AppendPairs(&body, a.annotations);
      AppendField(&body, "state", static_cast<int64_t>(a.state));
      uint64_t bits;
      std::memcpy(&bits, &a.value, sizeof bits);
      AppendField(&body, "value_bits", static_cast<int64_t>(bits));
      AppendField(&body, "active_at_ms", a.active_at_ms);
      AppendField(&body, "fired_at_ms", a.fired_at_ms);
      AppendField(&body, "resolved_at_ms", a.resolved_at_ms);
      AppendField(&body, "last_sent_at_ms", a.last_sent_at_ms);
      AppendField(&body, "valid_until_ms", a.valid_until_ms);
      AppendField(&body, "keep_firing_since_ms", a.keep_firing_since_ms);
      body += '}';
    }
    body += "]}";
  }
  body += "]}\n";
  char crc[16];
  std::snprintf(crc, sizeof crc, "%08" PRIx32 "\n", crc32c::Value(body));
  return std::string(kMagic) + crc + body;
}

Result<std::vector<RuleAlerts>> DecodeAlertState(std::string_view data) {
  if (!data.starts_with(kMagic) || data.size() < kMagic.size() + 9 ||
      data[kMagic.size() + 8] != '\n') {
    return Status::InvalidArgument("alert state: not a quartet alert state file (bad header)");
  }
  const std::string hex(data.substr(kMagic.size(), 8));
  const std::string_view body = data.substr(kMagic.size() + 9);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08" PRIx32, crc32c::Value(body));
  if (hex != buf) {
    return Status::DataLoss("alert state: checksum mismatch (file has " + hex + ", content " + buf +
                            ")");
  }
  ASSIGN_OR_RETURN(json::Value doc, json::Parse(body));
  const json::Value* list = doc.Find("rules");
  if (list == nullptr || !list->is_array()) return Status::InvalidArgument("alert state: no rules");
  std::vector<RuleAlerts> out;
  for (const json::Value& r : list->items()) {
    RuleAlerts rule;
    ASSIGN_OR_RETURN(rule.file, StringField(r, "file"));
    ASSIGN_OR_RETURN(rule.group, StringField(r, "group"));
    ASSIGN_OR_RETURN(int64_t index, IntField(r, "index"));
    rule.index = static_cast<size_t>(index);
    ASSIGN_OR_RETURN(rule.rule, StringField(r, "rule"));
    const json::Value* alerts = r.Find("alerts");
    if (alerts == nullptr || !alerts->is_array())
      return Status::InvalidArgument("alert state: no alerts");
    for (const json::Value& v : alerts->items()) {
      Alert a;
      ASSIGN_OR_RETURN(auto labels, PairsField(v, "labels"));
      for (auto& [k, val] : labels) a.labels.push_back({std::move(k), std::move(val)});
      ASSIGN_OR_RETURN(a.annotations, PairsField(v, "annotations"));
      ASSIGN_OR_RETURN(int64_t state, IntField(v, "state"));
      if (state < 0 || state > 2) return Status::InvalidArgument("alert state: bad state");
      a.state = static_cast<AlertState>(state);
      ASSIGN_OR_RETURN(int64_t bits, IntField(v, "value_bits"));
      std::memcpy(&a.value, &bits, sizeof bits);
      ASSIGN_OR_RETURN(a.active_at_ms, IntField(v, "active_at_ms"));
      ASSIGN_OR_RETURN(a.fired_at_ms, IntField(v, "fired_at_ms"));
      ASSIGN_OR_RETURN(a.resolved_at_ms, IntField(v, "resolved_at_ms"));
      ASSIGN_OR_RETURN(a.last_sent_at_ms, IntField(v, "last_sent_at_ms"));
      ASSIGN_OR_RETURN(a.valid_until_ms, IntField(v, "valid_until_ms"));
      ASSIGN_OR_RETURN(a.keep_firing_since_ms, IntField(v, "keep_firing_since_ms"));
      rule.alerts.push_back(std::move(a));
    }
    out.push_back(std::move(rule));
  }
  return out;
}

Status WriteAlertStateFile(const std::string& path, const std::vector<RuleAlerts>& rules) {
  const std::string data = EncodeAlertState(rules);
  const std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Internal("create " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      close(fd);
      return Status::Internal("write " + tmp + ": " + std::strerror(e));
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) {
    const int e = errno;
    close(fd);
    return Status::Internal("fsync " + tmp + ": " + std::strerror(e));
  }
  close(fd);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::Internal("rename " + tmp + ": " + std::strerror(errno));
  }
  return SyncDir(std::filesystem::path(path).parent_path().string());
}

Result<std::vector<RuleAlerts>> ReadAlertStateFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(path)) return Status::NotFound(path);
    return Status::Internal("cannot read " + path);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  Result<std::vector<RuleAlerts>> r = DecodeAlertState(ss.str());
  if (!r.ok()) return Status(r.status().code(), path + ": " + std::string(r.status().message()));
  return r;
}

}  // namespace quartet::alert
