#include "sdk/admin/listen_socket.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace quartet::admin {
namespace {

TEST(ListenSocketTest, BindsWhatWasAskedAndReportsIt) {
  struct Case {
    std::string address;
    std::string want_prefix;
  } cases[] = {
      {"127.0.0.1:0", "127.0.0.1:"},
      {":0", "0.0.0.0:"},   // empty host: every interface
      {"localhost:0", ""},  // resolves to 127.0.0.1 or ::1
  };
  for (const Case& c : cases) {
    auto l = ListenTcp(c.address);
    ASSERT_TRUE(l.ok()) << c.address << ": " << l.status().ToString();
    EXPECT_GE(l->fd, 0);
    EXPECT_GT(l->port, 0);
    EXPECT_TRUE(l->bound_address.starts_with(c.want_prefix)) << l->bound_address;
    EXPECT_TRUE(l->bound_address.ends_with(":" + std::to_string(l->port))) << l->bound_address;
    close(l->fd);
  }
}

TEST(ListenSocketTest, PortInUseIsUnavailable) {
  auto first = ListenTcp("127.0.0.1:0");
  ASSERT_TRUE(first.ok());
  auto second = ListenTcp(first->bound_address);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("in use"), std::string_view::npos)
      << second.status().ToString();
  close(first->fd);
}

TEST(ListenSocketTest, MalformedAddressesAreInvalidArgument) {
  for (std::string_view address :
       {"", "9464", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:http", "127.0.0.1:-1", "[::1",
        "[::1]9464", "[::1]:", "no.such.host.invalid:1"}) {
    auto l = ListenTcp(address);
    ASSERT_FALSE(l.ok()) << address;
    EXPECT_EQ(l.status().code(), StatusCode::kInvalidArgument) << l.status().ToString();
    EXPECT_NE(l.status().message().find(address), std::string_view::npos) << l.status().ToString();
  }
}

}  // namespace
}  // namespace quartet::admin
