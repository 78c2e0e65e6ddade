#include "server/api/annotations/annotations_api.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "server/http/router.h"
#include "server/store/annotations/annotation_table.h"
#include "wire/http/url_encoded.h"
#include "wire/json/json_parser.h"

namespace quartet::api {
namespace {

namespace fs = std::filesystem;
using server::HttpRequest;
using server::HttpResponse;

class AnnotationsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("annotations_api_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    auto table = store::AnnotationTable::Open(
        {.dir = dir_.string(), .sync = false, .now_ms = [] { return int64_t{1'700'000'000'000}; }});
    ASSERT_TRUE(table.ok());
    table_ = std::move(*table);
    api_ = std::make_unique<AnnotationsApi>(table_.get());
    api_->Register(&router_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Routes a request as the server does: path captures and query parameters.
  HttpResponse Do(std::string method, std::string target, std::string body = "") {
    HttpRequest r;
    r.method = method;
    size_t q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) {
      r.raw_query = target.substr(q + 1);
      EXPECT_TRUE(http::ParseUrlEncoded(r.raw_query, &r.params).ok());
    }
    r.body = std::move(body);
    server::Router::Match m = router_.Find(method, r.path);
    if (m.handler == nullptr) return HttpResponse::Text(m.status, "");
    r.path_params = m.path_params;
    return (*m.handler)(r);
  }
  json::Value Json(const HttpResponse& r) {
    Result<json::Value> v = json::Parse(r.body);
    EXPECT_TRUE(v.ok()) << r.body;
    return v.ok() ? *v : json::Value();
  }
  int64_t Post(std::string body) {
    HttpResponse r = Do("POST", "/api/annotations", std::move(body));
    EXPECT_EQ(r.status, 200) << r.body;
    const json::Value doc = Json(r);
    const json::Value* id = doc.Find("id");
    return id && id->int_value() ? *id->int_value() : -1;
  }
  std::vector<int64_t> Ids(const std::string& query) {
    HttpResponse r = Do("GET", "/api/annotations" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<int64_t> ids;
    json::Value list = Json(r);
    for (const json::Value& a : list.items()) ids.push_back(*a.Find("id")->int_value());
    return ids;
  }

  fs::path dir_;
  std::unique_ptr<store::AnnotationTable> table_;
  std::unique_ptr<AnnotationsApi> api_;
  server::Router router_;
};

TEST_F(AnnotationsApiTest, PostThenGetInGrafanasShape) {
  HttpResponse r = Do("POST", "/api/annotations",
                      R"({"time":1507037197339,"timeEnd":1507180805056,"tags":["tag1","tag2"],
                          "text":"Annotation Description","dashboardUID":"jcIIG-07z",
                          "panelId":2,"data":{"k":"v"}})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"message":"Annotation added","id":1})");
  r = Do("GET", "/api/annotations/1");
  ASSERT_EQ(r.status, 200);
  json::Value a = Json(r);
  EXPECT_EQ(*a.Find("time")->int_value(), 1507037197339);
  EXPECT_EQ(*a.Find("timeEnd")->int_value(), 1507180805056);
  EXPECT_EQ(a.Find("text")->string_value(), "Annotation Description");
  EXPECT_EQ(a.Find("dashboardUID")->string_value(), "jcIIG-07z");
  EXPECT_EQ(*a.Find("panelId")->int_value(), 2);
  EXPECT_EQ(*a.Find("created")->int_value(), 1'700'000'000'000);
  EXPECT_EQ(a.Find("tags")->items().size(), 2u);
  EXPECT_EQ(a.Find("data")->Find("k")->string_value(), "v");
  EXPECT_EQ(*a.Find("alertId")->int_value(), 0);

  // Missing time: now, as Grafana; timeEnd follows time.
  int64_t id = Post(R"({"text":"now"})");
  a = Json(Do("GET", "/api/annotations/" + std::to_string(id)));
  EXPECT_EQ(*a.Find("time")->int_value(), 1'700'000'000'000);
  EXPECT_EQ(*a.Find("timeEnd")->int_value(), 1'700'000'000'000);
}

TEST_F(AnnotationsApiTest, FindByTimeTagsAndNewestFirst) {
  Post(R"({"time":1000,"tags":["deploy","service=checkout"],"text":"a"})");             // 1
  Post(R"({"time":2000,"tags":["deploy","service=cart"],"text":"b","panelId":4})");     // 2
  Post(R"({"time":3000,"tags":["deploy","service=checkout","env=prod"],"text":"c"})");  // 3
  Post(R"({"time":4000,"timeEnd":9000,"tags":["incident"],"text":"d",
           "dashboardUID":"dash"})");                                                   // 4
  struct Case {
    std::string query;
    std::vector<int64_t> want;
  };
  std::vector<Case> cases = {
      {"", {4, 3, 2, 1}},
      {"?from=1500&to=3000", {3, 2}},
      {"?from=5000&to=6000", {4}},
      {"?tags=deploy&tags=service%3Dcheckout", {3, 1}},
      {"?tags=service=cart&tags=incident&matchAny=true", {4, 2}},
      {"?tags=service=cart&tags=incident&matchAny=false", {}},
      {"?limit=2", {4, 3}},
      {"?limit=0", {4, 3, 2, 1}},
      {"?type=annotation&dashboardUID=dash", {4}},
      {"?type=alert", {}},
      {"?panelId=4", {2}},
      {"?text=c", {3}},
  };
  for (const Case& c : cases) EXPECT_EQ(Ids(c.query), c.want) << c.query;
}

