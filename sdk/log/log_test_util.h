// Helpers shared by the sdk/log tests: a temporary output file and reading
// its lines back as parsed JSON.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "wire/json/json_parser.h"

namespace quartet::log_test {

class TempFile {
 public:
  TempFile() {
    char name[] = "/tmp/quartet_log_test_XXXXXX";
    const int fd = mkstemp(name);
    if (fd >= 0) close(fd);
    path_ = name;
  }
  ~TempFile() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// Parses every line; fails the test on a line that is not one JSON object.
inline std::vector<json::Value> ParseLines(const std::vector<std::string>& lines) {
  std::vector<json::Value> out;
  for (const std::string& line : lines) {
    auto v = json::Parse(line);
    EXPECT_TRUE(v.ok() && v->is_object()) << line << ": " << v.status().ToString();
    if (v.ok()) out.push_back(std::move(v).value());
  }
  return out;
}

inline std::string Str(const json::Value& line, std::string_view key) {
  const json::Value* v = line.Find(key);
  return v != nullptr && v->is_string() ? v->string_value() : "<missing>";
}

}  // namespace quartet::log_test
