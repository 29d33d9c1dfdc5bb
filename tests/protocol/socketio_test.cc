#include "protocol/socketio.h"

#include "protocol/json_string.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace ringcast::protocol {

// Lets failures print names rather than bytes.
inline void PrintTo(sio_error e, std::ostream* os) { *os << to_string(e); }
inline void PrintTo(sio_status s, std::ostream* os) {
  *os << (s == sio_status::packet ? "packet" : s == sio_status::need_attachment ? "need_attachment" : "error");
}

namespace {

using t = sio_packet_type;

boost::json::value json(std::string_view text) {
  return text.empty() ? boost::json::value() : boost::json::parse(text);
}

// A wire form, the packet it stands for, and the attachments that follow it.
struct packet_case {
  std::string wire;
  t type;
  std::string nsp;
  std::optional<std::uint64_t> id;
  std::string data;  // JSON text, empty for no payload
  std::vector<std::string> attachments;
};

// Feeds the text then each attachment, expecting need_attachment until the last one.
sio_packet decode_ok(sio_decoder& d, const std::string& wire, const std::vector<std::string>& attachments) {
  sio_packet out;
  out.nsp = "stale";
  const auto first = d.feed_text(wire, out);
  if (attachments.empty()) {
    EXPECT_EQ(first, sio_status::packet) << to_string(d.error());
    return out;
  }
  EXPECT_EQ(first, sio_status::need_attachment) << to_string(d.error());
  for (std::size_t i = 0; i < attachments.size(); ++i) {
    EXPECT_TRUE(d.awaiting_attachments());
    const auto s = d.feed_binary(attachments[i], out);
    EXPECT_EQ(s, i + 1 == attachments.size() ? sio_status::packet : sio_status::need_attachment)
        << to_string(d.error());
  }
  EXPECT_FALSE(d.awaiting_attachments());
  return out;
}

void expect_packet(const sio_packet& p, const packet_case& c) {
  EXPECT_EQ(p.type, c.type);
  EXPECT_EQ(p.nsp, c.nsp);
  EXPECT_EQ(p.id, c.id);
  EXPECT_EQ(p.data, json(c.data)) << boost::json::serialize(p.data);
  EXPECT_EQ(p.attachments, c.attachments);
}

const std::string ph0 = R"({"_placeholder":true,"num":0})";
const std::string ph1 = R"({"_placeholder":true,"num":1})";

// Canonical forms: decoding gives the packet, encoding the packet gives the same bytes.
// Most come from the socket.io-protocol README and the reference parser's tests.
const std::vector<packet_case>& canonical_cases() {
  static const std::vector<packet_case> cases{
      {"0", t::connect, "/", {}, "", {}},
      {R"(0{"sid":"wZX3oN0bSVIhsaknAAAI"})", t::connect, "/", {}, R"({"sid":"wZX3oN0bSVIhsaknAAAI"})", {}},
      {"0/admin,", t::connect, "/admin", {}, "", {}},
      {R"(0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"})", t::connect, "/admin", {},
       R"({"sid":"oSO0OpakMV_3jnilAAAA"})", {}},
      {R"(0/admin,{"token":"123"})", t::connect, "/admin", {}, R"({"token":"123"})", {}},
      {R"(0/woot,{"token":"123"})", t::connect, "/woot", {}, R"({"token":"123"})", {}},
      {"1", t::disconnect, "/", {}, "", {}},
      {"1/admin,", t::disconnect, "/admin", {}, "", {}},
      {R"(2["foo"])", t::event, "/", {}, R"(["foo"])", {}},
      {R"(2["hello",1])", t::event, "/", {}, R"(["hello",1])", {}},
      {R"(2["a",1,{}])", t::event, "/", {}, R"(["a",1,{}])", {}},
      {R"(2[1,"a",{}])", t::event, "/", {}, R"([1,"a",{}])", {}},
      {R"(2/admin,["bar"])", t::event, "/admin", {}, R"(["bar"])", {}},
      {R"(212["foo"])", t::event, "/", 12, R"(["foo"])", {}},
      {R"(2/admin,13["foo"])", t::event, "/admin", 13, R"(["foo"])", {}},
      {R"(2/test,1["a",1,{}])", t::event, "/test", 1, R"(["a",1,{}])", {}},
      {R"(20["x"])", t::event, "/", 0, R"(["x"])", {}},
      {R"(29007199254740991["x"])", t::event, "/", 9007199254740991ull, R"(["x"])", {}},
      {"312[]", t::ack, "/", 12, "[]", {}},
      {R"(3123["a",1,{}])", t::ack, "/", 123, R"(["a",1,{}])", {}},
      {R"(3/admin,13["bar"])", t::ack, "/admin", 13, R"(["bar"])", {}},
      {R"(3/admin,456["bar"])", t::ack, "/admin", 456, R"(["bar"])", {}},
      {R"(4{"message":"Not authorized"})", t::connect_error, "/", {}, R"({"message":"Not authorized"})", {}},
      {R"(4"Unauthorized")", t::connect_error, "/", {}, R"("Unauthorized")", {}},
      {R"(4/admin,{"message":"x","data":{"a":1}})", t::connect_error, "/admin", {},
       R"({"message":"x","data":{"a":1}})", {}},
      {"51-[\"baz\"," + ph0 + "]", t::binary_event, "/", {}, "[\"baz\"," + ph0 + "]", {"\x01\x02\x03\x04"}},
      {"51-[\"hello\"," + ph0 + "]", t::binary_event, "/", {}, "[\"hello\"," + ph0 + "]", {"xyz"}},
      {"52-/admin,[\"baz\"," + ph0 + "," + ph1 + "]", t::binary_event, "/admin", {},
       "[\"baz\"," + ph0 + "," + ph1 + "]", {"\x01\x02", "\x03\x04"}},
      {"51-14[\"foo\"," + ph0 + "]", t::binary_event, "/", 14, "[\"foo\"," + ph0 + "]", {"\x01\x02\x03\x04"}},
      {"52-[\"n\",{\"a\":[" + ph1 + "],\"b\":" + ph0 + "}]", t::binary_event, "/", {},
       "[\"n\",{\"a\":[" + ph1 + "],\"b\":" + ph0 + "}]", {"zero", "one"}},
      {"61-15[\"bar\"," + ph0 + "]", t::binary_ack, "/", 15, "[\"bar\"," + ph0 + "]", {"\x01\x02\x03\x04"}},
      {"61-/admin,7[" + ph0 + "]", t::binary_ack, "/admin", 7, "[" + ph0 + "]", {std::string(1, '\0')}},
      {R"(2["emoji 😀","\u0001"])", t::event, "/", {}, R"(["emoji 😀","\u0001"])", {}},
  };
  return cases;
}

