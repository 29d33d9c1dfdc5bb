#include "protocol/base64.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringcast::protocol {
namespace {

struct vector_case {
  std::string plain;
  std::string encoded;
};

// RFC 4648 section 10, plus every byte value at each position of a group.
const std::vector<vector_case> vectors = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
    {std::string("\x00", 1), "AA=="},
    {std::string("\x00\x00\x00", 3), "AAAA"},
    {"\xff\xff\xff", "////"},
    {"\xfb\xff", "+/8="},
    {"sample nonce!!!!", "c2FtcGxlIG5vbmNlISEhIQ=="},
};

TEST(base64, rfc4648_vectors) {
  for (const auto& v : vectors) {
    EXPECT_EQ(base64_encode(v.plain), v.encoded);
    EXPECT_EQ(base64_decode(v.encoded), v.plain) << v.encoded;
    EXPECT_EQ(base64_encoded_size(v.plain.size()), v.encoded.size());
  }
}

TEST(base64, encode_appends) {
  std::string out = "b";
  base64_encode("foo", out);
  EXPECT_EQ(out, "bZm9v");
}

TEST(base64, round_trips_every_length_and_byte) {
  std::string plain;
  for (std::size_t n = 0; n <= 300; ++n) {
    const std::string encoded = base64_encode(plain);
    ASSERT_EQ(encoded.size(), base64_encoded_size(n));
    ASSERT_EQ(base64_decode(encoded), plain) << n;
    plain.push_back(static_cast<char>((n * 167 + 13) & 0xFF));
  }
  std::string all(256, '\0');
  for (int i = 0; i < 256; ++i) all[static_cast<std::size_t>(i)] = static_cast<char>(i);
  for (std::size_t shift = 0; shift < 3; ++shift) {
    const std::string s = all.substr(shift);
    EXPECT_EQ(base64_decode(base64_encode(s)), s);
  }
}

TEST(base64, decode_replaces_the_output) {
  std::string out = "previous contents";
  ASSERT_TRUE(base64_decode("Zm9v", out));
  EXPECT_EQ(out, "foo");
  EXPECT_FALSE(base64_decode("Zm9", out));
  EXPECT_TRUE(out.empty());
}

TEST(base64, decode_into_a_raw_buffer) {
  char buf[base64_decoded_max_size(8)];
  EXPECT_EQ(base64_decode("Zm9vYg==", buf), 4u);
  EXPECT_EQ(std::string_view(buf, 4), "foob");
  EXPECT_EQ(base64_decode("Zm9vYg=", buf), std::nullopt);
}

TEST(base64, rejects_malformed_input) {
  const char* const invalid[] = {
      "Z",          "Zg",        "Zg=",       "Zm9vY",        // length not a multiple of 4
      "Zg===",      "====",      "Z===",      "=Zg=",         // misplaced or excess padding
      "Zg==Zg==",   "Zm8=Zm8=",                               // padding in the middle
      "Zh==",       "Zm9=",                                   // non-zero bits under the padding
      "Zm9v YmFy",  "Zm9v\nYmFy", " Zm9v",                    // whitespace
      "Zm-_",       "Zm9v!A==",  "Zm9v\x80\x80==",            // outside the alphabet
  };
  for (const char* s : invalid) EXPECT_EQ(base64_decode(s), std::nullopt) << s;
  EXPECT_EQ(base64_decode(std::string_view("Zm\0v", 4)), std::nullopt);
}

}  // namespace
}  // namespace ringcast::protocol
