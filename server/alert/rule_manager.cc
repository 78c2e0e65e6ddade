#include "server/alert/rule_manager.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>

#include "base/clock.h"
#include "server/alert/state_file.h"
#include "server/api/prometheus/store_series_source.h"
#include "server/query/promql/labels.h"
#include "server/query/promql/parser.h"

namespace quartet::alert {

struct RuleManager::Rule {
  size_t index = 0;
  RuleConfig config;
  promql::ExprPtr expr;
  std::string query;
  std::unique_ptr<AlertingRule> alerting;  // null for recording rules

  mutable std::mutex mu;  // guards the fields below
  std::string health = "unknown";
  std::string last_error;
  int64_t last_eval_ms = 0;
  double eval_seconds = 0;
  std::map<std::string, promql::Labels> previous_series;  // written at the last evaluation
};

struct RuleManager::Group {
  RuleGroupConfig config;
  int64_t interval_ms = 0;
  std::vector<std::unique_ptr<Rule>> rules;
  mutable std::mutex mu;
  int64_t last_eval_ms = 0;
  double eval_seconds = 0;
};

namespace {

std::string QueryEscape(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
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

store::Labels ToStore(const promql::Labels& labels) {
  store::Labels out;
  out.reserve(labels.size());
  for (const promql::Label& l : labels) out.emplace_back(l.name, l.value);
  return out;
}

uint64_t Fnv1a(std::string_view a, std::string_view b) {
  uint64_t h = 14695981039346656037ULL;
  for (std::string_view s : {a, std::string_view("\xff"), b}) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
  }
  return h;
}

int64_t NowMs() { return UnixNanos() / 1'000'000; }

}  // namespace

RuleManager::RuleManager(store::MetricStore* store, Notifier* notifier, RuleManagerOptions options)
    : store_(store), notifier_(notifier), options_(std::move(options)) {}

RuleManager::~RuleManager() { Stop(); }

Result<std::unique_ptr<RuleManager>> RuleManager::Create(std::vector<RuleGroupConfig> groups,
                                                         store::MetricStore* store,
                                                         Notifier* notifier,
                                                         RuleManagerOptions options) {
  std::unique_ptr<RuleManager> m(new RuleManager(store, notifier, std::move(options)));
  if (!m->options_.state_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(m->options_.state_dir, ec);
    if (ec) {
      return Status::InvalidArgument("cannot create " + m->options_.state_dir + ": " +
                                     ec.message());
    }
  }
  for (RuleGroupConfig& gc : groups) {
    auto g = std::make_unique<Group>();
    g->interval_ms = gc.interval_ms > 0 ? gc.interval_ms : m->options_.default_interval_ms;
    for (size_t i = 0; i < gc.rules.size(); ++i) {
      auto r = std::make_unique<Rule>();
      r->index = i;
      r->config = gc.rules[i];
      Result<promql::ExprPtr> e = promql::Parse(r->config.expr);
      if (!e.ok()) {
        return Status::InvalidArgument(
            gc.file + ": group \"" + gc.name + "\", rule " + std::to_string(i + 1) + ", \"" +
            r->config.name() +
            "\": could not parse expression: " + std::string(e.status().message()));
      }
      r->expr = std::move(*e);
      r->query = promql::Print(*r->expr);
      if (r->config.is_alert()) {
        r->alerting = std::make_unique<AlertingRule>(r->config, m->options_.external_labels,
                                                     m->options_.external_url);
      }
      g->rules.push_back(std::move(r));
    }
    g->config = std::move(gc);
    m->groups_.push_back(std::move(g));
  }
  return m;
}

int64_t RuleManager::AlignedEvalTime(const RuleGroupConfig& group, int64_t interval_ms,
                                     int64_t now_ms) {
  const auto offset =
      static_cast<int64_t>(Fnv1a(group.file, group.name) % static_cast<uint64_t>(interval_ms));
  const int64_t adj = now_ms - offset;
  int64_t base = adj - ((adj % interval_ms) + interval_ms) % interval_ms;
  int64_t t = base + offset;
  if (t < now_ms) t += interval_ms;
  return t;
}

Status RuleManager::Start() {
  Status restored = Status::Ok();
  if (!options_.state_dir.empty()) {
    Result<std::vector<RuleAlerts>> state = ReadAlertStateFile(options_.state_dir + "/state");
    if (state.ok()) {
      for (RuleAlerts& ra : *state) {
        for (auto& g : groups_) {
          if (g->config.file != ra.file || g->config.name != ra.group) continue;
          if (ra.index >= g->rules.size()) continue;
          Rule* r = g->rules[ra.index].get();
          if (r->alerting == nullptr || r->config.alert != ra.rule) continue;
          r->alerting->Restore(std::move(ra.alerts));
        }
      }
    } else if (state.status().code() != StatusCode::kNotFound) {
      restored = state.status();
    }
  }
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stopping_ = false;
  }
  for (auto& g : groups_) {
    Group* group = g.get();
    threads_.emplace_back([this, group] { Run(group); });
  }
  return restored;
}