TEST(SocketIoDecoder, DecodesCanonicalPackets) {
  sio_decoder d;  // one decoder for the whole table: state must not leak between packets
  for (const auto& c : canonical_cases()) {
    SCOPED_TRACE(c.wire);
    expect_packet(decode_ok(d, c.wire, c.attachments), c);
  }
}

TEST(SocketIoEncoder, EncodesCanonicalPackets) {
  for (const auto& c : canonical_cases()) {
    SCOPED_TRACE(c.wire);
    const sio_packet p{c.type, c.nsp, c.id, json(c.data), c.attachments};
    std::string out;
    ASSERT_EQ(encode_packet(out, p), sio_error::ok);
    EXPECT_EQ(out, c.wire);
    out = "x";
    ASSERT_EQ(encode_packet(out, p, true), sio_error::ok);
    EXPECT_EQ(out, "x4" + c.wire);
  }
}

TEST(SocketIoEncoder, TreatsEmptyNamespaceAsMain) {
  std::string out;
  ASSERT_EQ(encode_packet(out, {t::event, "", {}, json(R"(["a"])"), {}}), sio_error::ok);
  EXPECT_EQ(out, R"(2["a"])");
}

// Accepted, but not how our encoder writes them.
TEST(SocketIoDecoder, AcceptsNonCanonicalForms) {
  const std::vector<packet_case> cases{
      {"0/admin", t::connect, "/admin", {}, "", {}},
      {R"(2 ["a"] )", t::event, "/", {}, R"(["a"])", {}},
      {"5001-[\"a\"," + ph0 + "]", t::binary_event, "/", {}, "[\"a\"," + ph0 + "]", {"b"}},
      {"2[\"a\"," + ph0 + "]", t::event, "/", {}, "[\"a\"," + ph0 + "]", {}},  // kept, not resolved
      {R"(2["a",{"_placeholder":true,"num":0.0}])", t::event, "/", {},
       R"(["a",{"_placeholder":true,"num":0.0}])", {}},
      {R"(51-["a",{"_placeholder":true,"num":0.0}])", t::binary_event, "/", {},
       R"(["a",{"_placeholder":true,"num":0.0}])", {"b"}},
      {R"(51-["a",{"_placeholder":false,"num":9}])", t::binary_event, "/", {},
       R"(["a",{"_placeholder":false,"num":9}])", {"b"}},
      {R"(51-["a"])", t::binary_event, "/", {}, R"(["a"])", {"unused"}},  // reference ignores it
      {R"(61-[])", t::binary_ack, "/", {}, "[]", {"b"}},
      {R"(2[-1.5])", t::event, "/", {}, "[-1.5]", {}},
      {R"(2["a","b"])", t::event, "/", {}, R"(["a","b"])", {}},
      {R"(2["connected"])", t::event, "/", {}, R"(["connected"])", {}},
      {R"(2[""])", t::event, "/", {}, R"([""])", {}},
      {"0/,", t::connect, "/", {}, "", {}},
      {"01", t::connect, "/", 1, "", {}},  // the reference reads an ack id on any type
  };
  sio_decoder d;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.wire);
    expect_packet(decode_ok(d, c.wire, c.attachments), c);
  }
}

