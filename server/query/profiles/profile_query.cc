#include "server/query/profiles/profile_query.h"

namespace quartet::profiles {

Result<MergeResult> MergeSelection(store::ProfileStore* store, const Selection& selection,
                                   Timeline* timeline) {
  StackMerger merger(selection.filter);
  int64_t profiles = 0;
  Status batched = store->SelectProfileBatches(
      selection.type.Id(), selection.matchers, selection.range,
      [&](const store::ProfileBatch& batch) {
        merger.AddBatch(batch, [&](const store::ProfileBatchRow& row, int64_t sum) {
          if (timeline != nullptr) timeline->Add(row.time_ns, sum);
          ++profiles;
        });
        return true;
      });
  if (batched.ok() || profiles > 0 || batched.code() != StatusCode::kFailedPrecondition) {
    RETURN_IF_ERROR(batched);
    MergeResult result;
    result.stacks = merger.Release();
    result.profiles = profiles;
    return result;
  }
  // A store without batches: one materialized pprof per profile.
  RETURN_IF_ERROR(store->SelectProfiles(selection.type.Id(), selection.matchers, selection.range,
                                        [&](const store::StoredProfile& p) {
                                          int64_t sum = merger.Add(p.profile);
                                          if (timeline != nullptr) timeline->Add(p.time_ns, sum);
                                          ++profiles;
                                          return true;
                                        }));
  MergeResult result;
  result.stacks = merger.Release();
  result.profiles = profiles;
  return result;
}

}  // namespace quartet::profiles
