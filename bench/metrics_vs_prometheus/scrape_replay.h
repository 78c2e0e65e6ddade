// The "scrape" data set of metrics_vs_prometheus: a real service's /metrics
// scrapes, recorded 15 s apart (data/checkout_scrapes.txt.gz, README.md says
// how), replayed as remote_write series for any length and any number of
// service instances. LoadRecording() parses the recording into one value
// column per series; ScrapeReplay emits one sample per series and step:
//   - cumulative series (counters; histogram _bucket/_sum/_count; summary
//     _sum/_count) continue with their recorded increments in a cycle,
//     value(t) = value(t-1) + delta[i mod n] (a late series stays flat for
//     the transitions before it appeared), and a recorded counter reset
//     stays a reset (the value after it is replayed as recorded);
//   - everything else (gauges, info, summary quantiles) repeats its recorded
//     values in a cycle.
// Instance g replays the cycle from a phase of its own, so that no two
// instances carry the same values at the same time, or (ReplayOrder::
// kShuffle) the recorded transitions in a random order of its own; instance
// 0 reproduces the recording exactly for its first scrapes. A series that appeared during the
// recording (a first 500 of a route, say) is replayed from that scrape on.
// Cumulative values are rounded to the decimals the service printed (the
// recording's text), so that adding decimal increments in binary does not
// give them low-order noise the real service's values do not have.
//
// Header-only because the benchmark target compiles one source file (it is
// registered in server/ingest/otlp/CMakeLists.txt).
// Thread-safety: a Recording is immutable after loading and may be shared;
// one ScrapeReplay per thread.
#pragma once

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "wire/compress/gzip.h"
#include "wire/prometheus/exposition_parser.h"
#include "wire/prometheus/remote_write.h"

namespace mvp {

struct RecordedSeries {
  std::vector<quartet::prometheus::Label> labels;  // sorted by name, __name__ included
  bool cumulative = false;
  int first = 0;               // the first scrape that has it
  std::vector<double> values;  // scrapes first.. (a missing scrape repeats the last value)
  int decimals = -1;           // decimals to round replayed values to; -1: none
};

struct Recording {
  std::vector<RecordedSeries> series;
  int scrapes = 0;
  int64_t first_ms = 0, last_ms = 0;  // when the first and last scrapes were taken
  size_t gauges = 0, cumulatives = 0;
};

namespace internal {

// Decimals after the point that a value printed as `token` carries: "16.06"
// has 2, "4.0669184e+07" 0, "1.5e-05" 6; -1 for NaN, Inf and the unparsable.
inline int TokenDecimals(std::string_view token) {
  size_t e = token.find_first_of("eE");
  std::string_view mantissa = token.substr(0, e);
  const size_t dot = mantissa.find('.');
  int frac = dot == std::string_view::npos ? 0 : static_cast<int>(mantissa.size() - dot - 1);
  int exponent = 0;
  if (e != std::string_view::npos) exponent = std::atoi(std::string(token.substr(e + 1)).c_str());
  for (char c : mantissa) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+')) {
      return -1;
    }
  }
  return std::max(0, frac - exponent);
}

// The value token of a sample line (the last field, or the one before a
// timestamp): used for decimals only, the value itself comes from the parser.
inline std::string_view ValueToken(std::string_view body, size_t line) {
  size_t pos = 0;
  for (size_t l = 1; l < line && pos != std::string_view::npos; ++l) {
    pos = body.find('\n', pos);
    if (pos != std::string_view::npos) ++pos;
  }
  if (pos == std::string_view::npos) return {};
  std::string_view text = body.substr(pos, body.find('\n', pos) - pos);
  const size_t brace = text.rfind('}');
  const size_t start = text.find(' ', brace == std::string_view::npos ? 0 : brace);
  if (start == std::string_view::npos) return {};
  text = text.substr(start + 1);
  return text.substr(0, text.find(' '));
}

inline bool IsCumulative(const quartet::prometheus::ExpositionEntry& e) {
  using quartet::prometheus::FamilyType;
  switch (e.type) {
    case FamilyType::kCounter:
    case FamilyType::kHistogram:
      return true;
    case FamilyType::kSummary:
      return e.name != e.family;  // _sum and _count; the quantiles are gauges
    default:
      return false;
  }
}

}  // namespace internal