struct invalid_case {
  std::string wire;
  sio_error error;
};

TEST(SocketIoDecoder, RefusesInvalidTextPackets) {
  const std::string long_nsp = "/" + std::string(256, 'n');
  const std::vector<invalid_case> cases{
      // The reference parser's "invalid payload" cases.
      {R"(442["some","data")", sio_error::invalid_json},
      {R"(0/admin,"invalid")", sio_error::invalid_payload},
      {"0[]", sio_error::invalid_payload},
      {"1/admin,{}", sio_error::invalid_payload},
      {R"(2/admin,"invalid)", sio_error::invalid_json},
      {"2/admin,{}", sio_error::invalid_payload},
      {R"(2[{"toString":"foo"}])", sio_error::invalid_payload},
      {R"(2[true,"foo"])", sio_error::invalid_payload},
      {R"(2[null,"bar"])", sio_error::invalid_payload},
      {R"(2["connect"])", sio_error::invalid_payload},
      {R"(2["disconnect","123"])", sio_error::invalid_payload},
      // Its "Illegal attachments" and "unknown packet type" cases.
      {"5", sio_error::illegal_attachments},
      {"51", sio_error::illegal_attachments},
      {"50-", sio_error::illegal_attachments},
      {"5a-", sio_error::illegal_attachments},
      {"51.23-", sio_error::illegal_attachments},
      {"999", sio_error::unknown_type},
      // Every reserved event name.
      {R"(2["connect_error"])", sio_error::invalid_payload},
      {R"(2["disconnecting"])", sio_error::invalid_payload},
      {R"(2["newListener"])", sio_error::invalid_payload},
      {R"(2["removeListener"])", sio_error::invalid_payload},
      {R"(51-["disconnect",{"_placeholder":true,"num":0}])", sio_error::invalid_payload},
      // Payloads the type does not allow, or lacks.
      {"2", sio_error::invalid_payload},
      {"2/admin,", sio_error::invalid_payload},
      {"2[]", sio_error::invalid_payload},
      {R"(2{"a":1})", sio_error::invalid_payload},
      {R"(2"a")", sio_error::invalid_payload},
      {"2[[\"a\"]]", sio_error::invalid_payload},
      {"212", sio_error::invalid_payload},
      {"3", sio_error::invalid_payload},
      {"312", sio_error::invalid_payload},
      {"3/admin,12{}", sio_error::invalid_payload},
      {R"(3"a")", sio_error::invalid_payload},
      {"4", sio_error::invalid_payload},
      {"4[]", sio_error::invalid_payload},
      {"41", sio_error::invalid_payload},
      {"0null", sio_error::invalid_payload},
      {"1null", sio_error::invalid_payload},
      {"2null", sio_error::invalid_payload},
      {"0\"x\"", sio_error::invalid_payload},
      {"51-", sio_error::invalid_payload},
      {"51-{}", sio_error::invalid_payload},
      {"61-{}", sio_error::invalid_payload},
      // Broken JSON.
      {R"(2["a"] x)", sio_error::invalid_json},
      {R"(2["a",])", sio_error::invalid_json},
      {"2[\"a\"", sio_error::invalid_json},
      {"2admin,[\"a\"]", sio_error::invalid_json},
      {"3/admin,abc", sio_error::invalid_json},
      {R"(2["a"]/*c*/)", sio_error::invalid_json},
      {R"(2["\ud800"])", sio_error::invalid_json},
      {"2[\"\xff\"]", sio_error::invalid_json},
      {R"(2["a",1e999])", sio_error::invalid_json},
      {R"(2["a",{"x":[-1e400]}])", sio_error::invalid_json},
      // Types, attachment counts, namespaces, ack ids.
      {"", sio_error::unknown_type},
      {"7", sio_error::unknown_type},
      {"a", sio_error::unknown_type},
      {" 2[\"a\"]", sio_error::unknown_type},
      {"-1", sio_error::unknown_type},
      {"5-[\"a\"]", sio_error::illegal_attachments},
      {"5 1-[\"a\"]", sio_error::illegal_attachments},
      {"5+1-[\"a\"]", sio_error::illegal_attachments},
      {"6", sio_error::illegal_attachments},
      {"6/admin,1[]", sio_error::illegal_attachments},
      {"511-[\"a\"]", sio_error::too_many_attachments},
      {"599999999999999999999999999-[\"a\"]", sio_error::too_many_attachments},
      {"611-[]", sio_error::too_many_attachments},
      {"2" + long_nsp + ",[\"a\"]", sio_error::bad_namespace},
      {"2" + long_nsp, sio_error::bad_namespace},
      {R"(29007199254740992["x"])", sio_error::bad_ack_id},
      {R"(212345678901234567["x"])", sio_error::bad_ack_id},
      {R"(3/admin,99999999999999999999999[])", sio_error::bad_ack_id},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.wire);
    sio_decoder d;
    sio_packet out;
    EXPECT_EQ(d.feed_text(c.wire, out), sio_status::error);
    EXPECT_EQ(d.error(), c.error) << to_string(d.error());
  }
}

