#include "server/incident/sources.h"

#include <unordered_map>

namespace quartet::incident {
namespace {

// Profiles read per report at most: the window's CPU profile is a sum, and
// a uniform prefix of it is enough to compare shares.
constexpr int kMaxProfiles = 2000;

bool ForService(const std::vector<std::string>& tags, std::string_view service) {
  bool has_service = false;
  for (const std::string& t : tags) {
    if (t.rfind("service=", 0) == 0) {
      has_service = true;
      if (std::string_view(t).substr(8) == service) return true;
    }
  }
  return !has_service;
}

}  // namespace

AnnotationSource AnnotationsFrom(store::AnnotationStore* annotations) {
  if (annotations == nullptr) return {};
  return [annotations](std::string_view service,
                       store::TimeRange range) -> Result<std::vector<Annotation>> {
    store::AnnotationQuery q;
    q.from_ms = range.start_ns / 1000000;
    q.to_ms = range.end_ns / 1000000;
    q.limit = 1000;
    ASSIGN_OR_RETURN(std::vector<store::Annotation> found, annotations->Find(q));
    std::vector<Annotation> out;
    for (store::Annotation& a : found) {
      if (!ForService(a.tags, service)) continue;
      out.push_back(Annotation{.id = a.id,
                               .time_ns = a.time_ms * 1000000,
                               .text = std::move(a.text),
                               .tags = std::move(a.tags)});
    }
    return out;
  };
}

ProfileSource CpuProfilesFrom(store::ProfileStore* profiles) {
  if (profiles == nullptr) return {};
  return [profiles](std::string_view service,
                    store::TimeRange range) -> Result<std::vector<std::pair<std::string, double>>> {
    const std::vector<store::LabelMatch> matchers = {
        {"service_name", store::LabelMatch::Op::kEq, std::string(service)}};
    ASSIGN_OR_RETURN(std::vector<std::string> types, profiles->ProfileTypes(matchers, range));
    std::string type;
    for (const std::string& t : types) {
      if (t.find(":cpu:") != std::string::npos &&
          (type.empty() || t.rfind("process_cpu:", 0) == 0)) {
        type = t;
      }
    }
    std::unordered_map<std::string, double> self;
    if (type.empty()) return std::vector<std::pair<std::string, double>>{};
    int read = 0;
    RETURN_IF_ERROR(
        profiles->SelectProfiles(type, matchers, range, [&](const store::StoredProfile& p) {
          const pprof::Profile& prof = p.profile;
          std::unordered_map<uint64_t, const pprof::Location*> locations;
          for (const pprof::Location& l : prof.location) locations.emplace(l.id, &l);
          std::unordered_map<uint64_t, std::string_view> functions;
          for (const pprof::Function& f : prof.function)
            functions.emplace(f.id, prof.StringAt(f.name));
          for (const pprof::Sample& s : prof.sample) {
            if (s.location_id.empty() || s.value.empty()) continue;
            auto loc = locations.find(s.location_id.front());  // the leaf
            if (loc == locations.end() || loc->second->line.empty()) continue;
            auto fn = functions.find(loc->second->line.front().function_id);
            if (fn == functions.end() || fn->second.empty()) continue;
            self[std::string(fn->second)] += static_cast<double>(s.value.front());
          }
          return ++read < kMaxProfiles;
        }));
    return std::vector<std::pair<std::string, double>>(self.begin(), self.end());
  };
}

}  // namespace quartet::incident
