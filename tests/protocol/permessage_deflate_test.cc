#include "protocol/permessage_deflate.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/utf8.h"
#include "protocol/websocket_frame.h"

namespace ringcast::protocol {
namespace {

std::string hex(std::string_view spaced) {
  std::string out;
  for (std::size_t i = 0; i + 1 < spaced.size(); i += 3) {
    out.push_back(static_cast<char>(std::stoi(std::string(spaced.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// ---- negotiation

struct offer_case {
  std::string offer;
  std::string response;  // empty: declined
  deflate_policy policy{};
};

deflate_policy client_window(std::uint8_t bits) { return {.client_max_window_bits = bits}; }

std::vector<offer_case> offer_cases() {
  return {
      {"permessage-deflate", "permessage-deflate"},
      // What Chrome and Firefox send.
      {"permessage-deflate; client_max_window_bits", "permessage-deflate"},
      {"permessage-deflate; client_max_window_bits", "permessage-deflate; client_max_window_bits=10", client_window(10)},
      // No client_max_window_bits in the offer: the server may not ask for a smaller window.
      {"permessage-deflate", "permessage-deflate", client_window(10)},
      {"permessage-deflate; client_max_window_bits=12", "permessage-deflate; client_max_window_bits=12"},
      {"permessage-deflate; client_max_window_bits=12", "permessage-deflate; client_max_window_bits=9", client_window(9)},
      {"permessage-deflate; client_max_window_bits=8", "permessage-deflate; client_max_window_bits=8"},
      {"permessage-deflate; client_max_window_bits=\"10\"", "permessage-deflate; client_max_window_bits=10"},
      {"permessage-deflate; client_max_window_bits=\"1\\0\"", "permessage-deflate; client_max_window_bits=10"},
      {"permessage-deflate; server_max_window_bits=10", "permessage-deflate; server_max_window_bits=10"},
      {"permessage-deflate; server_max_window_bits=15", "permessage-deflate; server_max_window_bits=15"},
      {"permessage-deflate", "permessage-deflate; server_max_window_bits=12", {.server_max_window_bits = 12}},
      {"permessage-deflate; server_max_window_bits=14", "permessage-deflate; server_max_window_bits=12",
       {.server_max_window_bits = 12}},
      {"permessage-deflate; server_no_context_takeover; client_no_context_takeover",
       "permessage-deflate; server_no_context_takeover; client_no_context_takeover"},
      {"permessage-deflate", "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
       {.server_no_context_takeover = true, .client_no_context_takeover = true}},
      {"  permessage-deflate ;client_no_context_takeover\t; server_max_window_bits = 9 ",
       "permessage-deflate; client_no_context_takeover; server_max_window_bits=9"},
      {"PerMessage-Deflate", "permessage-deflate"},
      {"x-webkit-deflate-frame, permessage-deflate", "permessage-deflate"},
      {"foo; bar=\"baz\"; qux, permessage-deflate", "permessage-deflate"},
      {", ,permessage-deflate,", "permessage-deflate"},
      // The first acceptable offer wins.
      {"permessage-deflate; server_max_window_bits=10, permessage-deflate", "permessage-deflate; server_max_window_bits=10"},
      // Declined offers (RFC 7692 section 5), falling through to the next one when there is one.
      {"permessage-deflate; server_max_window_bits=8", ""},
      {"permessage-deflate; server_max_window_bits=8, permessage-deflate", "permessage-deflate"},
      {"permessage-deflate; unknown_param", ""},
      {"permessage-deflate; unknown_param, permessage-deflate; client_no_context_takeover",
       "permessage-deflate; client_no_context_takeover"},
      {"permessage-deflate; server_no_context_takeover; server_no_context_takeover", ""},
      {"permessage-deflate; client_max_window_bits; client_max_window_bits=10", ""},
      {"permessage-deflate; server_max_window_bits=10; server_max_window_bits=10", ""},
      {"permessage-deflate; server_no_context_takeover=1", ""},
      {"permessage-deflate; client_no_context_takeover=\"x\"", ""},
      {"permessage-deflate; server_max_window_bits", ""},
      {"permessage-deflate; server_max_window_bits=16", ""},
      {"permessage-deflate; server_max_window_bits=7", ""},
      {"permessage-deflate; server_max_window_bits=08", ""},
      {"permessage-deflate; client_max_window_bits=010", ""},
      {"permessage-deflate; client_max_window_bits=abc", ""},
      {"permessage-deflate; client_max_window_bits=123456789012", ""},
      {"x-webkit-deflate-frame", ""},
      {"", ""},
      // Syntax errors refuse the whole header, even after an acceptable offer.
      {"permessage-deflate;", ""},
      {"permessage-deflate; =10", ""},
      {"permessage-deflate; client_max_window_bits=", ""},
      {"permessage-deflate; client_max_window_bits=\"10", ""},
      {"permessage-deflate; client_max_window_bits=\"\"", ""},
      {"permessage-deflate; client_max_window_bits=\"1 0\"", ""},
      {"permessage-deflate x", ""},
      {"permessage-deflate, foo; bar=\"a,b\"", ""},
      {"permessage-deflate, @", ""},
  };
}

TEST(permessage_deflate, negotiation_table) {
  for (const auto& c : offer_cases()) {
    const std::optional<deflate_params> params = negotiate_permessage_deflate(c.offer, c.policy);
    EXPECT_EQ(params ? format_deflate_response(*params) : "", c.response) << "offer: " << c.offer;
  }
}

TEST(permessage_deflate, negotiated_parameters) {
  const auto p = negotiate_permessage_deflate(
      "permessage-deflate; client_max_window_bits=11; server_max_window_bits=13; server_no_context_takeover");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->client_max_window_bits, 11);
  EXPECT_EQ(p->server_max_window_bits, 13);
  EXPECT_TRUE(p->server_no_context_takeover);
  EXPECT_FALSE(p->client_no_context_takeover);
}

// ---- inflate and deflate

std::string deflate_one(deflater& d, std::string_view message) {
  std::string out;
  EXPECT_TRUE(d.deflate(message, out));
  return out;
}

std::string inflate_one(inflater& i, std::string_view payload, std::size_t cap = 1'000'000) {
  std::string out;
  EXPECT_EQ(i.inflate(payload, out, cap), inflate_status::ok);
  return out;
}

// RFC 7692 section 7.2.3.1 and 7.2.3.2.
TEST(permessage_deflate, rfc7692_hello_examples) {
  deflater d(15, false);
  EXPECT_EQ(deflate_one(d, "Hello"), hex("f2 48 cd c9 c9 07 00"));
  EXPECT_EQ(deflate_one(d, "Hello"), hex("f2 00 11 00 00"));  // reuses the window

  inflater i(15, false);
  EXPECT_EQ(inflate_one(i, hex("f2 48 cd c9 c9 07 00")), "Hello");
  EXPECT_EQ(inflate_one(i, hex("f2 00 11 00 00")), "Hello");

  // The whole frame of section 7.2.3.1: FIN, RSV1, text.
  std::string frame;
  append_frame(frame, opcode::text, hex("f2 48 cd c9 c9 07 00"), true, true);
  EXPECT_EQ(frame, hex("c1 07 f2 48 cd c9 c9 07 00"));
}

TEST(permessage_deflate, rfc7692_stored_and_bfinal_examples) {
  inflater i(15, false);
  EXPECT_EQ(inflate_one(i, hex("00 05 00 fa ff 48 65 6c 6c 6f 00")), "Hello");  // 7.2.3.3
  EXPECT_EQ(inflate_one(i, hex("f3 48 cd c9 c9 07 00 00")), "Hello");           // 7.2.3.4, BFINAL
  // The window survives a BFINAL block, as section 7.2.2 requires with context takeover.
  EXPECT_EQ(inflate_one(i, hex("f2 00 11 00 00")), "Hello");
}

// Bytes after a BFINAL block belong to a new stream. They used to be dropped unread, so a
// message with garbage there passed as "Hello" and a second stream was silently lost.
TEST(permessage_deflate, bytes_after_bfinal_are_decoded_not_dropped) {
  inflater i(15, false);
  std::string out;
  EXPECT_EQ(i.inflate(hex("f3 48 cd c9 c9 07 00 ff fe ") + "garbage", out, 1000), inflate_status::corrupt);

  inflater j(15, false);
  EXPECT_EQ(inflate_one(j, hex("f3 48 cd c9 c9 07 00 f3 48 cd c9 c9 07 00")), "HelloHello");
  EXPECT_EQ(inflate_one(j, hex("f2 00 11 00 00")), "Hello");
}

TEST(permessage_deflate, no_context_takeover_restarts_each_message) {
  deflater d(15, true);
  EXPECT_EQ(deflate_one(d, "Hello"), hex("f2 48 cd c9 c9 07 00"));
  EXPECT_EQ(deflate_one(d, "Hello"), hex("f2 48 cd c9 c9 07 00"));

  // A back reference into the previous message needs the window the inflater dropped.
  inflater i(15, true);
  EXPECT_EQ(inflate_one(i, hex("f2 48 cd c9 c9 07 00")), "Hello");
  std::string out;
  EXPECT_EQ(i.inflate(hex("f2 00 11 00 00"), out, 100), inflate_status::corrupt);
}

std::string sample_text(std::size_t n, unsigned seed) {
  static constexpr std::string_view words[] = {"hello ", "world ", "caf\xC3\xA9 ", "ticket #", "42 ", "\xE2\x82\xAC "};
  std::string out;
  while (out.size() < n) out += words[(out.size() * 7 + seed) % 6];
  return out;
}

TEST(permessage_deflate, round_trips_across_windows_and_takeover) {
  for (int bits = 8; bits <= 15; ++bits) {
    for (const bool takeover : {true, false}) {
      deflater d(bits, !takeover);
      inflater i(bits, !takeover);
      for (unsigned m = 0; m < 6; ++m) {
        const std::string message = sample_text(m * m * 3000, m);
        const std::string payload = deflate_one(d, message);
        ASSERT_EQ(inflate_one(i, payload), message) << "bits " << bits << " message " << m;
      }
    }
  }
}

TEST(permessage_deflate, empty_and_incompressible_messages) {
  deflater d(15, false);
  inflater i(15, false);
  EXPECT_EQ(inflate_one(i, deflate_one(d, "")), "");
  std::string noise(100'000, '\0');
  for (std::size_t k = 0; k < noise.size(); ++k) noise[k] = static_cast<char>((k * 2654435761u) >> 13);
  const std::string payload = deflate_one(d, noise);
  EXPECT_EQ(inflate_one(i, payload), noise);
}

TEST(permessage_deflate, inflate_bomb_is_capped) {
  deflater d(15, true);
  const std::string bomb = deflate_one(d, std::string(10'000'000, 'a'));
  EXPECT_LT(bomb.size(), 20'000u);

  inflater i(15, true);
  std::string out;
  EXPECT_EQ(i.inflate(bomb, out, 1'000'000), inflate_status::too_big);
  EXPECT_LE(out.size(), 1'000'001u);

  inflater exact(15, true);
  const std::string at_cap = deflate_one(d, std::string(1'000'000, 'a'));
  out.clear();
  EXPECT_EQ(exact.inflate(at_cap, out, 1'000'000), inflate_status::ok);
  EXPECT_EQ(out.size(), 1'000'000u);
}

TEST(permessage_deflate, corrupt_input) {
  inflater i(15, false);
  std::string out;
  EXPECT_EQ(i.inflate(hex("ff ff ff"), out, 1000), inflate_status::corrupt);  // reserved block type
  inflater j(15, false);
  EXPECT_EQ(j.inflate(hex("00 05 00 00 00"), out, 1000), inflate_status::corrupt);  // LEN != ~NLEN
}

TEST(permessage_deflate, inflater_appends_and_can_be_moved) {
  deflater d(15, false);
  inflater i(15, false);
  std::string out = "> ";
  ASSERT_EQ(i.inflate(deflate_one(d, "first"), out, 100), inflate_status::ok);
  inflater moved = std::move(i);
  ASSERT_EQ(moved.inflate(deflate_one(d, "first"), out, 100), inflate_status::ok);
  EXPECT_EQ(out, "> firstfirst");
}

// The path a connection takes: a compressed client frame, decoded, inflated, then validated.
TEST(permessage_deflate, decoder_inflater_and_validator_together) {
  const auto params = negotiate_permessage_deflate("permessage-deflate; client_max_window_bits");
  ASSERT_TRUE(params);
  deflater client(params->client_max_window_bits, params->client_no_context_takeover);
  inflater server(params->client_max_window_bits, params->client_no_context_takeover);
  const mask_key key{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}};

  const std::string message = sample_text(5000, 3);
  const std::string payload = deflate_one(client, message);
  const std::size_t half = payload.size() / 2;
  std::string wire;
  append_masked_frame(wire, opcode::text, std::string_view(payload).substr(0, half), key, false, true);
  append_masked_frame(wire, opcode::ping, "", key);
  append_masked_frame(wire, opcode::continuation, std::string_view(payload).substr(half), key);

  websocket_decoder dec({.permessage_deflate = true});
  std::vector<std::byte> buf(reinterpret_cast<const std::byte*>(wire.data()),
                             reinterpret_cast<const std::byte*>(wire.data() + wire.size()));
  decode_result r = dec.decode(buf);
  ASSERT_EQ(r.kind, frame_event::ping);
  buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.consumed));
  r = dec.decode(buf);
  ASSERT_EQ(r.kind, frame_event::text);
  ASSERT_TRUE(r.compressed);
  std::string inflated;
  ASSERT_EQ(server.inflate(r.payload, inflated, dec.options().max_message_size), inflate_status::ok);
  EXPECT_TRUE(is_valid_utf8(inflated));
  EXPECT_EQ(inflated, message);
}

}  // namespace
}  // namespace ringcast::protocol
