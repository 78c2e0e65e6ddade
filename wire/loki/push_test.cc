#include "wire/loki/push.h"

#include <gtest/gtest.h>

#include "wire/protobuf/writer.h"

namespace quartet::loki {
namespace {

PushRequest Sample() {
  return PushRequest{{
      Stream{{{"env", "prod"}, {"service_name", "checkout"}},
             {Entry{1, "first", {}},
              Entry{1795479939694000001,
                    "{\"msg\":\"q\\\"\"}\n\ttab \xc3\xa9",
                    {{"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"},
                     {"span_id", "00f067aa0ba902b7"}}},
              Entry{0, "", {{"empty", ""}}}}},
      Stream{{{"level", "error"}}, {}},
  }};
}

TEST(PushTest, JsonRoundTrip) {
  PushRequest push = Sample();
  Result<PushRequest> back = DecodePushJson(EncodePushJson(push));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, push);
}

TEST(PushTest, ProtobufRoundTrip) {
  PushRequest push = Sample();
  Result<PushRequest> back = DecodePushProtobuf(EncodePushProtobuf(push));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, push);
}

TEST(PushTest, EmptyRequests) {
  for (std::string_view body : {R"({"streams":[]})", R"({"streams":[],"extra":1})"}) {
    Result<PushRequest> r = DecodePushJson(body);
    ASSERT_TRUE(r.ok()) << body << ": " << r.status().ToString();
    EXPECT_TRUE(r->streams.empty());
  }
  Result<PushRequest> r = DecodePushProtobuf("");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->streams.empty());
}

TEST(PushTest, JsonAcceptsLenientForms) {
  Result<PushRequest> r = DecodePushJson(
      R"({"streams":[{"stream":{"b":true,"a":1.50,"c":"x"},"values":[[123,"n"],["7","s",null],)"
      R"(["8","m",{"k":2,"f":false}]]},{"stream":{"z":"1"}}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  PushRequest want{{Stream{{{"a", "1.50"}, {"b", "true"}, {"c", "x"}},
                           {Entry{123, "n", {}}, Entry{7, "s", {}},
                            Entry{8, "m", {{"k", "2"}, {"f", "false"}}}}},
                    Stream{{{"z", "1"}}, {}}}};
  EXPECT_EQ(*r, want);
}