TEST(SocketIoDecoder, AcceptsTheLongestNamespace) {
  const std::string nsp = "/" + std::string(255, 'n');
  sio_decoder d;
  sio_packet out;
  ASSERT_EQ(d.feed_text("2" + nsp + ",[\"a\"]", out), sio_status::packet);
  EXPECT_EQ(out.nsp, nsp);
}

TEST(SocketIoDecoder, HonoursMaxAttachmentsOption) {
  const std::string three = "53-[\"hello\"," + ph0 + "," + ph1 + R"(,{"_placeholder":true,"num":2}])";
  sio_decoder strict({.max_attachments = 2});
  sio_packet out;
  EXPECT_EQ(strict.feed_text(three, out), sio_status::error);
  EXPECT_EQ(strict.error(), sio_error::too_many_attachments);

  sio_decoder d;
  EXPECT_EQ(d.feed_text("510-[\"a\"]", out), sio_status::need_attachment);
  d.reset();
  EXPECT_EQ(d.feed_text(three, out), sio_status::need_attachment);
}

TEST(SocketIoDecoder, LimitsJsonDepth) {
  auto nested = [](std::size_t depth) {
    return "2[\"a\"," + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "]";
  };
  sio_decoder d;
  sio_packet out;
  EXPECT_EQ(d.feed_text(nested(64), out), sio_status::packet);
  EXPECT_EQ(d.feed_text(nested(65), out), sio_status::error);
  EXPECT_EQ(d.error(), sio_error::invalid_json);

  sio_decoder deep({.max_depth = 1000});
  EXPECT_EQ(deep.feed_text(nested(1000), out), sio_status::packet);
}

struct attachment_case {
  std::string wire;
  std::vector<std::string> attachments;
  sio_error error;  // reported when the last attachment arrives
  bool require_each_used = false;
};

