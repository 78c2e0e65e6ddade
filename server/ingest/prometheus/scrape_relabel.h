// Relabeling as Prometheus 2.42 does it (relabel.Process): the rules of a
// job's relabel_configs or metric_relabel_configs applied in order to a label
// set, each reading the result of the one before. Actions replace, keep,
// drop, keepequal, dropequal, hashmod, labelmap, labeldrop, labelkeep,
// lowercase and uppercase; regexes are RE2 and fully anchored (compiled at
// config load, server/config/prometheus_config.h); replacement and
// target_label templates expand $1, ${1}, $name and ${name} as Go's
// Regexp.Expand does (a reference to a group that does not exist, or "$1x",
// which names the group "1x", expands to nothing; "$$" is "$"). A label set
// to an empty value is deleted, as Prometheus's labels.Builder does.
//
// Pure functions; thread-safe (the compiled regexes are immutable).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "server/config/prometheus_config.h"
#include "server/store/interface.h"

namespace re2 {
class RE2;
}

namespace quartet::ingest {

// Applies `rules` to `labels` (sorted by name, names unique; kept so).
// Returns false when a rule dropped the set (keep/drop/keepequal/dropequal),
// and also when nothing is left (Prometheus treats an empty set as dropped).
bool Relabel(std::span<const server::RelabelConfig> rules, store::Labels* labels);

// Go's Regexp.Expand of `tmpl` with the submatches of a match of `re`
// (groups[0] is the whole match; unmatched groups are empty).
std::string ExpandTemplate(const re2::RE2& re, std::string_view tmpl,
                           std::span<const std::string_view> groups);

// Prometheus's hashmod hash: the last 8 bytes of MD5(value), big-endian.
uint64_t HashModSum(std::string_view value);

// Sorted-label-set helpers shared by the scrape code. Get returns "" for an
// absent label; Set with an empty value deletes (Prometheus's Builder).
std::string_view GetLabel(const store::Labels& labels, std::string_view name);
void SetLabel(store::Labels* labels, std::string_view name, std::string_view value);

}  // namespace quartet::ingest
