#include "quartet/annotate.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include "tests/support/http_server.h"
#include "wire/json/json_parser.h"

namespace quartet {
namespace {

TEST(AnnotateTest, BodyHasGrafanaShapeAndIdentityTags) {
  DeployEvent event{.service = "checkout",
                    .version = "1.4.2",
                    .environment = "prod",
                    .text = "drop \"idx\"",
                    .tags = {"migration"},
                    .time_ms = 1700000000123};
  auto doc = json::Parse(DeployAnnotationJson(event));
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(*doc->Find("time")->int_value(), 1700000000123);
  EXPECT_EQ(doc->Find("text")->string_value(), "drop \"idx\"");
  std::vector<std::string> tags;
  for (const auto& t : doc->Find("tags")->items()) tags.push_back(t.string_value());
  EXPECT_EQ(tags, (std::vector<std::string>{"deploy", "service=checkout", "version=1.4.2",
                                            "env=prod", "migration"}));
  EXPECT_EQ(doc->Find("timeEnd"), nullptr);
}

// A stand-in for the annotations API on loopback, served by cpp-httplib.
class FakeAnnotations {
 public:
  explicit FakeAnnotations(int status) {
    server_.server().Post(
        "/api/annotations", [this, status](const httplib::Request& req, httplib::Response& res) {
          last_body_ = req.body;
          res.status = status;
          res.set_content(status == 200 ? R"({"message":"Annotation added","id":17})" : "bad tags",
                          "application/json");
        });
    EXPECT_TRUE(server_.Start());
  }
  std::string url() const { return server_.Url(""); }
  std::string last_body_;

 private:
  testing::TestHttpServer server_;
};

TEST(AnnotateTest, PostsAndReturnsTheId) {
  FakeAnnotations server(200);
  auto id = AnnounceDeploy(server.url() + "/", DeployEvent{.service = "checkout", .version = "2"});
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, 17);
  EXPECT_NE(server.last_body_.find("\"service=checkout\""), std::string::npos);
}

TEST(AnnotateTest, HttpErrorNamesStatusAndBody) {
  FakeAnnotations server(400);
  auto id = AnnounceDeploy(server.url(), DeployEvent{.service = "checkout"});
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.status().message().find("HTTP 400"), std::string_view::npos);
  EXPECT_NE(id.status().message().find("bad tags"), std::string_view::npos);
}

TEST(AnnotateTest, UnreachableServerIsAnError) {
  auto id = AnnounceDeploy("http://127.0.0.1:1", DeployEvent{.service = "checkout"},
                           std::chrono::milliseconds(500));
  EXPECT_FALSE(id.ok());
}

}  // namespace
}  // namespace quartet