TEST(SocketIoDecoder, ValidatesPlaceholdersWhenTheLastAttachmentArrives) {
  const std::vector<attachment_case> cases{
      {"51-[\"a\"," + ph1 + "]", {"x"}, sio_error::bad_placeholder},
      {R"(51-["a",{"_placeholder":true,"num":-1}])", {"x"}, sio_error::bad_placeholder},
      {R"(51-["a",{"_placeholder":true,"num":"0"}])", {"x"}, sio_error::bad_placeholder},
      {R"(51-["a",{"_placeholder":true,"num":0.5}])", {"x"}, sio_error::bad_placeholder},
      {R"(51-["a",{"_placeholder":true}])", {"x"}, sio_error::bad_placeholder},
      {R"(51-["a",{"_placeholder":true,"num":null}])", {"x"}, sio_error::bad_placeholder},
      {R"(52-["a",[{"k":{"_placeholder":true,"num":2}}]])", {"x", "y"}, sio_error::bad_placeholder},
      {"52-[\"a\"," + ph0 + "]", {"x", "y"}, sio_error::unused_attachment, true},
      {"51-[\"a\"]", {"x"}, sio_error::unused_attachment, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.wire);
    sio_decoder d({.require_each_attachment_used = c.require_each_used});
    sio_packet out;
    ASSERT_EQ(d.feed_text(c.wire, out), sio_status::need_attachment);
    for (std::size_t i = 0; i + 1 < c.attachments.size(); ++i) {
      ASSERT_EQ(d.feed_binary(c.attachments[i], out), sio_status::need_attachment);
    }
    EXPECT_EQ(d.feed_binary(c.attachments.back(), out), sio_status::error);
    EXPECT_EQ(d.error(), c.error) << to_string(d.error());
  }
}

TEST(SocketIoDecoder, RefusesMessagesOutOfSequence) {
  sio_decoder d;
  sio_packet out;
  EXPECT_EQ(d.feed_binary("x", out), sio_status::error);
  EXPECT_EQ(d.error(), sio_error::unexpected_binary);

  d.reset();
  ASSERT_EQ(d.feed_text("52-[\"a\"," + ph0 + "," + ph1 + "]", out), sio_status::need_attachment);
  ASSERT_EQ(d.feed_binary("x", out), sio_status::need_attachment);
  EXPECT_EQ(d.feed_text(R"(2["a"])", out), sio_status::error);
  EXPECT_EQ(d.error(), sio_error::unexpected_text);
  EXPECT_FALSE(d.awaiting_attachments());
}

TEST(SocketIoDecoder, ErrorsAreStickyUntilReset) {
  sio_decoder d;
  sio_packet out;
  ASSERT_EQ(d.feed_text("9", out), sio_status::error);
  EXPECT_EQ(d.feed_text(R"(2["a"])", out), sio_status::error);
  EXPECT_EQ(d.feed_binary("x", out), sio_status::error);
  EXPECT_EQ(d.error(), sio_error::unknown_type);
  d.reset();
  EXPECT_EQ(d.error(), sio_error::ok);
  ASSERT_EQ(d.feed_text(R"(2["a"])", out), sio_status::packet);
  EXPECT_EQ(out.data, json(R"(["a"])"));
}

TEST(SocketIoDecoder, ResetDropsAPendingBinaryPacket) {
  sio_decoder d;
  sio_packet out;
  ASSERT_EQ(d.feed_text("51-[\"hello\"," + ph0 + "]", out), sio_status::need_attachment);
  d.reset();  // the reference's destroy(): decoding resumes with the next text packet
  ASSERT_EQ(d.feed_text(R"(2["hello"])", out), sio_status::packet);
  EXPECT_EQ(out.type, t::event);
  EXPECT_TRUE(out.attachments.empty());
}

TEST(SocketIoDecoder, DoesNotCarryFieldsIntoTheNextPacket) {
  sio_decoder d;
  sio_packet first;
  ASSERT_EQ(d.feed_text(R"(2/admin,7["a"])", first), sio_status::packet);
  sio_packet second;
  ASSERT_EQ(d.feed_text(R"(2["b"])", second), sio_status::packet);
  EXPECT_EQ(second.nsp, "/");
  EXPECT_FALSE(second.id.has_value());
  EXPECT_EQ(first.nsp, "/admin");
  EXPECT_EQ(first.id, 7u);
}

