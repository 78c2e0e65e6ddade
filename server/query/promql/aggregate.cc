// Aggregation operators over one step's instant vector, as Prometheus
// 2.42's engine.go aggregation(): grouping by/without, incremental mean and
// Welford variance, topk/bottomk through a binary heap that breaks ties the
// way Go's container/heap does, count_values labelled with Go's 'f' format.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <unordered_map>

#include "server/query/promql/evaluator.h"
#include "server/query/promql/format.h"

namespace quartet::promql::internal {
namespace {

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Go's container/heap over a slice with a Less function.
class GoHeap {
 public:
  explicit GoHeap(std::function<bool(const VectorSample&, const VectorSample&)> less)
      : less_(std::move(less)) {}
  std::vector<VectorSample> items;

  void Push(VectorSample s) {
    items.push_back(std::move(s));
    Up(items.size() - 1);
  }
  void Pop() {
    size_t n = items.size() - 1;
    std::swap(items[0], items[n]);
    Down(0, n);
    items.pop_back();
  }
  void Fix(size_t i) {
    if (!Down(i, items.size())) Up(i);
  }

 private:
  bool Less(size_t i, size_t j) const { return less_(items[i], items[j]); }
  void Up(size_t j) {
    while (j > 0) {
      size_t i = (j - 1) / 2;
      if (i == j || !Less(j, i)) break;
      std::swap(items[i], items[j]);
      j = i;
    }
  }
  bool Down(size_t i0, size_t n) {
    size_t i = i0;
    while (true) {
      size_t j1 = 2 * i + 1;
      if (j1 >= n) break;
      size_t j = j1;
      if (size_t j2 = j1 + 1; j2 < n && Less(j2, j1)) j = j2;
      if (!Less(j, i)) break;
      std::swap(items[i], items[j]);
      i = j;
    }
    return i > i0;
  }
  std::function<bool(const VectorSample&, const VectorSample&)> less_;
};

bool ByValueLess(const VectorSample& a, const VectorSample& b) {
  if (std::isnan(a.v)) return true;
  return a.v < b.v;
}
bool ByReverseValueLess(const VectorSample& a, const VectorSample& b) {
  if (std::isnan(a.v)) return true;
  return a.v > b.v;
}

struct Group {
  Labels labels;
  double value = 0;
  double mean = 0;
  double count = 0;
  std::vector<double> values;
  GoHeap heap{ByValueLess};
};

}  // namespace

double Quantile(double q, std::vector<double> values) {
  if (values.empty() || std::isnan(q)) return std::numeric_limits<double>::quiet_NaN();
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  std::sort(values.begin(), values.end(), [](double a, double b) {
    if (std::isnan(a)) return !std::isnan(b);
    return a < b;
  });
  double n = static_cast<double>(values.size());
  double rank = q * (n - 1);
  double lower = std::max(0.0, std::floor(rank));
  double upper = std::min(n - 1, lower + 1);
  double weight = rank - std::floor(rank);
  return values[static_cast<size_t>(lower)] * (1 - weight) +
         values[static_cast<size_t>(upper)] * weight;
}

Result<Vector> Aggregate(const Expr& e, const Vector& in, double param, const std::string& label) {
  AggOp op = e.agg;
  std::vector<std::string> grouping = e.grouping;
  if (op == AggOp::kCountValues) {
    if (!IsValidLabelName(label)) return ExecError("invalid label name \"" + label + "\"");
    if (!e.without) grouping.push_back(label);
  }
  int64_t k = 0;
  if (op == AggOp::kTopk || op == AggOp::kBottomk) {
    if (std::isnan(param) || param < 1) return Vector{};
    k = param >= 9.2e18 ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(param);
  }
  std::vector<Group> groups;
  std::unordered_map<std::string, size_t> index;
  // The group key is built in a reused buffer and the sample copied only
  // when count_values must add a label: this loop runs once per input
  // sample per step of a range query.
  std::string key;
  VectorSample labelled;
  for (const VectorSample& in_s : in) {
    const VectorSample* sp = &in_s;
    if (op == AggOp::kCountValues) {
      labelled = in_s;
      SetLabel(&labelled.labels, label, FormatFloat(labelled.v));
      sp = &labelled;
    }
    const VectorSample& s = *sp;
    const auto kept = [&](const Label& l) {
      bool listed = Contains(grouping, l.name);
      return e.without ? (!listed && l.name != kMetricName) : listed;
    };
    SubsetKey(s.labels, kept, &key);
    auto [it, inserted] = index.try_emplace(key, groups.size());
    if (inserted) {
      Labels key_labels;
      for (const Label& l : s.labels) {
        if (kept(l)) key_labels.push_back(l);
      }
      Group g;
      g.labels = std::move(key_labels);
      g.value = s.v;
      g.mean = s.v;
      g.count = 1;
      if (op == AggOp::kStddev || op == AggOp::kStdvar) g.value = 0;
      if (op == AggOp::kQuantile) g.values.push_back(s.v);
      if (op == AggOp::kTopk) g.heap = GoHeap(ByValueLess);
      if (op == AggOp::kBottomk) g.heap = GoHeap(ByReverseValueLess);
      if (op == AggOp::kTopk || op == AggOp::kBottomk) g.heap.items.push_back(s);
      groups.push_back(std::move(g));
      continue;
    }
    Group& g = groups[it->second];
    switch (op) {
      case AggOp::kSum:
        g.value += s.v;
        break;
      case AggOp::kAvg:
        g.count++;
        if (std::isinf(g.mean)) {
          if (std::isinf(s.v) && (g.mean > 0) == (s.v > 0)) break;
          if (!std::isinf(s.v) && !std::isnan(s.v)) break;
        }
        g.mean += s.v / g.count - g.mean / g.count;
        break;
      case AggOp::kGroup:
        break;
      case AggOp::kCount:
      case AggOp::kCountValues:
        g.count++;
        break;
      case AggOp::kMax:
        if (g.value < s.v || std::isnan(g.value)) g.value = s.v;
        break;
      case AggOp::kMin:
        if (g.value > s.v || std::isnan(g.value)) g.value = s.v;
        break;
      case AggOp::kStddev:
      case AggOp::kStdvar: {
        g.count++;
        double delta = s.v - g.mean;
        g.mean += delta / g.count;
        g.value += delta * (s.v - g.mean);
        break;
      }
      case AggOp::kTopk:
      case AggOp::kBottomk: {
        auto& h = g.heap.items;
        bool replace = op == AggOp::kTopk ? (h[0].v < s.v || std::isnan(h[0].v))
                                          : (h[0].v > s.v || std::isnan(h[0].v));
        if (static_cast<int64_t>(h.size()) < k || replace) {
          if (static_cast<int64_t>(h.size()) == k) {
            if (k == 1) {
              h[0] = s;
              break;
            }
            g.heap.Pop();
          }
          g.heap.Push(s);
        }
        break;
      }
      case AggOp::kQuantile:
        g.values.push_back(s.v);
        break;
    }
  }
  Vector out;
  for (Group& g : groups) {
    double v = 0;
    switch (op) {
      case AggOp::kSum:
      case AggOp::kMax:
      case AggOp::kMin:
        v = g.value;
        break;
      case AggOp::kAvg:
        v = g.mean;
        break;
      case AggOp::kCount:
      case AggOp::kCountValues:
        v = g.count;
        break;
      case AggOp::kGroup:
        v = 1;
        break;
      case AggOp::kStdvar:
        v = g.value / g.count;
        break;
      case AggOp::kStddev:
        v = std::sqrt(g.value / g.count);
        break;
      case AggOp::kQuantile:
        v = Quantile(param, std::move(g.values));
        break;
      case AggOp::kTopk:
      case AggOp::kBottomk: {
        auto& h = g.heap.items;
        // Only the set matters (vectors are unordered unless sorted by
        // sort()); a strict order keeps std::sort well-defined with NaNs.
        bool desc = op == AggOp::kTopk;
        std::stable_sort(h.begin(), h.end(), [&](const VectorSample& a, const VectorSample& b) {
          if (std::isnan(a.v) || std::isnan(b.v)) return !std::isnan(a.v) && std::isnan(b.v);
          return desc ? a.v > b.v : a.v < b.v;
        });
        for (VectorSample& s : h) out.push_back(std::move(s));
        continue;
      }
    }
    out.push_back(VectorSample{std::move(g.labels), v});
  }
  return out;
}

}  // namespace quartet::promql::internal
