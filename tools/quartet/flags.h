// A small command-line flag parser for the quartet CLI's subcommands:
// `--name value` and `--name=value`, repeatable flags, and errors that name
// the offending flag. Not thread-safe (used once, in main).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quartet/status.h"

namespace quartet::cli {

struct FlagSpec {
  std::string name;  // without the leading "--"
  std::string help;
  bool required = false;
  bool repeatable = false;
};

class Flags {
 public:
  // Parses args (after the subcommand) against specs; unknown flags, missing
  // values, repeats of non-repeatable flags and missing required flags are
  // InvalidArgument errors naming the flag.
  static Result<Flags> Parse(const std::vector<FlagSpec>& specs,
                             const std::vector<std::string>& args);

  std::optional<std::string> Get(std::string_view name) const;
  std::string GetOr(std::string_view name, std::string fallback) const;
  std::vector<std::string> GetAll(std::string_view name) const;
  // Parses an integer flag; InvalidArgument naming the flag when malformed.
  Result<std::optional<int64_t>> GetInt(std::string_view name) const;

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
};

// "  --name   help" lines for a usage message.
std::string Usage(const std::vector<FlagSpec>& specs);

}  // namespace quartet::cli
