// The values the Notifier and the ReportPoster share: one alert as it is
// notified, and one webhook's configuration. Plain values; thread-safe as
// values are.
#pragma once

#include <cstdint>
#include <string>

#include "server/alert/rule_file.h"

namespace quartet::alert {

struct NotificationAlert {
  LabelPairs labels;  // sorted, external labels included
  LabelPairs annotations;
  int64_t starts_at_ms = 0;
  int64_t ends_at_ms = 0;    // in the future while firing
  int64_t active_at_ms = 0;  // when it went pending (the incident window starts here)
  std::string generator_url;
  bool resolved = false;
  bool newly_resolved = false;  // first notification since it resolved
  bool newly_firing = false;    // first notification of this firing episode
};

struct WebhookConfig {
  std::string url;
  bool send_resolved = true;
  std::string name = "webhook";  // the payload's "receiver"
  // The first notification of each firing episode carries the alert's
  // incident report (report_poster.h).
  bool send_report = false;
};

}  // namespace quartet::alert