TEST_F(AnnotationsApiTest, PatchPutDelete) {
  int64_t id = Post(R"({"time":1000,"tags":["a"],"text":"first","data":{"x":1}})");
  std::string path = "/api/annotations/" + std::to_string(id);
  HttpResponse r = Do("PATCH", path, R"({"text":"patched"})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"message":"Annotation patched"})");
  json::Value a = Json(Do("GET", path));
  EXPECT_EQ(a.Find("text")->string_value(), "patched");
  EXPECT_EQ(a.Find("tags")->items().size(), 1u);  // untouched

  // Moving a point in time moves its end.
  EXPECT_EQ(Do("PATCH", path, R"({"time":5000})").status, 200);
  a = Json(Do("GET", path));
  EXPECT_EQ(*a.Find("timeEnd")->int_value(), 5000);

  r = Do("PUT", path, R"({"time":7000,"text":"replaced"})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"message":"Annotation updated"})");
  a = Json(Do("GET", path));
  EXPECT_EQ(*a.Find("time")->int_value(), 7000);
  EXPECT_EQ(*a.Find("timeEnd")->int_value(), 7000);
  EXPECT_TRUE(a.Find("tags")->items().empty());  // PUT replaces
  EXPECT_TRUE(a.Find("data")->members().empty());

  r = Do("DELETE", path);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"message":"Annotation deleted"})");
  for (std::string method : {"GET", "DELETE", "PATCH", "PUT"}) {
    r = Do(method, path, R"({"text":"x"})");
    EXPECT_EQ(r.status, 404) << method;
    EXPECT_EQ(r.body, R"({"message":"Annotation not found"})");
  }
}

TEST_F(AnnotationsApiTest, BadRequestsAreNamed) {
  std::string long_text = "{\"text\":\"" + std::string(64 * 1024 + 1, 'x') + "\"}";
  std::string many_tags = "{\"text\":\"t\",\"tags\":[";
  for (int i = 0; i < 65; ++i) many_tags += (i ? ",\"t" : "\"t") + std::to_string(i) + "\"";
  many_tags += "]}";
  struct Case {
    std::string body;
    std::string message_part;
  };
  std::vector<Case> cases = {
      {"{", "bad JSON body"},
      {"[1]", "must be a JSON object"},
      {R"({"time":1})", "text must not be empty"},
      {R"({"text":""})", "text must not be empty"},
      {R"({"text":5})", "text must be a string"},
      {R"({"text":"t","time":"yesterday"})", "time must be an integer"},
      {R"({"text":"t","time":1.5})", "time must be an integer"},
      {R"({"text":"t","time":-1})", "time must not be negative"},
      {R"({"text":"t","time":2000,"timeEnd":1000})", "timeEnd 1000 is before time 2000"},
      {R"({"text":"t","tags":"deploy"})", "tags must be an array"},
      {R"({"text":"t","tags":["a",3]})", "tags[1] must be a string"},
      {R"({"text":"t","tags":["a",""]})", "tags[1] is empty"},
      {R"({"text":"t","panelId":"2"})", "panelId must be an integer"},
      {R"({"text":"t","data":[1]})", "data must be a JSON object"},
      {long_text, "text is 65537 bytes, over the limit of 65536"},
      {many_tags, "too many tags: 65, the limit is 64"},
  };
  for (const Case& c : cases) {
    HttpResponse r = Do("POST", "/api/annotations", c.body);
    EXPECT_EQ(r.status, 400) << c.body.substr(0, 80);
    EXPECT_NE(r.body.find(c.message_part), std::string::npos) << r.body.substr(0, 200);
  }
  EXPECT_EQ(api_->stats().bad_requests, static_cast<int64_t>(cases.size()));
  EXPECT_EQ(Ids(""), std::vector<int64_t>{});

  for (std::string q : {"?from=abc", "?limit=-1", "?limit=100001", "?matchAny=maybe",
                        "?type=dashboard", "?from=10&to=5"}) {
    EXPECT_EQ(Do("GET", "/api/annotations" + q).status, 400) << q;
  }
  EXPECT_EQ(Do("GET", "/api/annotations/abc").status, 400);
  EXPECT_EQ(Do("DELETE", "/api/annotations/0").status, 400);
  EXPECT_EQ(Do("PATCH", "/api/annotations/1", "nope").status, 400);
}

TEST_F(AnnotationsApiTest, TagsWithCounts) {
  Post(R"({"tags":["deploy","service=a"],"text":"1"})");
  Post(R"({"tags":["deploy","service=b"],"text":"2"})");
  HttpResponse r = Do("GET", "/api/annotations/tags");
  EXPECT_EQ(r.body,
            R"({"result":{"tags":[{"tag":"deploy","count":2},{"tag":"service=a","count":1},)"
            R"({"tag":"service=b","count":1}]}})");
  r = Do("GET", "/api/annotations/tags?tag=service%3Db&limit=5");
  EXPECT_EQ(r.body, R"({"result":{"tags":[{"tag":"service=b","count":1}]}})");
}

}  // namespace
}  // namespace quartet::api
