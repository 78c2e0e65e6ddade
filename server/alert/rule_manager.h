// RuleManager: evaluates Prometheus rule groups (rule_file.h) over the
// MetricStore, as Prometheus 2.42's rules.Manager does for one server:
// each group on its own thread at its interval (default
// global.evaluation_interval), its rules in order at the same timestamp;
// recording rules append their result series to the store; alerting rules
// (alerting_rule.h) append ALERTS and ALERTS_FOR_STATE; a series a rule
// wrote at the previous evaluation and not at this one gets a staleness
// marker. Evaluation times are aligned like Prometheus: a group evaluates at
// multiples of its interval plus an offset (FNV-1a of file and group name
// modulo the interval), so restarts keep the same phase and groups spread.
//
// After each evaluation the firing and resolved alerts due for (re)sending
// go to the Notifier, and when any alert's state changed the state of all
// alerting rules is written to <state_dir>/state (state_file.h), from which
// Start() restores it: a firing alert stays firing across a restart and a
// pending one keeps its activeAt.
//
// Thread-safety: Start/Stop from one thread; Groups() and stats() from any.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "server/alert/alerting_rule.h"
#include "server/alert/notifier.h"
#include "server/alert/rule_file.h"
#include "server/query/promql/engine.h"
#include "server/store/interface.h"

namespace quartet::alert {

struct RuleManagerOptions {
  std::string state_dir;  // "" keeps no state across restarts
  int64_t default_interval_ms = 60'000;
  LabelPairs external_labels;
  std::string external_url = "http://localhost:4318";
  int64_t resend_delay_ms = 60'000;  // Prometheus's --rules.alert.resend-delay
  promql::EngineOptions engine;
};

// What /api/v1/rules shows of one rule.
struct RuleStatus {
  RuleConfig config;
  std::string query;  // the expression as Prometheus prints it
  AlertState state = AlertState::kInactive;
  std::vector<Alert> alerts;       // alerting rules: active ones
  std::string health = "unknown";  // "ok", "err", "unknown"
  std::string last_error;
  int64_t last_eval_ms = 0;  // 0: never
  double eval_seconds = 0;
};

struct GroupStatus {
  std::string name;
  std::string file;
  int64_t interval_ms = 0;
  int64_t limit = 0;
  std::vector<RuleStatus> rules;
  int64_t last_eval_ms = 0;
  double eval_seconds = 0;
};

class RuleManager {
 public:
  // Parses every rule's expression (InvalidArgument naming the rule when
  // one does not). `store` and `notifier` (may be null) must outlive it.
  static Result<std::unique_ptr<RuleManager>> Create(std::vector<RuleGroupConfig> groups,
                                                     store::MetricStore* store, Notifier* notifier,
                                                     RuleManagerOptions options);
  ~RuleManager();  // Stop()

  // Restores alert state from the state file (a damaged file is reported in
  // the returned status and ignored) and starts one thread per group.
  Status Start();
  // Stops the groups (a running evaluation finishes first).
  void Stop();

  // Evaluates group `index` at ts_ms now, on the calling thread (tests).
  void EvalGroup(size_t index, int64_t ts_ms);

  std::vector<GroupStatus> Groups() const;
  // The next evaluation time of a group at or after now_ms (alignment).
  static int64_t AlignedEvalTime(const RuleGroupConfig& group, int64_t interval_ms, int64_t now_ms);

  struct Stats {
    int64_t evaluations = 0;        // group evaluations
    int64_t rule_evaluations = 0;   // rule evaluations
    int64_t rule_failures = 0;      // rule evaluations that failed
    int64_t missed_iterations = 0;  // evaluations skipped because one ran late
    int64_t samples_appended = 0;   // recording, ALERTS and stale samples stored
    int64_t state_writes = 0;       // state file writes
    int64_t state_write_failures = 0;
  };
  Stats stats() const;
  size_t group_count() const { return groups_.size(); }

 private:
  struct Rule;
  struct Group;
  RuleManager(store::MetricStore* store, Notifier* notifier, RuleManagerOptions options);
  void Run(Group* group);
  void EvalRule(Group* group, Rule* rule, int64_t ts_ms, store::MetricBatch* batch);
  void PersistIfChanged();

  store::MetricStore* const store_;
  Notifier* const notifier_;
  const RuleManagerOptions options_;
  std::vector<std::unique_ptr<Group>> groups_;

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;

  std::mutex persist_mu_;  // serializes state file writes
  std::string persisted_signature_;

  std::atomic<int64_t> evaluations_{0}, rule_evaluations_{0}, rule_failures_{0}, missed_{0},
      samples_appended_{0}, state_writes_{0}, state_write_failures_{0};
};

}  // namespace quartet::alert
