// The profile table's write-ahead-log record: one ingested profile (series
// labels, time range and the pprof itself, re-encoded), and the reference
// checks a profile passes before it is logged. Pure functions: thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "server/store/interface.h"
#include "wire/pprof/profile.h"

namespace quartet::store {

struct ProfileRecord {
  Labels labels;
  int64_t from_ns = 0;
  int64_t until_ns = 0;
  pprof::Profile profile;
};

// 'P' | labels | from | until | pprof bytes.
std::string EncodeProfileRecord(const Labels& labels, int64_t from_ns, int64_t until_ns,
                                const pprof::Profile& profile);
// DataLoss when the record is not one EncodeProfileRecord made.
Result<ProfileRecord> DecodeProfileRecord(std::string_view record);

// InvalidArgument naming the first reference that does not resolve: a
// sample's location id, a location's mapping or function id, a duplicate
// id, a string index outside the table, or no sample type at all.
Status CheckProfileRefs(const pprof::Profile& profile);

}  // namespace quartet::store