struct encode_error_case {
  std::string name;
  sio_packet packet;
  sio_error error;
};

TEST(SocketIoEncoder, RefusesWhatCouldNotBeDecoded) {
  const std::vector<encode_error_case> cases{
      {"comma in namespace", {t::event, "/a,b", {}, json(R"(["hello"])"), {}}, sio_error::bad_namespace},
      {"binary comma in namespace", {t::binary_event, "/a,b", {}, json("[\"hello\"," + ph0 + "]"), {"x"}},
       sio_error::bad_namespace},
      {"namespace without slash", {t::event, "admin", {}, json(R"(["hello"])"), {}}, sio_error::bad_namespace},
      {"binary without attachments", {t::binary_event, "/", {}, json(R"(["a"])"), {}},
       sio_error::illegal_attachments},
      {"attachments on a text type", {t::event, "/", {}, json(R"(["a"])"), {"x"}},
       sio_error::illegal_attachments},
      {"ack id too large", {t::ack, "/", 9007199254740992ull, json("[]"), {}}, sio_error::bad_ack_id},
      {"connect with array", {t::connect, "/", {}, json("[]"), {}}, sio_error::invalid_payload},
      {"disconnect with data", {t::disconnect, "/", {}, json("{}"), {}}, sio_error::invalid_payload},
      {"event without data", {t::event, "/", {}, {}, {}}, sio_error::invalid_payload},
      {"reserved event", {t::event, "/", {}, json(R"(["connect"])"), {}}, sio_error::invalid_payload},
      {"ack with object", {t::ack, "/", 1, json("{}"), {}}, sio_error::invalid_payload},
      {"connect_error with number", {t::connect_error, "/", {}, json("1"), {}}, sio_error::invalid_payload},
      {"placeholder out of range", {t::binary_event, "/", {}, json("[\"a\"," + ph1 + "]"), {"x"}},
       sio_error::bad_placeholder},
      {"unknown type", {static_cast<t>(7), "/", {}, json(R"(["a"])"), {}}, sio_error::unknown_type},
      {"infinity", {t::event, "/", {}, boost::json::array{"a", std::numeric_limits<double>::infinity()}, {}}, sio_error::invalid_payload},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string out = "kept";
    EXPECT_EQ(encode_packet(out, c.packet), c.error);
    EXPECT_EQ(out, "kept");
  }
}

struct event_case {
  std::string nsp;
  std::string event;
  std::string args;  // JSON array text
  std::string wire;
};

TEST(SocketIoEncoder, EncodesBroadcastEvents) {
  const std::vector<event_case> cases{
      {"/", "hello", "[]", R"(42["hello"])"},
      {"", "hello", "[1]", R"(42["hello",1])"},
      {"/", "hey", R"(["Jude"])", R"(42["hey","Jude"])"},
      {"/admin", "message:new", R"([{"id":"m1","seq":7},"x",null,true])",
       R"(42/admin,["message:new",{"id":"m1","seq":7},"x",null,true])"},
      {"/", "we\"ird\\\n\x01", "[[]]", R"(42["we\"ird\\\n\u0001",[]])"},
      {"/", "typing", R"([{"a":[1,2,{"b":"c"}]}])", R"(42["typing",{"a":[1,2,{"b":"c"}]}])"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.wire);
    std::string from_array = "x";
    encode_event(from_array, c.nsp, c.event, json(c.args).as_array());
    EXPECT_EQ(from_array, "x" + c.wire);

    std::string from_text;
    encode_event(from_text, c.nsp, c.event, std::string_view(c.args));
    EXPECT_EQ(from_text, c.wire);

    // What we broadcast is what a client-side decoder accepts.
    sio_decoder d;
    sio_packet p;
    ASSERT_EQ(d.feed_text(std::string_view(c.wire).substr(1), p), sio_status::packet);
    EXPECT_EQ(p.type, t::event);
    EXPECT_EQ(p.nsp, c.nsp.empty() ? "/" : c.nsp);
    auto expected = json(c.args).as_array();
    expected.insert(expected.begin(), boost::json::value(c.event));
    EXPECT_EQ(p.data, boost::json::value(expected));
  }
}

