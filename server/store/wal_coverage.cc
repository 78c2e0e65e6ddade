#include "server/store/wal_coverage.h"

#include <charconv>

namespace quartet::store {

std::string WalUntilJson(uint64_t segment) {
  return "{\"wal_until\":" + std::to_string(segment) + "}";
}

uint64_t ParseWalUntil(std::string_view extra_json) {
  constexpr std::string_view kKey = "\"wal_until\":";
  const size_t at = extra_json.find(kKey);
  if (at == std::string_view::npos) return 0;
  std::string_view rest = extra_json.substr(at + kKey.size());
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v);
  return ec == std::errc() ? v : 0;
}

}  // namespace quartet::store
