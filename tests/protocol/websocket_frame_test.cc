#include "protocol/websocket_frame.h"

#include <gtest/gtest.h>

#include <cstring>
#include <ostream>
#include <string>
#include <vector>

#include "protocol/utf8.h"

namespace ringcast::protocol {
namespace {

// ---- helpers

std::string hex(std::string_view spaced) {
  std::string out;
  for (std::size_t i = 0; i < spaced.size();) {
    if (spaced[i] == ' ') {
      ++i;
      continue;
    }
    out.push_back(static_cast<char>(std::stoi(std::string(spaced.substr(i, 2)), nullptr, 16)));
    i += 2;
  }
  return out;
}

constexpr mask_key test_key{std::byte{0x37}, std::byte{0xfa}, std::byte{0x21}, std::byte{0x3d}};

// A client frame as a browser would send it.
std::string cf(opcode op, std::string_view payload, bool fin = true, bool rsv1 = false) {
  std::string out;
  append_masked_frame(out, op, payload, test_key, fin, rsv1);
  return out;
}

// A server frame, for the client-role decoder.
std::string sf(opcode op, std::string_view payload, bool fin = true) {
  std::string out;
  append_frame(out, op, payload, fin);
  return out;
}

// Exactly n bytes of valid UTF-8 with 2-, 3- and 4-byte characters among ASCII runs, like chat
// text, so that splits land inside multi-byte sequences and on the ASCII fast path.
std::string utf8_text(std::size_t n) {
  static const char* const pieces[] = {"h", "\xC3\xA9", "llo w", "\xE2\x82\xAC", "rld, quick fox ", "\xF0\x9D\x84\x9E", " "};
  std::string out;
  for (std::size_t i = 0; out.size() < n; ++i) {
    const std::string_view p = pieces[i % 7];
    out.append(out.size() + p.size() <= n ? p : std::string_view("x"));
  }
  return out;
}

std::string binary_bytes(std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>((i * 131 + 7) & 0xFF);
  return out;
}

struct event {
  frame_event kind = frame_event::need_more;
  std::string payload;
  std::uint16_t code = 0;
  bool compressed = false;
  bool operator==(const event&) const = default;
};

const char* kind_name(frame_event k) {
  switch (k) {
    case frame_event::need_more: return "need_more";
    case frame_event::text: return "text";
    case frame_event::binary: return "binary";
    case frame_event::ping: return "ping";
    case frame_event::pong: return "pong";
    case frame_event::close: return "close";
    case frame_event::error: return "error";
  }
  return "?";
}

void PrintTo(const event& e, std::ostream* os) {
  *os << "{" << kind_name(e.kind) << " size=" << e.payload.size() << " code=" << e.code
      << (e.compressed ? " compressed" : "") << " payload=\"" << e.payload.substr(0, 40) << "\"}";
}

event text(std::string p, bool compressed = false) { return {frame_event::text, std::move(p), 0, compressed}; }
event binary(std::string p, bool compressed = false) { return {frame_event::binary, std::move(p), 0, compressed}; }
event ping(std::string p) { return {frame_event::ping, std::move(p)}; }
event pong(std::string p) { return {frame_event::pong, std::move(p)}; }
event close_ev(std::uint16_t code, std::string reason = {}) { return {frame_event::close, std::move(reason), code}; }
event error(std::uint16_t code) { return {frame_event::error, {}, code}; }

// Feeds `input` as a connection would receive it, in chunks ending at `cuts`: append to the
// buffer, decode until need_more or error, drop what was consumed.
std::vector<event> replay(std::string_view input, const std::vector<std::size_t>& cuts, decoder_options options) {
  websocket_decoder dec(options);
  std::vector<std::byte> buf;
  std::vector<event> events;
  std::size_t prev = 0;
  for (std::size_t i = 0; i <= cuts.size(); ++i) {
    const std::size_t cut = i < cuts.size() ? cuts[i] : input.size();
    const auto* chunk = reinterpret_cast<const std::byte*>(input.data() + prev);
    buf.insert(buf.end(), chunk, chunk + (cut - prev));
    prev = cut;
    for (;;) {
      const decode_result r = dec.decode(buf);
      if (r.kind == frame_event::error) {
        events.push_back(error(r.code));
        return events;
      }
      EXPECT_LE(r.consumed, buf.size());
      if (r.kind == frame_event::need_more) {
        // Otherwise the decoder could have made progress with what it has.
        EXPECT_GT(r.need, buf.size() - r.consumed);
        buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.consumed));
        break;
      }
      events.push_back({r.kind, std::string(r.text()), r.code, r.compressed});
      buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.consumed));
    }
  }
  return events;
}