TEST(PushTest, JsonErrorsNameThePath) {
  struct Case {
    std::string_view body;
    std::string_view want;
  };
  const Case cases[] = {
      {"", "json: offset 0"},
      {"[]", "push body must be a JSON object, got an array"},
      {"{}", "streams: must be an array, got nothing"},
      {R"({"streams":{}})", "streams: must be an array, got an object"},
      {R"({"streams":[1]})", "streams[0]: must be an object, got a number"},
      {R"({"streams":[{"values":[]}]})", "streams[0]: missing \"stream\""},
      {R"({"streams":[{"stream":"a"}]})", "streams[0].stream: must be an object of labels"},
      {R"({"streams":[{"stream":{"a":null}}]})",
       "streams[0].stream.a: value must be a string, got null"},
      {R"({"streams":[{"stream":{"a":{}}}]})",
       "streams[0].stream.a: value must be a string, got an object"},
      {R"({"streams":[{"stream":{"a-b":"x"}}]})", "streams[0].stream: invalid label name \"a-b\""},
      {R"({"streams":[{"stream":{"a":"1","a":"2"}}]})",
       "streams[0].stream: duplicate label name a"},
      {R"({"streams":[{"stream":{"a":"1"},"values":{}}]})",
       "streams[0].values: must be an array, got an object"},
      {R"({"streams":[{"stream":{"a":"1"},"values":["x"]}]})",
       "streams[0].values[0]: must be [timestamp, line]"},
      {R"({"streams":[{"stream":{"a":"1"},"values":[["1"]]}]})",
       "streams[0].values[0]: must be [timestamp, line] or [timestamp, line, {metadata}], got an "
       "array of 1"},
      {R"({"streams":[{"stream":{"a":"1"},"values":[["1","a",{},4]]}]})", "got an array of 4"},
      {R"({"streams":[{"stream":{"a":"1"},"values":[["1","a"],["1","b"],["1","c"],["abc","d"]]}]})",
       "streams[0].values[3][0]: timestamp must be a decimal string of nanoseconds, got \"abc\""},
      {R"({"streams":[{"stream":{"a":"1"},"values":[["-5","d"]]}]})",
       "values[0][0]: timestamp must be a decimal string of nanoseconds, got \"-5\""},
      {R"({"streams":[{"stream":{"a":"1"},"values":[["+5","d"]]}]})", "got \"+5\""},
      {R"({"streams":[{"stream":{"a":"1"},"values":[["","d"]]}]})", "got \"\""},
      {R"({"streams":[{"stream":{"a":"1"},"values":[["1.5","d"]]}]})", "got \"1.5\""},
      {R"({"streams":[{"stream":{"a":"1"},"values":[["99999999999999999999","d"]]}]})",
       "(out of range)"},
      {R"({"streams":[{"stream":{"a":"1"},"values":[[1.5,"d"]]}]})", "got the number 1.5"},
      {R"({"streams":[{"stream":{"a":"1"},"values":[[-1,"d"]]}]})", "got the number -1"},
      {R"({"streams":[{"stream":{"a":"1"},"values":[[true,"d"]]}]})", "nanoseconds, got a boolean"},
      {R"({"streams":[{"stream":{"a":"1"},"values":[["1",2]]}]})",
       "streams[0].values[0][1]: log line must be a string, got a number"},
      {R"({"streams":[{"stream":{"a":"1"},"values":[["1","x",[]]]}]})",
       "streams[0].values[0][2]: structured metadata must be an object, got an array"},
      {R"({"streams":[{"stream":{"a":"1"},"values":[["1","x",{"k":null}]]}]})",
       "streams[0].values[0][2].k: value must be a string, got null"},
  };
  for (const Case& c : cases) {
    Result<PushRequest> r = DecodePushJson(c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.body;
    EXPECT_NE(r.status().message().find(c.want), std::string_view::npos)
        << c.body << "\n  -> " << r.status().ToString() << "\n  want: " << c.want;
  }
}

// The decoder streams over the body, yet answers as a decoder over a parsed
// document would: syntax errors anywhere win over schema errors, the first
// stream with a problem is the one named, labels are checked before values,
// and of duplicate keys the last one counts.
TEST(PushTest, JsonErrorPrecedenceAndDuplicateKeys) {
  struct Case {
    std::string_view body;
    std::string_view want;  // empty: accepted
    StatusCode code = StatusCode::kInvalidArgument;
  };
  const std::string deep =
      R"({"streams":[],"x":)" + std::string(200, '[') + std::string(200, ']') + "}";
  const Case cases[] = {
      {R"({"streams":[{"stream":{"a-b":"x"}}],"x":tru})",
       "json: offset 40: invalid literal (expected true, false or null), got 't'"},
      {R"({"streams":[1],"more":[1,]})", "json: offset 25: expected a value, got ']'"},
      {R"({"streams":[{"stream":{"a":"1"}}]} x)",
       "json: offset 35: expected end of input after the top-level value, got 'x'"},
      {R"({"streams":[{"stream":{"a":"1"},"values":[["1","a\u00"]]}]})",
       "expected 4 hex digits after \\u"},
      {R"({"streams":[1],"streams":[{"stream":{"a":"1"}}]})", ""},
      {R"({"streams":[{"stream":{"a":"1"}}],"streams":7})",
       "streams: must be an array, got a number"},
      {R"({"streams":[{"stream":{"a-b":"1"},"stream":{"a":"1"}}]})", ""},
      {R"({"streams":[{"values":[["x","y"]],"stream":{"a-b":"1"}}]})",
       "streams[0].stream: invalid label name \"a-b\""},
      {R"({"streams":[{"values":[["x","y"]],"stream":{"a":"1"}}]})",
       "streams[0].values[0][0]: timestamp must be a decimal string of nanoseconds, got \"x\""},
      {R"({"streams":[{"stream":{"a":"1"},"values":[[true]],"values":null}]})", ""},
      {R"({"streams":[{"stream":{"a":"1"}},{"stream":{"a":"1"},"values":[["1","x"],[true,"x"]]},{"stream":7}]})",
       "streams[1].values[1][0]: timestamp must be a decimal string of nanoseconds, got a boolean"},
      {R"({"streams":[{"stream":{"a":"1"},"values":[[true,2,[],4]]}]})", "got an array of 4"},
      {R"({"streams":[{"stream":{"a":"1"},"values":[["1",2,[]]]}]})",
       "streams[0].values[0][1]: log line must be a string, got a number"},
      {deep, "json: offset 145: nesting deeper than 128", StatusCode::kResourceExhausted},
  };
  for (const Case& c : cases) {
    Result<PushRequest> r = DecodePushJson(c.body);
    if (c.want.empty()) {
      EXPECT_TRUE(r.ok()) << c.body << ": " << r.status().ToString();
      continue;
    }
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.status().code(), c.code) << c.body;
    EXPECT_NE(r.status().message().find(c.want), std::string_view::npos)
        << c.body << "\n  -> " << r.status().ToString() << "\n  want: " << c.want;
  }
  Result<PushRequest> r = DecodePushJson(
      R"({"streams":[{"stream":{"a":"1"},"values":[["1","x"]],"values":[["2","y"]]}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (PushRequest{{Stream{{{"a", "1"}}, {Entry{2, "y", {}}}}}}));
}

// Escapes are decoded in keys, label values, timestamps, lines and metadata;
// ill-formed UTF-8 and lone surrogates become U+FFFD, as json::Parse does.
TEST(PushTest, JsonDecodesEscapesAndRepairsUtf8) {
  Result<PushRequest> r = DecodePushJson(
      "{\"str\\u0065ams\":[{\"stre\\u0061m\":{\"\\u0061\":\"\\u00e9\\ud83d\\ude00\",\"b\":"
      "\"\xc3\xa9\"},"
      "\"values\":[[\"\\u0031\\u0032\",\"l\\\"ine\\n\\t\\\\\\/ \xff "
      "\\ud800x\",{\"k\\u0021\":\"\\udc00\"}],"
      "[\"3\",\"plain \xe2\x82\xac\"]]}]}");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  PushRequest want{
      {Stream{{{"a", "\xc3\xa9\xf0\x9f\x98\x80"}, {"b", "\xc3\xa9"}},
              {Entry{12, "l\"ine\n\t\\/ \xef\xbf\xbd \xef\xbf\xbdx", {{"k!", "\xef\xbf\xbd"}}},
               Entry{3, "plain \xe2\x82\xac", {}}}}}};
  EXPECT_EQ(*r, want);
}

// Builders for hand-made protobuf bodies.
std::string Timestamp(int64_t seconds, int32_t nanos) {
  protobuf::Writer w;
  w.Int64(1, seconds);
  w.Int32(2, nanos);
  return w.Release();
}
std::string EntryBytes(std::string_view timestamp, std::string_view line) {
  protobuf::Writer w;
  w.Message(1, timestamp);
  w.String(2, line);
  return w.Release();
}
std::string StreamBytes(std::string_view labels, std::initializer_list<std::string> entries) {
  protobuf::Writer w;
  w.String(1, labels);
  for (const std::string& e : entries) w.Message(2, e);
  w.Varint(3, 12345);  // hash: ignored
  return w.Release();
}
std::string Push(std::initializer_list<std::string> streams) {
  protobuf::Writer w;
  for (const std::string& s : streams) w.Message(1, s);
  return w.Release();
}

TEST(PushTest, ProtobufSkipsUnknownFieldsAndIgnoresHash) {
  protobuf::Writer entry;
  entry.Message(1, Timestamp(2, 5));
  entry.String(2, "line");
  entry.Fixed64(9, 7);        // unknown
  entry.String(4, "parsed");  // EntryAdapter.parsed (Loki-internal): skipped
  std::string body = Push({StreamBytes(R"({a="b"})", {entry.Release()})});
  body += std::string("\x10\x01", 2);  // unknown varint field 2 at the top level
  Result<PushRequest> r = DecodePushProtobuf(body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (PushRequest{{Stream{{{"a", "b"}}, {Entry{2000000005, "line", {}}}}}}));
}

TEST(PushTest, ProtobufErrorsNameThePath) {
  struct Case {
    std::string name;
    std::string body;
    std::string_view want;
    StatusCode code = StatusCode::kInvalidArgument;
  };
  std::string ok_entry = EntryBytes(Timestamp(1, 0), "x");
  const Case cases[] = {
      {"truncated", Push({StreamBytes(R"({a="b"})", {ok_entry})}).substr(0, 10),
       "push request: at offset 0: length 23 of field 1 exceeds the 8 bytes remaining",
       StatusCode::kOutOfRange},
      {"no labels", Push({std::string("\x12\x00", 2)}), "streams[0].labels: missing"},
      {"bad label set", Push({StreamBytes(R"({a=~"b"})", {})}),
       "streams[0].labels: label set: offset 2: matcher a=~"},
      {"labels as varint", Push({std::string("\x08\x01", 2)}), "streams[0].labels"},
      {"negative nanos",
       Push({StreamBytes(R"({a="b"})", {ok_entry, EntryBytes(Timestamp(1, -1), "x")})}),
       "streams[0].entries[1].timestamp.nanos: must be in [0, 999999999], got -1"},
      {"nanos too big",
       Push({StreamBytes(R"({a="b"})", {EntryBytes(Timestamp(1, 1000000000), "x")})}),
       "got 1000000000"},
      {"negative seconds", Push({StreamBytes(R"({a="b"})", {EntryBytes(Timestamp(-1, 0), "x")})}),
       "streams[0].entries[0].timestamp.seconds: -1 is outside"},
      {"seconds overflow",
       Push({StreamBytes(R"({a="b"})", {EntryBytes(Timestamp(9223372037, 0), "x")})}),
       "timestamp.seconds: 9223372037 is outside"},
      {"second stream", Push({StreamBytes(R"({a="b"})", {}), StreamBytes(R"({a="b",a="c"})", {})}),
       "streams[1].labels: duplicate label name a"},
  };
  for (const Case& c : cases) {
    Result<PushRequest> r = DecodePushProtobuf(c.body);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().code(), c.code) << c.name << ": " << r.status().ToString();
    EXPECT_NE(r.status().message().find(c.want), std::string_view::npos)
        << c.name << "\n  -> " << r.status().ToString() << "\n  want: " << c.want;
  }
}