TEST(SocketIoEncoder, EncodeEventToleratesWhitespaceAroundArgs) {
  std::string out;
  encode_event(out, "/", "a", std::string_view(" [ ] "));
  EXPECT_EQ(out, R"(42["a"])");
  out.clear();
  encode_event(out, "/", "a", std::string_view("\n[1, 2]\n"));
  EXPECT_EQ(out, R"(42["a",1, 2])");
}

TEST(SocketIoEncoder, EncodeEventAppendsLargeArguments) {
  const std::string big(100000, 'z');
  boost::json::array args{boost::json::value(big)};
  std::string out;
  encode_event(out, "/", "blob", args);
  EXPECT_EQ(out, "42[\"blob\",\"" + big + "\"]");
}

struct placeholder_case {
  std::string data;
  std::size_t count;
  bool require_each_used;
  sio_error error;
};

TEST(SocketIoPlaceholders, ChecksRangeAndUse) {
  const std::vector<placeholder_case> cases{
      {"[\"a\"," + ph0 + "]", 1, true, sio_error::ok},
      {"[\"a\"," + ph0 + "," + ph0 + "]", 1, true, sio_error::ok},
      {"[\"a\"," + ph1 + "," + ph0 + "]", 2, true, sio_error::ok},
      {"[\"a\"," + ph0 + "]", 2, true, sio_error::unused_attachment},
      {"[\"a\"," + ph0 + "]", 2, false, sio_error::ok},
      {"[\"a\"," + ph1 + "]", 1, false, sio_error::bad_placeholder},
      {"[\"a\"," + ph0 + "]", 0, false, sio_error::bad_placeholder},
      {R"(["a"])", 0, true, sio_error::ok},
      {R"({"x":{"y":[{"_placeholder":true,"num":3}]}})", 4, false, sio_error::ok},
      {R"({"x":{"y":[{"_placeholder":true,"num":4}]}})", 4, false, sio_error::bad_placeholder},
      {R"([{"_placeholder":true,"num":18446744073709551615}])", 4, false, sio_error::bad_placeholder},
      {R"([{"_placeholder":true,"num":1e300}])", 4, false, sio_error::bad_placeholder},
      {R"([{"_placeholder":"true","num":99}])", 1, false, sio_error::ok},
      {R"([{"_placeholder":1,"num":99}])", 1, false, sio_error::ok},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.data);
    EXPECT_EQ(check_placeholders(json(c.data), c.count, c.require_each_used), c.error);
  }
}

TEST(SocketIoPayload, FollowsReferenceIsPayloadValid) {
  struct row {
    t type;
    std::string data;
    bool valid;
  };
  const std::vector<row> rows{
      {t::connect, "", true},           {t::connect, "{}", true},        {t::connect, "[]", false},
      {t::connect, R"("x")", false},    {t::disconnect, "", true},       {t::disconnect, "{}", false},
      {t::event, R"(["a"])", true},     {t::event, "[1]", true},         {t::event, "[1.5]", true},
      {t::event, "[]", false},          {t::event, "", false},           {t::event, "[{}]", false},
      {t::binary_event, "[2]", true},   {t::binary_event, "[]", false},  {t::ack, "[]", true},
      {t::ack, "", false},              {t::binary_ack, "[]", true},     {t::binary_ack, "{}", false},
      {t::connect_error, "{}", true},   {t::connect_error, R"("m")", true},
      {t::connect_error, "[]", false},  {t::connect_error, "", false},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(std::to_string(static_cast<int>(r.type)) + " " + r.data);
    EXPECT_EQ(is_payload_valid(r.type, json(r.data)), r.valid);
  }
}

TEST(JsonString, EscapesLikeJsonStringify) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"", R"("")"},
      {"plain", R"("plain")"},
      {"q\"b\\", R"("q\"b\\")"},
      {"\b\f\n\r\t", R"("\b\f\n\r\t")"},
      {std::string("\0\x1f", 2), R"("\u0000\u001f")"},
      {"\x7f/é😀", "\"\x7f/é😀\""},
  };
  for (const auto& [in, expected] : cases) {
    std::string out = ">";
    append_json_string(out, in);
    EXPECT_EQ(out, ">" + expected);
    EXPECT_EQ(boost::json::parse(out.substr(1)), boost::json::value(in));
  }
}

}  // namespace
}  // namespace ringcast::protocol