struct frame_case {
  std::string name;
  std::string input;
  std::vector<event> expected;
  decoder_options options{};
};

decoder_options client_role() { return {.side = role::client}; }
decoder_options with_deflate() { return {.permessage_deflate = true}; }
decoder_options max_size(std::size_t n) { return {.max_message_size = n}; }

std::vector<frame_case> valid_cases() {
  std::vector<frame_case> cases = {
      // RFC 6455 section 5.7 examples.
      {"rfc_masked_hello", hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"), {text("Hello")}},
      {"rfc_unmasked_hello_to_client", hex("81 05 48 65 6c 6c 6f"), {text("Hello")}, client_role()},
      {"rfc_fragmented_unmasked", hex("01 03 48 65 6c 80 02 6c 6f"), {text("Hello")}, client_role()},
      {"rfc_unmasked_ping", hex("89 05 48 65 6c 6c 6f"), {ping("Hello")}, client_role()},
      {"rfc_masked_pong", hex("8a 85 37 fa 21 3d 7f 9f 4d 51 58"), {pong("Hello")}},
      {"rfc_256_bytes_binary", hex("82 7E 01 00") + binary_bytes(256), {binary(binary_bytes(256))}, client_role()},
      {"rfc_64k_binary", hex("82 7F 00 00 00 00 00 01 00 00") + binary_bytes(65536), {binary(binary_bytes(65536))},
       client_role()},

      {"fragmented_text_with_interleaved_ping_and_pong",
       cf(opcode::text, "h\xC3\xA9llo ", false) + cf(opcode::ping, "p") + cf(opcode::continuation, "w\xC3", false) +
           cf(opcode::pong, "") + cf(opcode::continuation, "\xB6rld \xE2\x82\xAC"),
       {ping("p"), pong(""), text("h\xC3\xA9llo w\xC3\xB6rld \xE2\x82\xAC")}},
      {"utf8_sequence_split_around_a_ping",
       cf(opcode::text, "\xE2", false) + cf(opcode::ping, "x") + cf(opcode::continuation, "\x82\xAC"),
       {ping("x"), text("\xE2\x82\xAC")}},
      {"fragmented_binary_with_empty_fragments",
       cf(opcode::binary, "", false) + cf(opcode::continuation, binary_bytes(300), false) +
           cf(opcode::continuation, "", false) + cf(opcode::continuation, "end"),
       {binary(binary_bytes(300) + "end")}},
      {"empty_fragmented_text", cf(opcode::text, "", false) + cf(opcode::continuation, ""), {text("")}},
      {"sequence_of_messages",
       cf(opcode::text, "one") + cf(opcode::binary, std::string_view("\x00\xff", 2)) + cf(opcode::ping, "") + cf(opcode::text, "two") +
           cf(opcode::close, hex("03 e8") + "bye"),
       {text("one"), binary(std::string("\x00\xff", 2)), ping(""), text("two"), close_ev(1000, "bye")}},
      {"close_without_code", cf(opcode::close, ""), {close_ev(close_code::no_status)}},
      {"close_4999", cf(opcode::close, hex("13 87")), {close_ev(4999)}},
      {"close_3000_utf8_reason", cf(opcode::close, hex("0b b8") + "\xE2\x82\xAC"), {close_ev(3000, "\xE2\x82\xAC")}},
      {"close_max_reason", cf(opcode::close, hex("03 e9") + std::string(123, 'r')),
       {close_ev(1001, std::string(123, 'r'))}},
      {"ping_125_bytes", cf(opcode::ping, std::string(125, 'p')), {ping(std::string(125, 'p'))}},
      {"server_frames_to_client", sf(opcode::text, "hi") + sf(opcode::binary, "a", false) + sf(opcode::continuation, "b"),
       {text("hi"), binary("ab")}, client_role()},
      // Deflated text is not UTF-8 yet: the decoder must pass it through unvalidated.
      {"compressed_text", cf(opcode::text, hex("f2 48 cd c9 c9 07 00"), true, true),
       {text(hex("f2 48 cd c9 c9 07 00"), true)}, with_deflate()},
      {"compressed_fragmented_binary",
       cf(opcode::binary, "\xff\xfe", false, true) + cf(opcode::ping, "") + cf(opcode::continuation, "\x01"),
       {ping(""), binary("\xff\xfe\x01", true)}, with_deflate()},
      {"uncompressed_text_with_deflate_negotiated", cf(opcode::text, "plain"), {text("plain")}, with_deflate()},
      {"message_of_exactly_max_size", cf(opcode::binary, std::string(1000, 'b')), {binary(std::string(1000, 'b'))},
       max_size(1000)},
      {"fragments_summing_to_max_size", cf(opcode::text, std::string(60, 'a'), false) + cf(opcode::continuation, std::string(40, 'b')),
       {text(std::string(60, 'a') + std::string(40, 'b'))}, max_size(100)},
      {"control_frames_do_not_count_toward_max_size",
       cf(opcode::text, "0123456789", false) + cf(opcode::ping, std::string(100, 'p')) + cf(opcode::continuation, ""),
       {ping(std::string(100, 'p')), text("0123456789")}, max_size(10)},
  };
  for (const std::size_t n : {0, 1, 7, 8, 9, 125, 126, 127, 65535, 65536}) {
    cases.push_back({"masked_text_" + std::to_string(n), cf(opcode::text, utf8_text(n)), {text(utf8_text(n))}});
    cases.push_back({"masked_binary_" + std::to_string(n), cf(opcode::binary, binary_bytes(n)), {binary(binary_bytes(n))}});
  }
  return cases;
}

std::vector<frame_case> error_cases() {
  constexpr std::uint16_t proto = close_code::protocol_error;
  std::vector<frame_case> cases = {
      {"unmasked_client_frame", sf(opcode::text, "hi"), {error(proto)}},
      {"masked_server_frame", cf(opcode::text, "hi"), {error(proto)}, client_role()},
      {"rsv1_without_deflate", cf(opcode::text, "hi", true, true), {error(proto)}},
      {"rsv2", hex("a1 80") + hex("37 fa 21 3d"), {error(proto)}, with_deflate()},
      {"rsv3", hex("91 80") + hex("37 fa 21 3d"), {error(proto)}, with_deflate()},
      {"rsv1_on_continuation", cf(opcode::text, "a", false, true) + cf(opcode::continuation, "b", true, true),
       {error(proto)}, with_deflate()},
      {"rsv1_on_ping", cf(opcode::ping, "", true, true), {error(proto)}, with_deflate()},
      {"fragmented_ping", cf(opcode::ping, "x", false), {error(proto)}},
      {"fragmented_close", cf(opcode::close, "", false), {error(proto)}},
      // 126 announces a 16-bit length, already too long for a control frame.
      {"ping_126_bytes", hex("89 fe 00 7e 37 fa 21 3d") + std::string(126, 'p'), {error(proto)}},
      {"continuation_without_start", cf(opcode::continuation, "x"), {error(proto)}},
      {"text_inside_fragmented_message", cf(opcode::text, "a", false) + cf(opcode::text, "b"), {error(proto)}},
      {"binary_inside_fragmented_message", cf(opcode::binary, "a", false) + cf(opcode::binary, "b"), {error(proto)}},
      {"length_with_top_bit", hex("82 ff 80 00 00 00 00 00 00 00 37 fa 21 3d"), {error(proto)}},
      {"close_one_byte", cf(opcode::close, "\x03"), {error(proto)}},
      {"close_invalid_utf8_reason", cf(opcode::close, hex("03 e8 c0 af")), {error(proto)}},
      {"message_after_good_frames_breaks", cf(opcode::text, "ok") + cf(opcode::ping, "p") + sf(opcode::text, "x"),
       {text("ok"), ping("p"), error(proto)}},
      // The caps are enforced from the header alone: no payload follows.
      {"too_big_from_header", hex("82 fe 03 e9 37 fa 21 3d"), {error(close_code::message_too_big)}, max_size(1000)},
      {"too_big_default_cap", hex("81 ff 00 00 00 00 00 0f 42 41 37 fa 21 3d"), {error(close_code::message_too_big)}},
      {"too_big_summed_over_fragments", cf(opcode::text, std::string(60, 'a'), false) + hex("80 a9 37 fa 21 3d"),
       {error(close_code::message_too_big)}, max_size(100)},
      {"invalid_utf8", cf(opcode::text, "ab\xFF" "cd"), {error(close_code::invalid_payload)}},
      {"overlong_utf8", cf(opcode::text, "\xC0\xAF"), {error(close_code::invalid_payload)}},
      // Fail fast: the bad byte is reported though the rest of the frame never arrives.
      {"invalid_utf8_in_partial_frame", cf(opcode::text, "ab\xFF" + std::string(97, 'x')).substr(0, 6 + 5),
       {error(close_code::invalid_payload)}},
      {"invalid_utf8_in_middle_fragment", cf(opcode::text, "ok", false) + cf(opcode::continuation, "\xED\xA0\x80", false),
       {error(close_code::invalid_payload)}},
      {"invalid_continuation_across_fragments", cf(opcode::text, "\xE2\x82", false) + cf(opcode::continuation, "A"),
       {error(close_code::invalid_payload)}},
      {"truncated_sequence_at_message_end", cf(opcode::text, "\xE2\x82"), {error(close_code::invalid_payload)}},
      {"truncated_sequence_at_fragmented_end", cf(opcode::text, "a", false) + cf(opcode::continuation, "\xF0\x9F"),
       {error(close_code::invalid_payload)}},
  };
  for (const int op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    cases.push_back({"opcode_" + std::to_string(op), std::string{static_cast<char>(0x80 | op), '\x80'} + hex("37 fa 21 3d"),
                     {error(proto)}});
  }
  for (const std::uint16_t code : {0, 999, 1004, 1005, 1006, 1012, 1015, 1016, 2999, 5000, 65535}) {
    const std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    cases.push_back({"close_code_" + std::to_string(code), cf(opcode::close, payload), {error(proto)}});
  }
  for (const std::uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4000, 4999}) {
    const std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    cases.push_back({"close_code_" + std::to_string(code), cf(opcode::close, payload), {close_ev(code)}});
  }
  return cases;
}