TEST(PushTest, ProtobufTimestampRangeEdges) {
  // The largest representable instant decodes; one nanosecond more does not.
  int64_t max_s = INT64_MAX / 1000000000, max_n = INT64_MAX % 1000000000;
  Result<PushRequest> r = DecodePushProtobuf(Push({StreamBytes(
      R"({a="b"})", {EntryBytes(Timestamp(max_s, static_cast<int32_t>(max_n)), "x")})}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->streams[0].entries[0].timestamp_ns, INT64_MAX);
  r = DecodePushProtobuf(Push({StreamBytes(
      R"({a="b"})", {EntryBytes(Timestamp(max_s, static_cast<int32_t>(max_n + 1)), "x")})}));
  EXPECT_FALSE(r.ok());
}

TEST(PushTest, ProtobufBoundsMemoryForTinyEntries) {
  // 2 MB of empty EntryAdapters (2 bytes each) would be a million Entry
  // structs: far more memory than the body. The budget refuses it.
  std::string stream = StreamBytes(R"({a="b"})", {});
  protobuf::Writer w;
  w.String(1, R"({a="b"})");
  for (int i = 0; i < 1000000; ++i) w.Message(2, "");
  std::string body = Push({w.Release()});
  Result<PushRequest> r = DecodePushProtobuf(body);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted) << r.status().ToString();
  EXPECT_NE(r.status().message().find("streams[0].entries["), std::string_view::npos);
}

