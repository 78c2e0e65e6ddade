// The "scrape" data set of metrics_vs_prometheus: a real service's /metrics
// scrapes, recorded 15 s apart (data/checkout_scrapes.txt.gz, README.md says
// how), replayed as remote_write series for any length and any number of
// service instances. LoadRecording() parses the recording into one value
// column per series; ScrapeReplay emits one sample per series and step:
//   - cumulative series (counters; histogram _bucket/_sum/_count; summary
//     _sum/_count) continue with their recorded increments in a cycle,
//     value(t) = value(t-1) + delta[i mod n], and a recorded counter reset
//     stays a reset (the value after it is replayed as recorded);
//   - everything else (gauges, info, summary quantiles) repeats its recorded
//     values in a cycle.
// Instance g replays the cycle from a phase of its own, so that no two
// instances carry the same values at the same time; instance 0 reproduces the
// recording exactly for its first scrapes. A series that appeared during the
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

// Replays a Recording as `instances` instances of the service, one step (one
// sample per live series) at a time; see the file comment.
class ScrapeReplay {
 public:
  ScrapeReplay(const Recording& rec, int instances) {
    for (int g = 0; g < instances; ++g) {
      for (const RecordedSeries& r : rec.series) {
        Live& l = live_.emplace_back();
        l.rec = &r;
        l.labels = r.labels;
        l.labels.push_back({"instance", "10.1." + std::to_string(g / 10) + "." +
                                            std::to_string(g % 10) + ":9464"});
        l.labels.push_back({"job", "checkout-" + std::to_string(g / 10)});
        std::sort(l.labels.begin(), l.labels.end(),
                  [](const auto& a, const auto& b) { return a.name < b.name; });
        // 37 scrapes (~9 min) apart, so instances do not move in lockstep.
        l.phase = static_cast<int>((static_cast<int64_t>(g) * 37) % rec.scrapes);
      }
    }
  }
  size_t series() const { return live_.size(); }

  // Appends the next step's samples, at t_ms, one TimeSeries each.
  void Step(int64_t t_ms, std::vector<quartet::prometheus::rw::TimeSeries>* out) {
    for (Live& l : live_) {
      const RecordedSeries& r = *l.rec;
      const int k = step_ - r.first;  // steps since the series appeared
      if (k < 0) continue;
      const int n = static_cast<int>(r.values.size());
      if (!r.cumulative || n == 1) {
        l.value = r.values[(k + l.phase) % n];
      } else if (k == 0) {
        l.value = r.values[0];
      } else {
        // Delta i goes from recorded value i to i + 1 (n - 1 of them).
        const int i = (k - 1 + l.phase) % (n - 1);
        l.value = r.values[i + 1] < r.values[i]
                      ? r.values[i + 1]  // a reset
                      : Round(l.value + (r.values[i + 1] - r.values[i]), r.decimals);
      }
      auto& ts = out->emplace_back();
      ts.labels = l.labels;
      ts.samples.push_back({.value = l.value, .timestamp_ms = t_ms});
    }
    ++step_;
  }

 private:
  struct Live {
    const RecordedSeries* rec = nullptr;
    std::vector<quartet::prometheus::Label> labels;
    int phase = 0;
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

  std::vector<Live> live_;
  int step_ = 0;
};

// Checks that instance 0 of a replay reproduces every recorded value of
// every scrape exactly (the increments, resets, rounding and series that
// appear late); the first mismatch otherwise.
inline quartet::Status CheckReplay(const Recording& rec) {
  ScrapeReplay replay(rec, 1);
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
