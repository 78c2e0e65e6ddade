#include "server/query/profiles/stack_merger.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <unordered_map>

namespace quartet::profiles {
namespace {

constexpr uint32_t kNone = UINT32_MAX;

// Maps pprof ids (1..n in every profile we have seen, but any uint64 is
// legal) to positions in their array: a direct table when ids are dense, a
// hash map otherwise.
class IdIndex {
 public:
  template <typename T>
  void Build(const std::vector<T>& items) {
    dense_.clear();
    sparse_.clear();
    uint64_t max_id = 0;
    for (const T& item : items) max_id = std::max(max_id, item.id);
    if (max_id <= 4 * items.size() + 64) {
      dense_.assign(max_id + 1, kNone);
      for (size_t i = 0; i < items.size(); ++i) dense_[items[i].id] = static_cast<uint32_t>(i);
      use_dense_ = true;
    } else {
      sparse_.reserve(items.size());
      for (size_t i = 0; i < items.size(); ++i) sparse_.emplace(items[i].id, i);
      use_dense_ = false;
    }
  }
  uint32_t Find(uint64_t id) const {
    if (use_dense_) return id < dense_.size() ? dense_[id] : kNone;
    auto it = sparse_.find(id);
    return it == sparse_.end() ? kNone : it->second;
  }