void PrintTo(const frame_case& c, std::ostream* os) { *os << c.name; }

class frame_table : public ::testing::TestWithParam<frame_case> {};

TEST_P(frame_table, whole_input) {
  const frame_case& c = GetParam();
  EXPECT_EQ(replay(c.input, {}, c.options), c.expected);
}

// Two chunks, cut at every position. Large inputs make this quadratic, which is the point:
// every header byte and every payload offset (with its mask phase and UTF-8 state) is a cut.
TEST_P(frame_table, every_split_point) {
  const frame_case& c = GetParam();
  for (std::size_t cut = 1; cut < c.input.size(); ++cut) {
    const std::vector<event> got = replay(c.input, {cut}, c.options);
    ASSERT_EQ(got, c.expected) << "split at " << cut;
  }
}

TEST_P(frame_table, byte_by_byte) {
  const frame_case& c = GetParam();
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < c.input.size(); ++i) cuts.push_back(i);
  EXPECT_EQ(replay(c.input, cuts, c.options), c.expected);
}

std::string case_name(const ::testing::TestParamInfo<frame_case>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(valid, frame_table, ::testing::ValuesIn(valid_cases()), case_name);
INSTANTIATE_TEST_SUITE_P(errors, frame_table, ::testing::ValuesIn(error_cases()), case_name);

// ---- decoder properties the table does not show

std::vector<std::byte> to_buffer(std::string_view s) {
  const auto* p = reinterpret_cast<const std::byte*>(s.data());
  return {p, p + s.size()};
}

TEST(websocket_decoder, unfragmented_payload_is_unmasked_in_place) {
  std::vector<std::byte> buf = to_buffer(cf(opcode::text, "Hello") + cf(opcode::text, "a", false));
  websocket_decoder dec;
  const decode_result r = dec.decode(buf);
  ASSERT_EQ(r.kind, frame_event::text);
  EXPECT_EQ(r.consumed, 11u);
  EXPECT_EQ(r.payload.data(), buf.data() + 6);
  EXPECT_EQ(r.text(), "Hello");
}

TEST(websocket_decoder, fragmented_payload_is_assembled_and_fragments_are_consumed) {
  std::vector<std::byte> buf = to_buffer(cf(opcode::text, "Hel", false) + cf(opcode::continuation, "lo", false));
  websocket_decoder dec;
  decode_result r = dec.decode(buf);
  EXPECT_EQ(r.kind, frame_event::need_more);
  EXPECT_EQ(r.consumed, buf.size());
  EXPECT_EQ(r.need, 2u);
  EXPECT_TRUE(dec.in_message());

  std::vector<std::byte> last = to_buffer(cf(opcode::continuation, "!"));
  r = dec.decode(last);
  ASSERT_EQ(r.kind, frame_event::text);
  EXPECT_EQ(r.text(), "Hello!");
  EXPECT_FALSE(r.payload.data() >= last.data() && r.payload.data() < last.data() + last.size());
  EXPECT_FALSE(dec.in_message());
}

TEST(websocket_decoder, need_reports_header_then_whole_frame) {
  const std::string frame = cf(opcode::binary, std::string(300, 'x'));  // 2 + 2 + 4 header bytes
  websocket_decoder dec;
  std::vector<std::byte> buf = to_buffer(frame.substr(0, 1));
  EXPECT_EQ(dec.decode(buf).need, 2u);
  buf = to_buffer(frame.substr(0, 3));
  EXPECT_EQ(dec.decode(buf).need, 8u);
  buf = to_buffer(frame.substr(0, 20));
  EXPECT_EQ(dec.decode(buf).need, 308u);
}

TEST(websocket_decoder, partial_frame_is_unmasked_once) {
  const std::string frame = cf(opcode::binary, "abcdefghijklmnop");
  websocket_decoder dec;
  std::vector<std::byte> buf = to_buffer(frame.substr(0, 11));  // header + 5 payload bytes
  ASSERT_EQ(dec.decode(buf).kind, frame_event::need_more);
  EXPECT_EQ(std::memcmp(buf.data() + 6, "abcde", 5), 0);
  const std::string rest = frame.substr(11);
  buf.insert(buf.end(), reinterpret_cast<const std::byte*>(rest.data()),
             reinterpret_cast<const std::byte*>(rest.data() + rest.size()));
  const decode_result r = dec.decode(buf);
  ASSERT_EQ(r.kind, frame_event::binary);
  EXPECT_EQ(r.text(), "abcdefghijklmnop");
}

TEST(websocket_decoder, error_is_sticky_until_reset) {
  websocket_decoder dec;
  std::vector<std::byte> bad = to_buffer(sf(opcode::text, "x"));
  EXPECT_EQ(dec.decode(bad).code, close_code::protocol_error);
  std::vector<std::byte> good = to_buffer(cf(opcode::text, "x"));
  const decode_result again = dec.decode(good);
  EXPECT_EQ(again.kind, frame_event::error);
  EXPECT_EQ(again.code, close_code::protocol_error);
  dec.reset();
  EXPECT_EQ(dec.decode(good).kind, frame_event::text);
}

TEST(websocket_decoder, empty_buffer_needs_two_bytes) {
  websocket_decoder dec;
  const decode_result r = dec.decode({});
  EXPECT_EQ(r.kind, frame_event::need_more);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_EQ(r.need, 2u);
}

// ---- encoder

std::string header(opcode op, std::size_t len, bool fin = true, bool rsv1 = false) {
  std::string out(max_frame_header_size, '\0');
  const std::size_t n = write_frame_header(reinterpret_cast<std::byte*>(out.data()), op, len, fin, rsv1);
  EXPECT_EQ(n, frame_header_size(len));
  out.resize(n);
  return out;
}

TEST(websocket_encoder, header_lengths_use_the_shortest_form) {
  EXPECT_EQ(header(opcode::text, 0), hex("81 00"));
  EXPECT_EQ(header(opcode::text, 125), hex("81 7d"));
  EXPECT_EQ(header(opcode::binary, 126), hex("82 7e 00 7e"));
  EXPECT_EQ(header(opcode::binary, 65535), hex("82 7e ff ff"));
  EXPECT_EQ(header(opcode::binary, 65536), hex("82 7f 00 00 00 00 00 01 00 00"));
  EXPECT_EQ(header(opcode::binary, 0x123456789AULL), hex("82 7f 00 00 00 12 34 56 78 9a"));
}

TEST(websocket_encoder, header_flags) {
  EXPECT_EQ(header(opcode::text, 1, false), hex("01 01"));
  EXPECT_EQ(header(opcode::text, 1, true, true), hex("c1 01"));
  EXPECT_EQ(header(opcode::continuation, 1, true), hex("80 01"));
  EXPECT_EQ(header(opcode::pong, 0), hex("8a 00"));
}

TEST(websocket_encoder, rfc6455_examples) {
  EXPECT_EQ(sf(opcode::text, "Hello"), hex("81 05 48 65 6c 6c 6f"));
  EXPECT_EQ(cf(opcode::text, "Hello"), hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"));
  EXPECT_EQ(sf(opcode::text, "Hel", false) + sf(opcode::continuation, "lo"), hex("01 03 48 65 6c 80 02 6c 6f"));
  EXPECT_EQ(cf(opcode::pong, "Hello"), hex("8a 85 37 fa 21 3d 7f 9f 4d 51 58"));
  EXPECT_EQ(sf(opcode::binary, binary_bytes(256)).substr(0, 4), hex("82 7e 01 00"));
}

TEST(websocket_encoder, masked_header_carries_the_key) {
  std::string out(max_frame_header_size, '\0');
  const std::size_t n = write_masked_frame_header(reinterpret_cast<std::byte*>(out.data()), opcode::binary, 70000, test_key);
  EXPECT_EQ(out.substr(0, n), hex("82 ff 00 00 00 00 00 01 11 70 37 fa 21 3d"));
}

TEST(websocket_encoder, server_frames_decode_in_client_role) {
  for (const std::size_t n : {0, 125, 126, 65535, 65536}) {
    const std::string payload = binary_bytes(n);
    EXPECT_EQ(replay(sf(opcode::binary, payload), {}, client_role()), std::vector<event>{binary(payload)}) << n;
  }
}

TEST(websocket_encoder, apply_mask_in_pieces_matches_whole) {
  const std::string data = binary_bytes(53);
  for (std::size_t cut = 0; cut <= data.size(); ++cut) {
    std::vector<std::byte> whole = to_buffer(data);
    std::vector<std::byte> pieces = whole;
    apply_mask(whole, test_key);
    apply_mask(std::span(pieces).first(cut), test_key, 0);
    apply_mask(std::span(pieces).subspan(cut), test_key, cut);
    ASSERT_EQ(whole, pieces) << cut;
    for (std::size_t i = 0; i < data.size(); ++i) {
      ASSERT_EQ(whole[i], std::byte(data[i]) ^ test_key[i % 4]);
    }
  }
}

TEST(websocket_encoder, close_payload) {
  EXPECT_EQ(close_payload(1000, "bye"), hex("03 e8") + "bye");
  EXPECT_EQ(close_payload(4000, ""), hex("0f a0"));
  EXPECT_EQ(close_payload(close_code::no_status, "ignored"), "");
  std::string out;
  append_close_frame(out, 1001, "away");
  EXPECT_EQ(out, hex("88 06 03 e9") + "away");
}

TEST(websocket_encoder, close_reason_is_cut_at_a_character_boundary) {
  std::string reason = "a";
  for (int i = 0; i < 50; ++i) reason += "\xE2\x82\xAC";  // 151 bytes
  const std::string p = close_payload(1000, reason);
  EXPECT_EQ(p.size(), 2u + 1 + 40 * 3);
  EXPECT_TRUE(is_valid_utf8(std::string_view(p).substr(2)));
  EXPECT_EQ(close_payload(1000, std::string(200, 'x')).size(), 2u + max_close_reason);
}

}  // namespace
}  // namespace ringcast::protocol
