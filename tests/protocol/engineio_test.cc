#include "protocol/engineio.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace ringcast::protocol {

// Lets failures print the error's name rather than its byte.
inline void PrintTo(eio_error e, std::ostream* os) { *os << to_string(e); }

namespace {

using t = eio_packet_type;

eio_packet text(t type, std::string data = {}) { return {type, false, std::move(data)}; }
eio_packet bin(std::string data) { return {t::message, true, std::move(data)}; }

struct frame_case {
  std::string frame;
  eio_error error;
  eio_packet expected;  // compared when error == ok
};

TEST(EngineIoFrame, DecodesTextFrames) {
  const std::vector<frame_case> cases{
      {"0{\"sid\":\"abc\"}", eio_error::ok, text(t::open, "{\"sid\":\"abc\"}")},
      {"1", eio_error::ok, text(t::close)},
      {"2", eio_error::ok, text(t::ping)},
      {"2probe", eio_error::ok, text(t::ping, "probe")},
      {"3probe", eio_error::ok, text(t::pong, "probe")},
      {"4", eio_error::ok, text(t::message)},
      {"4HelloWorld", eio_error::ok, text(t::message, "HelloWorld")},
      {"42[\"hey\",\"Jude\"]", eio_error::ok, text(t::message, "2[\"hey\",\"Jude\"]")},
      {"4\x1e", eio_error::ok, text(t::message, "\x1e")},  // no separator splitting in a frame
      {"5", eio_error::ok, text(t::upgrade)},
      {"6", eio_error::ok, text(t::noop)},
      {"bAQIDBA==", eio_error::ok, bin("\x01\x02\x03\x04")},
      {"b", eio_error::ok, bin("")},
      {"", eio_error::empty_packet, {}},
      {"7", eio_error::unknown_type, {}},
      {"9hello", eio_error::unknown_type, {}},
      {"x", eio_error::unknown_type, {}},
      {"B", eio_error::unknown_type, {}},
      {"bAQI", eio_error::bad_base64, {}},
      {"bAQI*BA==", eio_error::bad_base64, {}},
      {"bAQ ID", eio_error::bad_base64, {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.frame);
    eio_packet_view out;
    std::string scratch;
    ASSERT_EQ(decode_frame(c.frame, eio_frame::text, out, scratch), c.error);
    if (c.error != eio_error::ok) continue;
    EXPECT_EQ(out.type, c.expected.type);
    EXPECT_EQ(out.binary, c.expected.binary);
    EXPECT_EQ(out.data, c.expected.data);
  }
}

TEST(EngineIoFrame, BinaryFrameIsAMessageWithoutTypeByte) {
  const std::string payload("4\x00\xff\x1e" "abc", 7);
  eio_packet_view out;
  std::string scratch;
  ASSERT_EQ(decode_frame(payload, eio_frame::binary, out, scratch), eio_error::ok);
  EXPECT_EQ(out.type, t::message);
  EXPECT_TRUE(out.binary);
  EXPECT_EQ(out.data, payload);
  EXPECT_EQ(out.data.data(), payload.data()) << "binary frames are not copied";

  ASSERT_EQ(decode_frame({}, eio_frame::binary, out, scratch), eio_error::ok);
  EXPECT_TRUE(out.binary);
  EXPECT_TRUE(out.data.empty());
}

TEST(EngineIoFrame, EnforcesMaxPayload) {
  std::string scratch;
  eio_packet_view out;
  const std::string at_limit = "4" + std::string(99, 'x');
  const std::string over = at_limit + "x";
  EXPECT_EQ(decode_frame(at_limit, eio_frame::text, out, scratch, 100), eio_error::ok);
  EXPECT_EQ(decode_frame(over, eio_frame::text, out, scratch, 100), eio_error::too_large);
  EXPECT_EQ(decode_frame(over, eio_frame::binary, out, scratch, 100), eio_error::too_large);
  EXPECT_EQ(decode_frame(std::string(eio_default_max_payload + 1, '4'), eio_frame::text, out, scratch),
            eio_error::too_large);
}

TEST(EngineIoFrame, EncodesTextAndBinaryFrames) {
  std::string out;
  EXPECT_EQ(encode_frame(out, {t::pong, false, "probe"}), eio_frame::text);
  EXPECT_EQ(out, "3probe");
  out.clear();
  EXPECT_EQ(encode_frame(out, {t::message, false, "2[\"a\"]"}), eio_frame::text);
  EXPECT_EQ(out, "42[\"a\"]");
  out.clear();
  const std::string raw("\x00\x01\x02", 3);
  EXPECT_EQ(encode_frame(out, {t::message, true, raw}), eio_frame::binary);
  EXPECT_EQ(out, raw);
}

struct payload_case {
  std::string body;
  eio_error error;
  std::vector<eio_packet> packets;  // all of them on success, those before the fault on error
};

TEST(EngineIoPayload, DecodesPollingBodies) {
  const std::vector<payload_case> cases{
      {"4hello", eio_error::ok, {text(t::message, "hello")}},
      {"42[\"hello\"]\x1e" "42[\"world\"]", eio_error::ok,
       {text(t::message, "2[\"hello\"]"), text(t::message, "2[\"world\"]")}},
      {"4hello\x1e" "bAQIDBA==\x1e" "2\x1e" "6\x1e" "1", eio_error::ok,
       {text(t::message, "hello"), bin("\x01\x02\x03\x04"), text(t::ping), text(t::noop), text(t::close)}},
      {"bAA==\x1e" "b/w==", eio_error::ok, {bin(std::string(1, '\0')), bin("\xff")}},
      {"3probe", eio_error::ok, {text(t::pong, "probe")}},
      {"", eio_error::empty_payload, {}},
      {"\x1e", eio_error::empty_packet, {}},
      {"\x1e" "4a", eio_error::empty_packet, {}},
      {"4a\x1e", eio_error::empty_packet, {text(t::message, "a")}},
      {"4a\x1e\x1e" "4b", eio_error::empty_packet, {text(t::message, "a")}},
      {"4a\x1e" "9", eio_error::unknown_type, {text(t::message, "a")}},
      {"x4a", eio_error::unknown_type, {}},
      {"4a\x1e" "4b\x1e" "b!!!!", eio_error::bad_base64, {text(t::message, "a"), text(t::message, "b")}},
      {"bAQIDBA", eio_error::bad_base64, {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.body));
    std::vector<eio_packet> out;
    EXPECT_EQ(decode_payload(c.body, out), c.error);
    EXPECT_EQ(out, c.packets);
  }
}

TEST(EngineIoPayload, RefusesBodiesOverTheLimitBeforeDecoding) {
  std::vector<eio_packet> out;
  EXPECT_EQ(decode_payload("4abcd\x1e" "4efgh", out, 11), eio_error::ok);
  EXPECT_EQ(out.size(), 2u);
  out.clear();
  EXPECT_EQ(decode_payload("4abcd\x1e" "4efghi", out, 11), eio_error::too_large);
  EXPECT_TRUE(out.empty());
}

TEST(EngineIoPayload, AppendsToExistingPackets) {
  std::vector<eio_packet> out{text(t::noop)};
  EXPECT_EQ(decode_payload("2", out), eio_error::ok);
  EXPECT_EQ(out, (std::vector<eio_packet>{text(t::noop), text(t::ping)}));
}

struct encode_case {
  std::vector<eio_packet> packets;
  std::string body;
};

TEST(EngineIoPayload, EncodesAndRoundTrips) {
  const std::vector<encode_case> cases{
      {{text(t::message, "hello")}, "4hello"},
      {{text(t::message, "2[\"hello\"]"), text(t::message, "2[\"world\"]")},
       "42[\"hello\"]\x1e" "42[\"world\"]"},
      {{text(t::ping), bin("\x01\x02\x03\x04"), text(t::message, "x")}, "2\x1e" "bAQIDBA==\x1e" "4x"},
      {{bin("")}, "b"},
      {{text(t::noop)}, "6"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.body));
    EXPECT_EQ(encode_payload(c.packets), c.body);
    std::string appended = "prefix";
    encode_payload(appended, c.packets);
    EXPECT_EQ(appended, "prefix" + c.body);
    std::vector<eio_packet> back;
    ASSERT_EQ(decode_payload(c.body, back), eio_error::ok);
    EXPECT_EQ(back, c.packets);
  }
  EXPECT_EQ(encode_payload(std::vector<eio_packet>{}), "");
}

TEST(EngineIoOpen, BuildsTheReferenceHandshake) {
  std::string out;
  encode_open_packet(out, {.sid = "lv_VI97HAXpY6yYWAAAC"});
  EXPECT_EQ(out,
            "0{\"sid\":\"lv_VI97HAXpY6yYWAAAC\",\"upgrades\":[\"websocket\"],"
            "\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}");

  out.clear();
  encode_open_packet(out, {.sid = "a\"b\\c", .upgrades = {}, .ping_interval_ms = 300,
                           .ping_timeout_ms = 200, .max_payload = 100000000});
  EXPECT_EQ(out,
            "0{\"sid\":\"a\\\"b\\\\c\",\"upgrades\":[],\"pingInterval\":300,\"pingTimeout\":200,"
            "\"maxPayload\":100000000}");

  out.clear();
  encode_open_packet(out, {.sid = "s", .upgrades = {"websocket", "webtransport"}});
  EXPECT_NE(out.find("\"upgrades\":[\"websocket\",\"webtransport\"]"), std::string::npos);
}

struct server_error_case {
  eio_server_error error;
  int status;
  std::string body;
};

TEST(EngineIoServerError, MatchesReferenceBodies) {
  const std::vector<server_error_case> cases{
      {eio_server_error::unknown_transport, 400, R"({"code":0,"message":"Transport unknown"})"},
      {eio_server_error::unknown_sid, 400, R"({"code":1,"message":"Session ID unknown"})"},
      {eio_server_error::bad_handshake_method, 400, R"({"code":2,"message":"Bad handshake method"})"},
      {eio_server_error::bad_request, 400, R"({"code":3,"message":"Bad request"})"},
      {eio_server_error::forbidden, 403, R"({"code":4,"message":"Forbidden"})"},
      {eio_server_error::unsupported_protocol_version, 400,
       R"({"code":5,"message":"Unsupported protocol version"})"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    EXPECT_EQ(http_status(c.error), c.status);
    EXPECT_EQ(error_body(c.error), c.body);
  }
  EXPECT_EQ(message(eio_server_error::unknown_sid), "Session ID unknown");
  EXPECT_EQ(error_body(eio_server_error::forbidden, "Not \"allowed\""),
            R"({"code":4,"message":"Not \"allowed\""})");
}

TEST(EngineIoError, HasDistinctNames) {
  const std::vector<eio_error> all{eio_error::ok,           eio_error::empty_payload,
                                   eio_error::empty_packet, eio_error::unknown_type,
                                   eio_error::bad_base64,   eio_error::too_large};
  for (std::size_t i = 0; i < all.size(); ++i) {
    for (std::size_t j = i + 1; j < all.size(); ++j) EXPECT_NE(to_string(all[i]), to_string(all[j]));
  }
}

}  // namespace
}  // namespace ringcast::protocol
