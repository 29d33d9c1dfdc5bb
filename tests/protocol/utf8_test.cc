#include "protocol/utf8.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace ringcast::protocol {
namespace {

constexpr std::size_t truncated = std::string::npos;

struct utf8_case {
  std::string name;
  std::string bytes;
  bool valid;
  // For invalid input: the index of the byte that makes it invalid, where the validator must
  // stop; `truncated` when the input only ends inside a sequence.
  std::size_t first_bad = truncated;
};

std::vector<utf8_case> utf8_cases() {
  return {
      {"empty", "", true},
      {"ascii", "hello, world 0123456789 ~!@#$%^&*()", true},
      {"nul_is_valid", std::string("a\0b", 3), true},
      {"two_byte", "caf\xC3\xA9 \xC2\x80 \xDF\xBF", true},
      {"three_byte", "\xE0\xA0\x80 \xE2\x82\xAC \xED\x9F\xBF \xEE\x80\x80 \xEF\xBF\xBF", true},
      {"four_byte", "\xF0\x90\x80\x80 \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF", true},
      {"long_ascii_then_multibyte", std::string(37, 'a') + "\xE2\x82\xAC" + std::string(19, 'b'), true},
      {"stray_continuation", "ab\x80", false, 2},
      {"lone_lead_then_ascii", "\xC3" "a", false, 1},
      {"overlong_nul_2", "\xC0\x80", false, 0},
      {"overlong_slash_2", "\xC1\xBF", false, 0},
      {"overlong_3", "\xE0\x80\xAF", false, 1},
      {"overlong_3_max", "\xE0\x9F\xBF", false, 1},
      {"overlong_4", "\xF0\x80\x80\xAF", false, 1},
      {"overlong_4_max", "\xF0\x8F\xBF\xBF", false, 1},
      {"surrogate_low_bound", "\xED\xA0\x80", false, 1},
      {"surrogate_high_bound", "\xED\xBF\xBF", false, 1},
      {"surrogate_pair_cesu", "\xED\xA0\xBD\xED\xB8\x80", false, 1},
      {"above_10ffff", "\xF4\x90\x80\x80", false, 1},
      {"lead_f5", "\xF5\x80\x80\x80", false, 0},
      {"lead_ff", "ok\xFF", false, 2},
      {"bad_third_byte", "\xE2\x82" "A", false, 2},
      {"bad_fourth_byte", "\xF0\x9F\x98" "A", false, 3},
      {"truncated_2", "a\xC3", false},
      {"truncated_3", "\xE2\x82", false},
      {"truncated_4", "\xF0\x9F\x98", false},
      {"invalid_after_long_ascii", std::string(40, 'x') + "\xC0", false, 40},
  };
}

void PrintTo(const utf8_case& c, std::ostream* os) { *os << c.name; }

// Feeds the chunks and checks the fail-fast contract: feed() turns false exactly at the chunk
// holding the first bad byte.
void check_chunks(const utf8_case& c, const std::vector<std::size_t>& cuts) {
  utf8_validator v;
  std::size_t prev = 0;
  for (std::size_t i = 0; i <= cuts.size(); ++i) {
    const std::size_t cut = i < cuts.size() ? cuts[i] : c.bytes.size();
    const bool ok = v.feed(std::string_view(c.bytes).substr(prev, cut - prev));
    const bool bad_inside = c.first_bad != truncated && c.first_bad < cut;
    ASSERT_EQ(ok, !bad_inside) << "chunk [" << prev << ", " << cut << ")";
    prev = cut;
  }
  EXPECT_EQ(v.complete(), c.valid);
  EXPECT_EQ(v.failed(), c.first_bad != truncated);
}

class utf8_table : public ::testing::TestWithParam<utf8_case> {};

TEST_P(utf8_table, whole) {
  check_chunks(GetParam(), {});
  EXPECT_EQ(is_valid_utf8(GetParam().bytes), GetParam().valid);
}

TEST_P(utf8_table, every_split_point) {
  for (std::size_t cut = 0; cut <= GetParam().bytes.size(); ++cut) {
    SCOPED_TRACE(cut);
    check_chunks(GetParam(), {cut});
  }
}

TEST_P(utf8_table, byte_by_byte) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < GetParam().bytes.size(); ++i) cuts.push_back(i);
  check_chunks(GetParam(), cuts);
}

INSTANTIATE_TEST_SUITE_P(cases, utf8_table, ::testing::ValuesIn(utf8_cases()),
                         [](const auto& info) { return info.param.name; });

TEST(utf8_validator, failure_is_sticky_until_reset) {
  utf8_validator v;
  EXPECT_FALSE(v.feed("\xFF"));
  EXPECT_FALSE(v.feed("a"));
  EXPECT_FALSE(v.complete());
  v.reset();
  EXPECT_TRUE(v.feed("a"));
  EXPECT_TRUE(v.complete());
}

TEST(utf8_validator, byte_span_overload) {
  const std::byte euro[] = {std::byte{0xE2}, std::byte{0x82}, std::byte{0xAC}};
  EXPECT_TRUE(is_valid_utf8(std::span<const std::byte>(euro)));
  EXPECT_FALSE(is_valid_utf8(std::span<const std::byte>(euro).first(2)));
}

// Textbook decoding by code point arithmetic, independent of the validator's byte ranges.
bool reference_valid(std::string_view s) {
  static constexpr std::uint32_t min_for_length[] = {0, 0, 0x80, 0x800, 0x10000};
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len;
    std::uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min_for_length[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

TEST(utf8_validator, matches_reference_on_all_two_byte_strings) {
  std::string s(2, '\0');
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      s[0] = static_cast<char>(a);
      s[1] = static_cast<char>(b);
      ASSERT_EQ(is_valid_utf8(s), reference_valid(s)) << a << " " << b;
      utf8_validator v;  // the same bytes, split
      v.feed(s.substr(0, 1));
      v.feed(s.substr(1));
      ASSERT_EQ(v.complete(), reference_valid(s)) << a << " " << b;
    }
  }
}

TEST(utf8_validator, matches_reference_on_three_byte_strings_with_a_non_ascii_lead) {
  std::string s(3, '\0');
  for (int a = 0x80; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (int c = 0; c < 256; ++c) {
        s[0] = static_cast<char>(a);
        s[1] = static_cast<char>(b);
        s[2] = static_cast<char>(c);
        ASSERT_EQ(is_valid_utf8(s), reference_valid(s)) << a << " " << b << " " << c;
      }
    }
  }
}

TEST(utf8_validator, matches_reference_on_four_byte_sequences) {
  std::string s(4, '\0');
  for (int a = 0xF0; a < 0x100; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (const int c : {0x41, 0x80, 0x9F, 0xBF, 0xC0}) {
        for (const int d : {0x41, 0x80, 0xBF, 0xC0}) {
          s = {static_cast<char>(a), static_cast<char>(b), static_cast<char>(c), static_cast<char>(d)};
          ASSERT_EQ(is_valid_utf8(s), reference_valid(s)) << a << " " << b << " " << c << " " << d;
        }
      }
    }
  }
}

}  // namespace
}  // namespace ringcast::protocol