// Reads a recording: gzip of "# scrape <n> <unix_ms>" lines, each followed
// by that scrape's body in text format 0.0.4 (lines before the first scrape
// are comments). Errors name the scrape and line.
inline quartet::Result<Recording> LoadRecording(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return quartet::Status::NotFound("cannot open the recording " + path);
  std::stringstream raw;
  raw << in.rdbuf();
  ASSIGN_OR_RETURN(std::string text, quartet::compress::GzipDecompress(raw.str(), 256 << 20));

  Recording rec;
  std::map<std::string, size_t> index;  // series key -> rec.series
  constexpr std::string_view kMarker = "# scrape ";
  size_t at = text.rfind(kMarker, 0) == 0 ? 0 : text.find("\n# scrape ");
  while (at != std::string::npos) {
    if (text[at] == '\n') ++at;
    const size_t body_at = text.find('\n', at);
    if (body_at == std::string::npos) break;
    const std::string header = text.substr(at, body_at - at);
    long long n = 0, ms = 0;
    if (std::sscanf(header.c_str(), "# scrape %lld %lld", &n, &ms) != 2) {
      return quartet::Status::InvalidArgument("bad scrape header: " + header);
    }
    size_t end = text.find("\n# scrape ", body_at);
    const std::string_view body = std::string_view(text).substr(
        body_at + 1, (end == std::string::npos ? text.size() : end + 1) - body_at - 1);
    const int scrape = rec.scrapes++;
    if (scrape == 0) rec.first_ms = ms;
    rec.last_ms = ms;

    quartet::prometheus::ExpositionParser parser(body, quartet::prometheus::Format::kText004);
    quartet::prometheus::ExpositionEntry e;
    while (parser.Next(&e)) {
      if (e.kind != quartet::prometheus::EntryKind::kSample) continue;
      std::vector<quartet::prometheus::Label> labels = {{"__name__", std::string(e.name)}};
      for (const auto& l : e.labels) labels.push_back({std::string(l.name), std::string(l.value)});
      std::sort(labels.begin(), labels.end(),
                [](const auto& a, const auto& b) { return a.name < b.name; });
      std::string key;
      for (const auto& l : labels) key += l.name + '\xff' + l.value + '\xfe';
      auto [it, added] = index.try_emplace(key, rec.series.size());
      if (added) {
        RecordedSeries& s = rec.series.emplace_back();
        s.labels = std::move(labels);
        s.cumulative = internal::IsCumulative(e);
        s.first = scrape;
        ++(s.cumulative ? rec.cumulatives : rec.gauges);
      }
      RecordedSeries& s = rec.series[it->second];
      // A scrape that lacked the series: repeat its last value.
      while (s.first + static_cast<int>(s.values.size()) < scrape)
        s.values.push_back(s.values.back());
      if (s.first + static_cast<int>(s.values.size()) > scrape) {
        return quartet::Status::InvalidArgument("scrape " + std::to_string(n) + " line " +
                                                std::to_string(e.line) +
                                                ": series repeated within the scrape");
      }
      s.values.push_back(e.value);
      s.decimals =
          std::max(s.decimals, internal::TokenDecimals(internal::ValueToken(body, e.line)));
    }
    if (!parser.status().ok()) {
      return quartet::Status::InvalidArgument("scrape " + std::to_string(n) + ": " +
                                              std::string(parser.status().message()));
    }
    at = end;
  }
  if (rec.scrapes < 2) return quartet::Status::InvalidArgument(path + ": fewer than 2 scrapes");
  for (RecordedSeries& s : rec.series) {
    while (s.first + static_cast<int>(s.values.size()) < rec.scrapes) {
      s.values.push_back(s.values.back());
    }
  }
  return rec;
}

// The order in which an instance replays the recorded scrape-to-scrape
// transitions of its cumulative series: kCycle, 0, 1, ... n-2, 0, ... from a
// phase of its own; kShuffle, a fresh random permutation per instance and
// cycle (instance 0's first cycle excepted), so that neither the instances
// nor the cycles repeat each other's increment sequences bit for bit.
enum class ReplayOrder { kCycle, kShuffle };