void RuleManager::Stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void RuleManager::Run(Group* group) {
  const int64_t interval = group->interval_ms;
  int64_t next = AlignedEvalTime(group->config, interval, NowMs());
  while (true) {
    {
      std::unique_lock<std::mutex> lock(stop_mu_);
      const int64_t wait = next - NowMs();
      if (wait > 0 &&
          stop_cv_.wait_for(lock, std::chrono::milliseconds(wait), [this] { return stopping_; })) {
        return;
      }
      if (stopping_) return;
    }
    EvalGroup(
        static_cast<size_t>(std::find_if(groups_.begin(), groups_.end(),
                                         [group](const auto& g) { return g.get() == group; }) -
                            groups_.begin()),
        next);
    // Skip ticks that passed during a slow evaluation (Prometheus counts
    // them as missed iterations).
    const int64_t now = NowMs();
    next += interval;
    if (now > next) {
      const int64_t missed = (now - next) / interval + 1;
      missed_.fetch_add(missed, std::memory_order_relaxed);
      next += missed * interval;
    }
  }
}

void RuleManager::EvalRule(Group* group, Rule* rule, int64_t ts_ms, store::MetricBatch* batch) {
  const int64_t start = MonotonicNanos();
  api::StoreSeriesSource source(store_);
  promql::Engine engine(&source, options_.engine);
  Result<promql::QueryResult> res = engine.InstantExpr(*rule->expr, ts_ms);
  Result<std::vector<promql::VectorSample>> out = std::vector<promql::VectorSample>{};
  if (!res.ok()) {
    out = res.status();
  } else {
    std::vector<promql::VectorSample> vec;
    if (res->type == promql::ValueType::kScalar) {
      vec.push_back({{}, res->scalar});
    } else if (res->type == promql::ValueType::kVector) {
      vec = std::move(res->vector);
    } else {
      out = Status::InvalidArgument("rule result is not a vector or scalar");
    }
    if (out.ok() && rule->alerting) {
      out = rule->alerting->Eval(vec, ts_ms, group->config.limit);
    } else if (out.ok()) {
      std::map<std::string, bool> seen;
      for (promql::VectorSample& s : vec) {
        promql::SetLabel(&s.labels, promql::kMetricName, rule->config.record);
        for (const auto& [k, v] : rule->config.labels) promql::SetLabel(&s.labels, k, v);
        if (!seen.emplace(promql::LabelsKey(s.labels), true).second) {
          out = Status::FailedPrecondition(
              "vector contains metrics with the same labelset after applying rule labels");
          break;
        }
      }
      if (out.ok() && group->config.limit > 0 &&
          static_cast<int64_t>(vec.size()) > group->config.limit) {
        out =
            Status::FailedPrecondition("exceeded limit of " + std::to_string(group->config.limit) +
                                       " with " + std::to_string(vec.size()) + " series");
      }
      if (out.ok()) out = std::move(vec);
    }
  }
  rule_evaluations_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(rule->mu);
  rule->last_eval_ms = ts_ms;
  if (!out.ok()) {
    rule_failures_.fetch_add(1, std::memory_order_relaxed);
    rule->health = "err";
    rule->last_error = std::string(out.status().message());
  } else {
    rule->health = "ok";
    rule->last_error.clear();
    std::map<std::string, promql::Labels> current;
    for (const promql::VectorSample& s : *out) {
      current.emplace(promql::LabelsKey(s.labels), s.labels);
      batch->series.push_back({ToStore(s.labels), {{ts_ms, s.v}}, {}});
    }
    for (const auto& [key, labels] : rule->previous_series) {
      if (!current.contains(key)) {
        batch->series.push_back({ToStore(labels), {{ts_ms, promql::StaleNaN()}}, {}});
      }
    }
    rule->previous_series = std::move(current);
  }
  rule->eval_seconds = static_cast<double>(MonotonicNanos() - start) / 1e9;
}

