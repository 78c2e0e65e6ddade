// Fuzzes the metric chunk decoder and the metric table's WAL records: the
// input as a serialized chunk, as the two streams of a block chunk (split at
// a point the first bytes choose), and as a WAL record. Nothing may crash or
// read out of bounds; decoded timestamps must strictly increase, and every
// decoded chunk must re-encode to one that decodes to the same bits. The
// two-stream form is also read with the compact value coding of sealed head
// chunks and format-2 blocks, whose values must re-encode the same way.
// The batch decoders (chunk_decode.h) must agree with the iterator: the
// same samples where it decodes them all, an error where it fails.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "server/store/metrics/chunk.h"
#include "server/store/metrics/chunk_decode.h"
#include "server/store/metrics/metric_record.h"

namespace {

using namespace quartet::store;

void CheckIterator(ChunkIterator it) {
  std::vector<std::pair<int64_t, uint64_t>> samples;
  while (it.Next()) {
    if (!samples.empty() && it.t() <= samples.back().first) std::abort();
    samples.emplace_back(it.t(), it.value_bits());
  }
  if (samples.size() > kChunkMaxSamples) std::abort();
  ChunkAppender again;
  for (const auto& [t, bits] : samples) {
    if (!again.Append(t, std::bit_cast<double>(bits))) std::abort();
  }
  const std::string encoded = again.Encode();
  ChunkIterator back(encoded);
  for (const auto& [t, bits] : samples) {
    if (!back.Next() || back.t() != t || back.value_bits() != bits) std::abort();
  }
  if (back.Next() || !back.status().ok()) std::abort();
}

// The compact coding: what decodes must re-encode (EncodeCompactValues) to
// values that decode to the same bits over the same timestamp stream.
void CheckCompact(uint32_t samples, std::string_view timestamps, std::string_view values) {
  std::vector<int64_t> ts;
  std::vector<uint64_t> bits;
  ChunkIterator it(samples, timestamps, values, ValueCoding::kCompact);
  while (it.Next()) {
    if (!ts.empty() && it.t() <= ts.back()) std::abort();
    ts.push_back(it.t());
    bits.push_back(it.value_bits());
  }
  const std::string encoded = EncodeCompactValues(bits);
  ChunkIterator back(static_cast<uint32_t>(bits.size()), timestamps, encoded,
                     ValueCoding::kCompact);
  for (size_t i = 0; i < bits.size(); ++i) {
    if (!back.Next() || back.t() != ts[i] || back.value_bits() != bits[i]) std::abort();
  }
  if (back.Next() || !back.status().ok()) std::abort();
}

void CheckBatch(uint32_t samples, std::string_view timestamps, std::string_view values,
                ValueCoding coding) {
  std::vector<std::pair<int64_t, uint64_t>> expected;
  ChunkIterator it(samples, timestamps, values, coding);
  while (it.Next()) expected.emplace_back(it.t(), it.value_bits());
  const bool whole = it.status().ok() && expected.size() == samples;
  std::vector<int64_t> t(samples);
  std::vector<uint64_t> bits(samples);
  const bool ok = DecodeTimestamps(timestamps, t).ok() && DecodeValues(values, coding, bits).ok();
  if (ok != whole) std::abort();
  if (!ok) return;
  for (size_t i = 0; i < samples; ++i) {
    if (t[i] != expected[i].first || bits[i] != expected[i].second) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  CheckIterator(ChunkIterator(in));
  if (size >= 3) {
    const uint32_t samples = static_cast<uint8_t>(in[0]);
    const size_t split = static_cast<uint8_t>(in[1]) % (size - 1);
    std::string_view rest = in.substr(2);
    CheckIterator(
        ChunkIterator(samples, rest.substr(0, split), rest.substr(std::min(split, rest.size()))));
    CheckCompact(samples, rest.substr(0, split), rest.substr(std::min(split, rest.size())));
    for (ValueCoding coding : {ValueCoding::kStream, ValueCoding::kCompact}) {
      CheckBatch(samples, rest.substr(0, split), rest.substr(std::min(split, rest.size())), coding);
    }
  }
  if (auto r = DecodeMetricRecord(in); r.ok()) {
    for (const SeriesRecordEntry& s : r->series) {
      if (!ValidLabels(s.labels)) std::abort();
    }
  }
  return 0;
}
