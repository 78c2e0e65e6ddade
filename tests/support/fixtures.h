// Test support: the real-client captures of ../shared/fixtures/real-clients/
// (requests recorded from clients nobody here wrote), read by name, e.g.
// ReadFixture("otel/0003.bin"). Header-only so that any test can use it.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace quartet::testing {

inline std::string FixturePath(const std::string& name) {
  const char* src = std::getenv("QUARTET_SOURCE_DIR");
  return std::string(src ? src : ".") + "/../shared/fixtures/real-clients/" + name;
}

// The capture's bytes; a missing file fails the calling test.
inline std::string ReadFixture(const std::string& name) {
  std::ifstream in(FixturePath(name), std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << FixturePath(name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace quartet::testing