void RuleManager::EvalGroup(size_t index, int64_t ts_ms) {
  Group* group = groups_[index].get();
  const int64_t start = MonotonicNanos();
  std::vector<NotificationAlert> notify;
  for (auto& r : group->rules) {
    // Each rule's output is stored before the next rule runs, so a rule may
    // use the series an earlier rule of its group recorded at this time.
    store::MetricBatch batch;
    EvalRule(group, r.get(), ts_ms, &batch);
    if (!batch.series.empty() && store_ != nullptr) {
      Result<store::MetricAppendResult> appended = store_->Append(batch);
      if (appended.ok()) {
        samples_appended_.fetch_add(appended->accepted_samples, std::memory_order_relaxed);
      }
    }
    if (r->alerting == nullptr || notifier_ == nullptr) continue;
    for (const Alert& a :
         r->alerting->TakeAlertsToSend(ts_ms, options_.resend_delay_ms, group->interval_ms)) {
      NotificationAlert n;
      for (const promql::Label& l : a.labels) n.labels.emplace_back(l.name, l.value);
      for (const auto& [k, v] : options_.external_labels) {
        if (promql::GetLabel(a.labels, k).empty()) n.labels.emplace_back(k, v);
      }
      std::sort(n.labels.begin(), n.labels.end());
      n.annotations = a.annotations;
      n.starts_at_ms = a.fired_at_ms;
      n.resolved = a.state == AlertState::kInactive;
      n.newly_resolved = a.newly_resolved;
      n.newly_firing = a.newly_firing;
      n.active_at_ms = a.active_at_ms;
      n.ends_at_ms = n.resolved ? a.resolved_at_ms : a.valid_until_ms;
      n.generator_url =
          options_.external_url + "/graph?g0.expr=" + QueryEscape(r->query) + "&g0.tab=1";
      notify.push_back(std::move(n));
    }
  }
  if (notifier_ != nullptr && !notify.empty()) notifier_->Send(std::move(notify));
  {
    std::lock_guard<std::mutex> lock(group->mu);
    group->last_eval_ms = ts_ms;
    group->eval_seconds = static_cast<double>(MonotonicNanos() - start) / 1e9;
  }
  evaluations_.fetch_add(1, std::memory_order_relaxed);
  PersistIfChanged();
}

void RuleManager::PersistIfChanged() {
  if (options_.state_dir.empty()) return;
  std::lock_guard<std::mutex> lock(persist_mu_);
  std::vector<RuleAlerts> state;
  std::string signature;
  for (const auto& g : groups_) {
    for (const auto& r : g->rules) {
      if (r->alerting == nullptr) continue;
      RuleAlerts ra{g->config.file, g->config.name, r->index, r->config.alert,
                    r->alerting->Alerts()};
      if (ra.alerts.empty()) continue;
      // What must survive a restart; the value and annotations alone
      // changing do not cause a write.
      for (const Alert& a : ra.alerts) {
        signature += promql::LabelsKey(a.labels) + '\x01' + std::to_string(int(a.state)) + ',' +
                     std::to_string(a.active_at_ms) + ',' + std::to_string(a.fired_at_ms) + ',' +
                     std::to_string(a.resolved_at_ms) + ',' + std::to_string(a.last_sent_at_ms) +
                     ',' + std::to_string(a.keep_firing_since_ms) + '\x02';
      }
      state.push_back(std::move(ra));
    }
  }
  if (signature == persisted_signature_) return;
  Status s = WriteAlertStateFile(options_.state_dir + "/state", state);
  if (s.ok()) {
    persisted_signature_ = std::move(signature);
    state_writes_.fetch_add(1, std::memory_order_relaxed);
  } else {
    state_write_failures_.fetch_add(1, std::memory_order_relaxed);
  }
}

std::vector<GroupStatus> RuleManager::Groups() const {
  std::vector<GroupStatus> out;
  for (const auto& g : groups_) {
    GroupStatus gs;
    gs.name = g->config.name;
    gs.file = g->config.file;
    gs.interval_ms = g->interval_ms;
    gs.limit = g->config.limit;
    {
      std::lock_guard<std::mutex> lock(g->mu);
      gs.last_eval_ms = g->last_eval_ms;
      gs.eval_seconds = g->eval_seconds;
    }
    for (const auto& r : g->rules) {
      RuleStatus rs;
      rs.config = r->config;
      rs.query = r->query;
      if (r->alerting) {
        rs.alerts = r->alerting->Alerts();
        rs.alerts.erase(
            std::remove_if(rs.alerts.begin(), rs.alerts.end(),
                           [](const Alert& a) { return a.state == AlertState::kInactive; }),
            rs.alerts.end());
        rs.state = r->alerting->State();
      }
      std::lock_guard<std::mutex> lock(r->mu);
      rs.health = r->health;
      rs.last_error = r->last_error;
      rs.last_eval_ms = r->last_eval_ms;
      rs.eval_seconds = r->eval_seconds;
      gs.rules.push_back(std::move(rs));
    }
    out.push_back(std::move(gs));
  }
  return out;
}

RuleManager::Stats RuleManager::stats() const {
  Stats s;
  s.evaluations = evaluations_.load(std::memory_order_relaxed);
  s.rule_evaluations = rule_evaluations_.load(std::memory_order_relaxed);
  s.rule_failures = rule_failures_.load(std::memory_order_relaxed);
  s.missed_iterations = missed_.load(std::memory_order_relaxed);
  s.samples_appended = samples_appended_.load(std::memory_order_relaxed);
  s.state_writes = state_writes_.load(std::memory_order_relaxed);
  s.state_write_failures = state_write_failures_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace quartet::alert
