// ProfileSegment: the columnar form of a set of profiles, shared by the
// profile table's in-memory head and its blocks (docs/formats/profiles.md).
// Symbols are stored once per segment: strings, functions, mappings and
// locations are deduplicated by content (so per service and version, and
// across them when identical), stacks (location sequences) are stored once
// and referenced by id, and so are sample label sets (span_id, span_name,
// ...). Each profile is a row (series, time, duration, period, sample type)
// pointing at a run of sample rows (stack id, value, label set id).
//
// A block holds one encoded segment in sections: "index" (series, profile
// rows and the span_id posting lists, enough to pick profiles without
// touching the rest) and "strings", "symbols", "stacks", "samples" (read only
// for the profiles a query materializes).
//
// Thread-compatible: Add mutates; const methods may run concurrently when no
// Add runs (the table serialises them with its own lock).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "server/store/interface.h"
#include "server/store/label_match.h"
#include "wire/pprof/profile.h"

namespace quartet::store {

// "<name>:<sample type>:<sample unit>:<period type>:<period unit>" of sample
// type `index` of `profile`, `name` being the series' __name__.
std::string ProfileTypeId(std::string_view name, const pprof::Profile& profile, size_t index);

// Sample label names that select samples, not series: a matcher on one of
// them keeps the samples whose label satisfies it (profiles left with none
// are skipped). Everything else matches series labels.
bool IsSampleLabelName(std::string_view name);

// One profile row of a segment.
struct ProfileRow {
  uint32_t series = 0;
  int64_t time_ns = 0;
  int64_t duration_ns = 0;
  int64_t period = 0;
  uint32_t period_type = 0, period_unit = 0;  // string ids
  uint32_t sample_type = 0, sample_unit = 0;  // string ids
  uint32_t first_sample = 0;
  uint32_t samples = 0;
};

struct ProfileSeries {
  Labels labels;
  std::string profile_type;
};

class ProfileSegment {
 public:
  ProfileSegment();
  // string_ids_ holds views into strings_: movable, not copyable.
  ProfileSegment(ProfileSegment&&) = default;
  ProfileSegment& operator=(ProfileSegment&&) = default;
  ProfileSegment(const ProfileSegment&) = delete;
  ProfileSegment& operator=(const ProfileSegment&) = delete;

  // Adds every sample type of `profile` (a decoded, hence consistent, pprof)
  // as one profile row of the series (labels, type). Samples with value 0
  // are dropped. Returns the profile rows and samples added.
  ProfileAppendResult Add(const Labels& labels, int64_t time_ns, int64_t duration_ns,
                          const pprof::Profile& profile);

  size_t profile_count() const { return profiles_.size(); }
  size_t sample_count() const { return sample_stack_.size(); }
  const ProfileRow& profile(size_t i) const { return profiles_[i]; }
  const std::vector<ProfileSeries>& series() const { return series_; }
  // Approximate heap bytes, for the flush threshold and the memory limit.
  size_t bytes() const { return bytes_; }
  int64_t min_time_ns() const { return min_time_; }
  int64_t max_time_ns() const { return max_time_; }

  // Profile rows whose samples carry span_id `value` (sorted), from the
  // posting lists.
  std::vector<uint32_t> ProfilesWithSpan(std::string_view value) const;

  // Rebuilds profile row i as a pprof restricted to its sample type, keeping
  // only samples whose labels satisfy `sample_filter` (null: all). Symbols
  // are renumbered densely and only those referenced are included. Requires
  // has_data().
  StoredProfile Materialize(size_t i, const CompiledMatchers* sample_filter = nullptr) const;
  // Profile rows `rows` as one ProfileBatch over this segment's symbols
  // (what merges read instead of Materialize: no per-profile copies), with
  // the rows left without samples by `sample_filter` (null: all pass)
  // dropped. Valid while the segment lives and no Add runs. Requires
  // has_data().
  std::unique_ptr<ProfileBatch> Batch(std::span<const uint32_t> rows,
                                      const CompiledMatchers* sample_filter = nullptr) const;
  // Sum of the sample values of profile row i. Requires has_data().
  int64_t Total(size_t i) const;

  // Block sections: name -> bytes.
  std::map<std::string, std::string> Encode() const;
  // Decodes the "index" section only (series, profile rows, postings);
  // Materialize needs LoadData first.
  static Result<ProfileSegment> DecodeIndex(std::string_view index);
  // Decodes the other sections into an index-only segment, validating every
  // reference so that Materialize cannot read out of bounds.
  Status LoadData(std::string_view strings, std::string_view symbols, std::string_view stacks,
                  std::string_view samples);
  bool has_data() const { return has_data_; }

 private:
  class SegmentBatch;

  struct Function {
    uint32_t name = 0, system_name = 0, filename = 0;
    int64_t start_line = 0;
  };
  struct Mapping {
    uint64_t start = 0, limit = 0, offset = 0;
    uint32_t filename = 0, build_id = 0;
    uint32_t flags = 0;
  };
  struct Line {
    uint32_t function = 0;
    int64_t line = 0, column = 0;
  };
  struct Location {
    uint32_t mapping = 0;  // index + 1; 0 = none
    uint64_t address = 0;
    bool folded = false;
    std::vector<Line> lines;
  };
  struct LabelEntry {
    uint32_t key = 0, str = 0, num_unit = 0;
    int64_t num = 0;
  };

  uint32_t Intern(std::string_view s);
  Labels SampleLabels(uint32_t label_set) const;

  // Symbols.
  std::deque<std::string> strings_;  // a deque: string_ids_ holds views into it
  std::unordered_map<std::string_view, uint32_t> string_ids_;
  std::vector<Function> functions_;
  std::vector<Mapping> mappings_;
  std::vector<Location> locations_;
  std::vector<std::vector<uint32_t>> stacks_;  // location indexes, leaf first
  std::vector<std::vector<LabelEntry>> label_sets_;
  std::unordered_map<std::string, uint32_t> function_ids_, mapping_ids_, location_ids_, stack_ids_,
      label_set_ids_;

  // Series and profiles.
  std::vector<ProfileSeries> series_;
  std::map<std::pair<Labels, std::string>, uint32_t> series_ids_;
  std::vector<ProfileRow> profiles_;
  std::vector<uint32_t> sample_stack_;
  std::vector<int64_t> sample_value_;
  std::vector<uint32_t> sample_labels_;  // label set id; 0 = no labels
  std::map<std::string, std::vector<uint32_t>, std::less<>> span_postings_;

  size_t bytes_ = 0;
  int64_t min_time_ = INT64_MAX, max_time_ = INT64_MIN;
  bool has_data_ = true;
};

}  // namespace quartet::store