 private:
  bool use_dense_ = true;
  std::vector<uint32_t> dense_;
  std::unordered_map<uint64_t, uint32_t> sparse_;
};

uint64_t HashFrames(std::span<const uint32_t> frames) {
  uint64_t h = 0x9e3779b97f4a7c15ull ^ frames.size();
  for (uint32_t f : frames) {
    h = (h ^ f) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
  }
  return h | 1;  // never 0, so a zero hash can mean nothing
}

// Eight bytes at a time, multiply-rotate (FxHash-like), then a final mix:
// names are long (C++ signatures), so speed per byte matters more than
// hash quality, and collisions only cost a string compare.
uint64_t HashString(std::string_view s) {
  uint64_t h = s.size();
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (((h << 5) | (h >> 59)) ^ w) * 0x517cc1b727220a95ull;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, s.data() + i, s.size() - i);
  h = (((h << 5) | (h >> 59)) ^ tail) * 0x517cc1b727220a95ull;
  h ^= h >> 32;
  h *= 0x9e3779b97f4a7c15ull;
  return h ^ (h >> 29);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string HexAddress(uint64_t address) {
  char buf[24];
  int n = std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(address));
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace

StackMerger::StackMerger(SampleFilter filter, size_t value_index)
    : filter_(std::move(filter)), value_index_(value_index) {
  slots_.assign(1024, 0);
  name_slots_.assign(1024, {0, 0});
}

uint32_t StackMerger::Intern(std::string_view name) {
  const uint64_t h = HashString(name);
  size_t mask = name_slots_.size() - 1;
  size_t pos = h & mask;
  while (name_slots_[pos].second != 0) {
    const auto& [slot_hash, slot_id] = name_slots_[pos];
    if (slot_hash == h && merged_.names[slot_id - 1] == name) return slot_id - 1;
    pos = (pos + 1) & mask;
  }
  uint32_t id = static_cast<uint32_t>(merged_.names.size());
  merged_.names.emplace_back(name);
  name_slots_[pos] = {h, id + 1};
  if (merged_.names.size() * 2 > name_slots_.size()) GrowNames();
  return id;
}

void StackMerger::GrowNames() {
  std::vector<std::pair<uint64_t, uint32_t>> slots(name_slots_.size() * 2, {0, 0});
  size_t mask = slots.size() - 1;
  for (const auto& slot : name_slots_) {
    if (slot.second == 0) continue;
    size_t pos = slot.first & mask;
    while (slots[pos].second != 0) pos = (pos + 1) & mask;
    slots[pos] = slot;
  }
  name_slots_.swap(slots);
}

void StackMerger::Grow() {
  std::vector<uint32_t> slots(slots_.size() * 2, 0);
  size_t mask = slots.size() - 1;
  for (size_t i = 0; i < merged_.stacks.size(); ++i) {
    size_t pos = hashes_[i] & mask;
    while (slots[pos] != 0) pos = (pos + 1) & mask;
    slots[pos] = static_cast<uint32_t>(i + 1);
  }
  slots_.swap(slots);
}

void StackMerger::AddFrames(std::span<const uint32_t> frames, int64_t value) {
  merged_.total += value;
  uint64_t h = HashFrames(frames);
  size_t mask = slots_.size() - 1;
  size_t pos = h & mask;
  while (uint32_t slot = slots_[pos]) {
    MergedStacks::Stack& s = merged_.stacks[slot - 1];
    if (hashes_[slot - 1] == h && s.depth == frames.size() &&
        std::memcmp(merged_.frames.data() + s.offset, frames.data(),
                    frames.size() * sizeof(uint32_t)) == 0) {
      s.value += value;
      return;
    }
    pos = (pos + 1) & mask;
  }
  MergedStacks::Stack s;
  s.offset = static_cast<uint32_t>(merged_.frames.size());
  s.depth = static_cast<uint32_t>(frames.size());
  s.value = value;
  merged_.frames.insert(merged_.frames.end(), frames.begin(), frames.end());
  merged_.stacks.push_back(s);
  hashes_.push_back(h);
  slots_[pos] = static_cast<uint32_t>(merged_.stacks.size());
  if (merged_.stacks.size() * 2 > slots_.size()) Grow();
}

void StackMerger::AddStack(std::span<const std::string_view> root_first, int64_t value) {
  scratch_.clear();
  for (std::string_view name : root_first) scratch_.push_back(Intern(name));
  AddFrames(scratch_, value);
}

void StackMerger::AddBatch(const store::ProfileBatch& batch, const BatchRowFn& on_profile) {
  if (value_index_ != 0) {  // store profiles carry one value per sample
    if (on_profile) {
      for (const store::ProfileBatchRow& row : batch.rows) on_profile(row, 0);
    }
    return;
  }
  const size_t stacks = batch.stack_count();
  batch_sums_.assign(stacks, 0);
  batch_seen_.assign(stacks, 0);
  batch_touched_.clear();
  const std::vector<uint8_t>& selected = batch.selected_label_sets;
  std::vector<int8_t> accepted;  // per label set: -1 unknown, 0 no, 1 yes
  if (filter_.active()) accepted.assign(batch.label_set_count(), -1);
  auto accepts = [&](uint32_t set) {
    if (!selected.empty() && (set >= selected.size() || !selected[set])) return false;
    if (!filter_.active()) return true;
    if (set >= accepted.size()) return false;
    if (accepted[set] < 0) {
      accepted[set] = 0;
      for (const auto& [key, value] : batch.SampleLabels(set)) {
        if (key != filter_.label_key) continue;
        for (const std::string& v : filter_.values) {
          if (EqualsIgnoreCase(value, v)) accepted[set] = 1;
        }
      }
    }
    return accepted[set] == 1;
  };
  const bool filtering = !selected.empty() || filter_.active();
  for (const store::ProfileBatchRow& row : batch.rows) {
    uint64_t sum = 0;
    for (size_t i = 0; i < row.stacks.size(); ++i) {
      const int64_t v = row.values[i];
      const uint32_t stack = row.stacks[i];
      if (v == 0 || stack >= stacks) continue;
      if (filtering && !accepts(row.label_sets[i])) continue;
      if (!batch_seen_[stack]) {
        batch_seen_[stack] = 1;
        batch_touched_.push_back(stack);
      }
      batch_sums_[stack] += static_cast<uint64_t>(v);
      sum += static_cast<uint64_t>(v);
    }
    if (on_profile) on_profile(row, static_cast<int64_t>(sum));
  }
  // Location -> its frame (or kMulti | its span of inlined frames), named
  // and interned on first use: distinct stacks often differ only in a few
  // locations, so each location is named once per batch, not per stack.
  constexpr uint32_t kMulti = 0x80000000u;
  const size_t locations = batch.location_count();
  batch_loc_entry_.assign(locations, kNone);
  loc_frames_.clear();
  loc_span_.clear();
  for (uint32_t stack : batch_touched_) {
    scratch_.clear();
    std::span<const uint32_t> locs = batch.Stack(stack);
    for (size_t i = locs.size(); i-- > 0;) {
      const uint32_t loc = locs[i];
      if (loc >= locations) continue;
      uint32_t entry = batch_loc_entry_[loc];
      if (entry == kNone) {
        batch_names_.clear();
        batch.AppendLocationFrames(loc, &batch_names_);
        if (batch_names_.size() == 1) {
          entry = Intern(batch_names_[0]);
        } else {
          const size_t first = loc_frames_.size();
          for (std::string_view name : batch_names_) loc_frames_.push_back(Intern(name));
          loc_span_.push_back(
              {static_cast<uint32_t>(first), static_cast<uint32_t>(batch_names_.size())});
          entry = kMulti | static_cast<uint32_t>(loc_span_.size() - 1);
        }
        batch_loc_entry_[loc] = entry;
      }
      if ((entry & kMulti) == 0) {
        scratch_.push_back(entry);
      } else {
        const auto& [offset, count] = loc_span_[entry & ~kMulti];
        scratch_.insert(scratch_.end(), loc_frames_.begin() + offset,
                        loc_frames_.begin() + offset + count);
      }
    }
    AddFrames(scratch_, static_cast<int64_t>(batch_sums_[stack]));
  }
}

int64_t StackMerger::Add(const pprof::Profile& p) {
  // Function position -> interned name.
  IdIndex function_index;
  function_index.Build(p.function);
  std::vector<uint32_t> function_name(p.function.size(), kNone);
  auto function_frame = [&](uint64_t function_id) -> uint32_t {
    uint32_t pos = function_index.Find(function_id);
    if (pos == kNone) return kNone;
    if (function_name[pos] == kNone) {
      const pprof::Function& f = p.function[pos];
      std::string_view name = p.StringAt(f.name);
      if (name.empty()) name = p.StringAt(f.system_name);
      if (name.empty()) return kNone;
      function_name[pos] = Intern(name);
    }
    return function_name[pos];
  };

  // Location position -> its frames, outermost first (pprof lists a
  // location's lines innermost first), resolved on first use. A location
  // with one frame (no inlining: the common case) is stored as that frame id;
  // otherwise kMulti | index into loc_span_.
  constexpr uint32_t kMulti = 0x80000000u;
  IdIndex location_index;
  location_index.Build(p.location);
  loc_frames_.clear();
  loc_span_.clear();
  std::vector<uint32_t> loc_entry(p.location.size(), kNone);
  auto resolve = [&](uint32_t pos) -> uint32_t {
    const pprof::Location& loc = p.location[pos];
    const size_t first = loc_frames_.size();
    for (size_t i = loc.line.size(); i-- > 0;) {
      uint32_t frame = function_frame(loc.line[i].function_id);
      if (frame != kNone) loc_frames_.push_back(frame);
    }
    if (loc_frames_.size() == first) loc_frames_.push_back(Intern(HexAddress(loc.address)));
    if (loc_frames_.size() - first == 1) {
      uint32_t frame = loc_frames_.back();
      loc_frames_.pop_back();
      return frame;
    }
    loc_span_.push_back(
        {static_cast<uint32_t>(first), static_cast<uint32_t>(loc_frames_.size() - first)});
    return kMulti | static_cast<uint32_t>(loc_span_.size() - 1);
  };
  uint32_t unknown_frame = kNone;

  // Label filter: which string indexes are the key and accepted values.
  std::vector<char> key_ok, value_ok;
  if (filter_.active()) {
    key_ok.assign(p.string_table.size(), 0);
    value_ok.assign(p.string_table.size(), 0);
    for (size_t i = 0; i < p.string_table.size(); ++i) {
      const std::string& s = p.string_table[i];
      if (s == filter_.label_key) key_ok[i] = 1;
      for (const std::string& v : filter_.values) {
        if (EqualsIgnoreCase(s, v)) value_ok[i] = 1;
      }
    }
  }
  auto accepted = [&](const pprof::Sample& s) {
    for (const pprof::Label& l : s.label) {
      if (l.key >= 0 && static_cast<size_t>(l.key) < key_ok.size() && key_ok[l.key] && l.str > 0 &&
          static_cast<size_t>(l.str) < value_ok.size() && value_ok[l.str]) {
        return true;
      }
    }
    return false;
  };

  int64_t sum = 0;
  for (size_t si = 0; si < p.sample.size(); ++si) {
    const pprof::Sample& s = p.sample[si];
    // Each sample's vectors are separate heap blocks: fetching the next
    // ones early hides most of the cache misses of a memory-bound loop.
    if (si + 4 < p.sample.size()) {
      __builtin_prefetch(p.sample[si + 4].location_id.data());
      __builtin_prefetch(p.sample[si + 4].value.data());
    }
    if (value_index_ >= s.value.size() || s.value[value_index_] == 0) continue;
    if (filter_.active() && !accepted(s)) continue;
    scratch_.clear();
    for (size_t i = s.location_id.size(); i-- > 0;) {
      uint32_t pos = location_index.Find(s.location_id[i]);
      uint32_t entry;
      if (pos == kNone) {  // a location id the profile does not define
        if (unknown_frame == kNone) unknown_frame = Intern("unknown");
        entry = unknown_frame;
      } else {
        entry = loc_entry[pos];
        if (entry == kNone) entry = loc_entry[pos] = resolve(pos);
      }
      if ((entry & kMulti) == 0) {
        scratch_.push_back(entry);
      } else {
        const auto& [offset, count] = loc_span_[entry & ~kMulti];
        scratch_.insert(scratch_.end(), loc_frames_.begin() + offset,
                        loc_frames_.begin() + offset + count);
      }
    }
    int64_t v = s.value[value_index_];
    sum += v;
    AddFrames(scratch_, v);
  }
  return sum;
}

}  // namespace quartet::profiles
