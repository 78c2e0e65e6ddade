// W3C Baggage header (`baggage: k=v;prop,k2=v2`): parsing and formatting.
// Spec: https://www.w3.org/TR/baggage/ . Values are percent-decoded on parse
// and percent-encoded on format. Parsing is lenient per member: an invalid
// list-member is skipped (and counted), the others are kept. Limits: at least
// 64 members and 8192 bytes must be propagated; we keep up to 180 members and
// 8192 bytes and never emit part of a member. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace quartet::w3c {

inline constexpr size_t kMaxBaggageMembers = 180;
inline constexpr size_t kMaxBaggageBytes = 8192;

struct BaggageMember {
  std::string key;         // an RFC 7230 token
  std::string value;       // decoded (may hold any bytes)
  std::string properties;  // raw, validated metadata after the first ';' ("p1;p2=v"), or ""
  friend bool operator==(const BaggageMember&, const BaggageMember&) = default;
};

struct BaggageParse {
  std::vector<BaggageMember> members;
  size_t invalid = 0;     // members skipped because they broke the grammar
  size_t over_limit = 0;  // valid members skipped because of the count/byte limits
};

// RFC 7230 token: 1+ of ALPHA DIGIT and !#$%&'*+-.^_`|~
bool IsBaggageKey(std::string_view key);

// Parses one header value (several headers joined with ',').
BaggageParse ParseBaggage(std::string_view header);

// Encodes members in order, skipping ones with an invalid key or properties
// and stopping before a member that would exceed the count or byte limits.
std::string FormatBaggage(const std::vector<BaggageMember>& members);

// Percent-encodes every byte that is not a baggage-octet (and '%' itself).
std::string PercentEncodeBaggageValue(std::string_view value);

}  // namespace quartet::w3c