TEST(PushTest, ValidateAppliesLokiLimits) {
  auto with = [](Labels labels, std::string line = "ok",
                 std::vector<std::pair<std::string, std::string>> md = {}) {
    return PushRequest{
        {Stream{{{"a", "1"}}, {}},
         Stream{std::move(labels), {Entry{1, "x", {}}, Entry{2, std::move(line), std::move(md)}}}}};
  };
  Labels sixteen;
  for (int i = 0; i < 16; ++i) sixteen.emplace_back("l" + std::to_string(100 + i), "v");
  Labels fifteen(sixteen.begin(), sixteen.end() - 1);
  std::vector<std::pair<std::string, std::string>> md129(129, {"k", "v"});
  struct Case {
    std::string name;
    PushRequest push;
    std::string_view want;  // empty: valid
  };
  const Case cases[] = {
      {"valid", with({{"a", "1"}}), ""},
      {"no labels", with({}), "streams[1]: at least one label pair is required per stream"},
      {"15 labels", with(fifteen), ""},
      {"16 labels", with(sixteen), "has 16 label names; limit 15"},
      {"name 1024", with({{std::string(1024, 'n'), "v"}}), ""},
      {"name 1025", with({{std::string(1025, 'n'), "v"}}),
       "label name too long (1025 bytes, limit 1024)"},
      {"value 2048", with({{"a", std::string(2048, 'v')}}), ""},
      {"value 2049", with({{"a", std::string(2049, 'v')}}),
       "label a has a value too long (2049 bytes, limit 2048)"},
      {"line 256KiB", with({{"a", "1"}}, std::string(256 * 1024, 'x')), ""},
      {"line over", with({{"a", "1"}}, std::string(256 * 1024 + 1, 'x')),
       "streams[1].entries[1]: max entry size '262144' bytes exceeded for stream '{a=\"1\"}' while "
       "adding an entry with length '262145' bytes"},
      {"metadata count", with({{"a", "1"}}, "x", md129),
       "129 structured metadata entries; limit 128"},
      {"metadata bytes", with({{"a", "1"}}, "x", {{"k", std::string(64 * 1024, 'v')}}),
       "structured metadata of 65537 bytes; limit 65536"},
      {"metadata empty name", with({{"a", "1"}}, "x", {{"", "v"}}),
       "structured metadata with an empty name"},
  };
  for (const Case& c : cases) {
    Status st = Validate(c.push, Limits{});
    if (c.want.empty()) {
      EXPECT_TRUE(st.ok()) << c.name << ": " << st.ToString();
      continue;
    }
    ASSERT_FALSE(st.ok()) << c.name;
    EXPECT_NE(st.message().find(c.want), std::string_view::npos)
        << c.name << "\n  -> " << st.ToString() << "\n  want: " << c.want;
  }
  // Zero disables a limit.
  Limits off{.max_label_names_per_series = 0, .max_line_size = 0};
  EXPECT_TRUE(Validate(with(sixteen, std::string(300 * 1024, 'x')), off).ok());
}

}  // namespace
}  // namespace quartet::loki
