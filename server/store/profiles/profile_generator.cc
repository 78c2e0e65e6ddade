#include "server/store/profiles/profile_generator.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace quartet::store {
namespace {

const char* const kPackages[] = {"net/http",
                                 "runtime",
                                 "github.com/acme/shop/internal/cart",
                                 "github.com/acme/shop/internal/db",
                                 "encoding/json",
                                 "github.com/acme/shop/internal/pricing",
                                 "database/sql",
                                 "compress/gzip",
                                 "crypto/tls",
                                 "sync"};
const char* const kVerbs[] = {"Handle", "Serve",  "Read",    "Write",   "Decode", "Encode", "Scan",
                              "Query",  "Lookup", "Compute", "Marshal", "Flush",  "Lock",   "Next"};
const char* const kNouns[] = {"Request", "Cart", "Order", "Row",     "Price", "Token",
                              "Buffer",  "Conn", "Item",  "Session", "Index", "Frame"};

}  // namespace

ProfileGenerator::ProfileGenerator(uint64_t seed, int distinct_stacks, int functions) : rng_(seed) {
  for (int i = 0; i < functions; ++i) {
    const char* pkg = kPackages[rng_() % std::size(kPackages)];
    std::string name = std::string(pkg) + ".(*" + kNouns[rng_() % std::size(kNouns)] + ")." +
                       kVerbs[rng_() % std::size(kVerbs)] + kNouns[rng_() % std::size(kNouns)] +
                       std::to_string(i);
    functions_.push_back(std::move(name));
    files_.push_back("/src/" + std::string(pkg) + "/file" + std::to_string(i % 37) + ".go");
  }
  // A call tree: each stack extends a random earlier one (shared prefixes),
  // roots first; depths between 10 and 40.
  std::vector<std::vector<uint32_t>> root_first;
  for (int s = 0; s < distinct_stacks; ++s) {
    std::vector<uint32_t> st;
    if (!root_first.empty() && rng_() % 4 != 0) {
      st = root_first[rng_() % root_first.size()];
      st.resize(std::min<size_t>(st.size(), 8 + rng_() % 20));
    } else {
      st = {0, 1};  // main, runtime entry
    }
    const size_t depth = 10 + rng_() % 31;
    while (st.size() < depth) st.push_back(static_cast<uint32_t>(2 + rng_() % (functions - 2)));
    root_first.push_back(st);
    std::reverse(st.begin(), st.end());
    stacks_.push_back(std::move(st));
  }
  double sum = 0;
  for (int s = 0; s < distinct_stacks; ++s) {
    sum += 1.0 / std::pow(s + 1, 1.1);
    cumulative_.push_back(sum);
  }
  for (double& c : cumulative_) c /= sum;
}

pprof::Profile ProfileGenerator::Next(int64_t time_ns, int seconds, int cpus,
                                      double span_fraction) {
  pprof::Profile p;
  std::map<std::string, int64_t> strings;
  auto S = [&](const std::string& s) -> int64_t {
    auto [it, fresh] = strings.try_emplace(s, static_cast<int64_t>(p.string_table.size()));
    if (fresh) p.string_table.push_back(s);
    return it->second;
  };
  S("");
  p.sample_type = {{S("samples"), S("count")}, {S("cpu"), S("nanoseconds")}};
  p.period_type = {S("cpu"), S("nanoseconds")};
  p.period = 10'000'000;
  p.time_nanos = time_ns;
  p.duration_nanos = int64_t{seconds} * 1'000'000'000;
  pprof::Mapping m;
  m.id = 1;
  m.memory_start = 0x400000;
  m.memory_limit = 0x1400000;
  m.filename = S("/usr/local/bin/shop");
  m.build_id = S("7f3c2a9e0b1d4c5f");
  m.has_functions = m.has_filenames = m.has_line_numbers = true;
  p.mapping.push_back(m);

  // Per profile, as writers do: functions and locations numbered in order
  // of first use.
  std::map<uint32_t, uint64_t> fn_ids, loc_ids;
  std::map<uint64_t, size_t> sample_of;  // stack index * spans -> sample
  std::uniform_real_distribution<double> u(0, 1);
  const int ticks = seconds * 100 * cpus;
  const uint64_t span_base = span_counter_;
  span_counter_ += 8;
  for (int t = 0; t < ticks; ++t) {
    const size_t s =
        std::lower_bound(cumulative_.begin(), cumulative_.end(), u(rng_)) - cumulative_.begin();
    const size_t stack = std::min(s, stacks_.size() - 1);
    const int span = u(rng_) < span_fraction ? 1 + static_cast<int>(rng_() % 8) : 0;
    auto [it, fresh] = sample_of.try_emplace(stack * 16 + span, p.sample.size());
    if (!fresh) {
      p.sample[it->second].value[0] += 1;
      p.sample[it->second].value[1] += p.period;
      continue;
    }
    pprof::Sample& sample = p.sample.emplace_back();
    sample.value = {1, p.period};
    for (uint32_t f : stacks_[stack]) {
      auto [fit, ffresh] = fn_ids.try_emplace(f, p.function.size() + 1);
      if (ffresh) {
        p.function.push_back(pprof::Function{fit->second, S(functions_[f]), S(functions_[f]),
                                             S(files_[f]), 10 + f * 7});
      }
      auto [lit, lfresh] = loc_ids.try_emplace(f, p.location.size() + 1);
      if (lfresh) {
        pprof::Location loc;
        loc.id = lit->second;
        loc.mapping_id = 1;
        loc.address = 0x401000 + uint64_t{f} * 0x1a4 + 0x2c;
        loc.line.push_back(pprof::Line{fit->second, 12 + f * 7 % 300, 0});
        p.location.push_back(std::move(loc));
      }
      sample.location_id.push_back(lit->second);
    }
    if (span != 0) {
      char id[17];
      snprintf(id, sizeof(id), "%016llx",
               static_cast<unsigned long long>(0x9e3779b97f4a7c15ull * (span_base + span)));
      sample.label.push_back(pprof::Label{S("span_id"), S(id), 0, 0});
      sample.label.push_back(
          pprof::Label{S("span_name"), S(span % 2 ? "GET /cart" : "POST /checkout"), 0, 0});
    }
  }
  return p;
}

}  // namespace quartet::store