// Replays a Recording as `instances` instances of the service, one step (one
// sample per live series) at a time; see the file comment. All series of an
// instance take the same transition in a step, so that a histogram's buckets,
// _count and _sum stay consistent with each other.
class ScrapeReplay {
 public:
  ScrapeReplay(const Recording& rec, int instances, ReplayOrder order = ReplayOrder::kCycle)
      : rec_(&rec), order_(order) {
    const int transitions = rec.scrapes - 1;
    for (int g = 0; g < instances; ++g) {
      Instance& in = instances_.emplace_back();
      // 37 scrapes (~9 min) apart, so instances do not move in lockstep.
      in.phase = static_cast<int>((static_cast<int64_t>(g) * 37) % rec.scrapes);
      in.rng.seed(1000 + g);
      for (int t = 0; t < transitions; ++t) in.order.push_back(t);
      for (const RecordedSeries& r : rec.series) {
        Live& l = live_.emplace_back();
        l.rec = &r;
        l.instance = g;
        l.labels = r.labels;
        l.labels.push_back({"instance", "10.1." + std::to_string(g / 10) + "." +
                                            std::to_string(g % 10) + ":9464"});
        l.labels.push_back({"job", "checkout-" + std::to_string(g / 10)});
        std::sort(l.labels.begin(), l.labels.end(),
                  [](const auto& a, const auto& b) { return a.name < b.name; });
      }
    }
  }
  size_t series() const { return live_.size(); }

  // Appends the next step's samples, at t_ms, one TimeSeries each.
  void Step(int64_t t_ms, std::vector<quartet::prometheus::rw::TimeSeries>* out) {
    const int scrapes = rec_->scrapes, transitions = scrapes - 1;
    if (step_ > 0) {
      const int i = step_ - 1;  // this step replays transition i of the instance's sequence
      for (size_t g = 0; g < instances_.size(); ++g) {
        Instance& in = instances_[g];
        if (order_ == ReplayOrder::kCycle) {
          in.transition = (i + in.phase) % transitions;
        } else {
          if (i % transitions == 0 && (g > 0 || i > 0)) {
            std::shuffle(in.order.begin(), in.order.end(), in.rng);
          }
          in.transition = in.order[i % transitions];
        }
      }
    }
    for (Live& l : live_) {
      const RecordedSeries& r = *l.rec;
      if (step_ < r.first) continue;  // not yet seen in the recording
      const Instance& in = instances_[l.instance];
      if (!r.cumulative) {
        const int s = (step_ + in.phase) % scrapes;
        l.value = r.values[std::max(s, r.first) - r.first];
      } else if (step_ == r.first) {
        l.value = r.values[0];
      } else if (in.transition >= r.first) {  // else: before it appeared, flat
        const double from = r.values[in.transition - r.first];
        const double to = r.values[in.transition + 1 - r.first];
        l.value = to < from ? to  // a reset
                            : Round(l.value + (to - from), r.decimals);
      }
      auto& ts = out->emplace_back();
      ts.labels = l.labels;
      ts.samples.push_back({.value = l.value, .timestamp_ms = t_ms});
    }
    ++step_;
  }

 private:
  struct Instance {
    int phase = 0;
    std::mt19937_64 rng;
    std::vector<int> order;  // kShuffle: this cycle's permutation of the transitions
    int transition = 0;      // this step's: recorded scrape t -> t + 1
  };
  struct Live {
    const RecordedSeries* rec = nullptr;
    int instance = 0;
    std::vector<quartet::prometheus::Label> labels;
    double value = 0;
  };

  // The double the service's printer and Prometheus's parser would give for
  // v printed with `decimals` decimals (integers stay exact without this).
  static double Round(double v, int decimals) {
    if (decimals <= 0 || !std::isfinite(v)) return v;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return std::strtod(buf, nullptr);
  }

  const Recording* rec_;
  ReplayOrder order_;
  std::vector<Instance> instances_;
  std::vector<Live> live_;
  int step_ = 0;
};

// Checks that instance 0 of a replay reproduces every recorded value of
// every scrape exactly (the increments, resets, rounding and series that
// appear late); the first mismatch otherwise.
inline quartet::Status CheckReplay(const Recording& rec, ReplayOrder order) {
  ScrapeReplay replay(rec, 1, order);
  std::vector<quartet::prometheus::rw::TimeSeries> out;
  for (int k = 0; k < rec.scrapes; ++k) {
    out.clear();
    replay.Step(k, &out);
    size_t j = 0;
    for (const RecordedSeries& r : rec.series) {
      if (k < r.first) continue;
      const double want = r.values[k - r.first];
      const double got = j < out.size() ? out[j].samples[0].value : std::nan("");
      ++j;
      if (want != got && !(std::isnan(want) && std::isnan(got))) {
        char buf[128];
        std::snprintf(buf, sizeof buf, " at scrape %d: replayed %.17g, recorded %.17g", k, got,
                      want);
        return quartet::Status::Internal("replay of " + r.labels[0].value + buf);
      }
    }
    if (j != out.size()) return quartet::Status::Internal("replay emitted extra series");
  }
  return quartet::Status::Ok();
}

}  // namespace mvp
