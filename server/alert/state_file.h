// The alert state file, <data-dir>/alerts/state: every alerting rule's
// active alerts (labels, annotations, state, activeAt, firedAt, resolvedAt,
// last sent, keep-firing-since, value), so that a firing alert is still
// firing after a restart and a pending one keeps its activeAt (Prometheus
// instead rebuilds activeAt from ALERTS_FOR_STATE; a file also keeps what
// was notified). Format (docs/alerting.md): one header line
//   quartet-alert-state 1 <crc32c of the rest, 8 hex digits>\n
// then a JSON document. Written to a temporary file, fsync'd and renamed
// over the old one (then the directory fsync'd), so a crash leaves the old
// or the new state, never a mix; a file whose checksum does not match is
// refused (DataLoss) rather than half-trusted.
//
// Pure functions plus file I/O; thread-safe (callers serialize writes to
// one path).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "server/alert/alerting_rule.h"

namespace quartet::alert {

// One alerting rule's alerts, identified by its file, group, position in
// the group (0-based) and name.
struct RuleAlerts {
  std::string file;
  std::string group;
  size_t index = 0;
  std::string rule;
  std::vector<Alert> alerts;
  friend bool operator==(const RuleAlerts&, const RuleAlerts&) = default;
};

std::string EncodeAlertState(const std::vector<RuleAlerts>& rules);
// DataLoss for a bad checksum, InvalidArgument for a malformed document.
Result<std::vector<RuleAlerts>> DecodeAlertState(std::string_view data);

// Atomically replaces `path` (its directory must exist).
Status WriteAlertStateFile(const std::string& path, const std::vector<RuleAlerts>& rules);
// NotFound when there is no file.
Result<std::vector<RuleAlerts>> ReadAlertStateFile(const std::string& path);

}  // namespace quartet::alert
