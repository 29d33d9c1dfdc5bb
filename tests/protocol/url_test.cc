#include "protocol/url.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace ringcast::protocol {
namespace {

std::string decoded(std::string_view raw) {
  std::string out;
  form_decode(raw, out);
  return out;
}

TEST(UrlFormDecode, DecodesEscapesAndPlus) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"", ""},
      {"plain", "plain"},
      {"a+b", "a b"},
      {"%41%42", "AB"},
      {"%4a%4A", "JJ"},
      {"%2B", "+"},
      {"%25", "%"},
      {"%C3%A9", "\xc3\xa9"},
      {"%00", std::string("\0", 1)},
      {"%FF", "\xff"},
      {"a%20b+c", "a b c"},
      // Invalid escapes stay as they are; the bytes after them are still decoded.
      {"%", "%"},
      {"%4", "%4"},
      {"a%", "a%"},
      {"%zz", "%zz"},
      {"%4g", "%4g"},
      {"%g4", "%g4"},
      {"%%41", "%A"},
      {"%+", "% "},
      {"100%", "100%"},
  };
  for (const auto& [raw, want] : cases) EXPECT_EQ(decoded(raw), want) << raw;
}

TEST(UrlFormDecode, Appends) {
  std::string out = "x=";
  form_decode("a+b", out);
  EXPECT_EQ(out, "x=a b");
}

TEST(UrlQueryReader, YieldsRawPairsInOrderAndSkipsEmptyOnes) {
  query_reader reader("EIO=4&&transport=polling&t=N8h%2By&flag&=v&k=a=b&");
  std::vector<std::pair<std::string, std::string>> got;
  std::string_view key;
  std::string_view value;
  while (reader.next_raw(key, value)) got.emplace_back(key, value);
  const std::vector<std::pair<std::string, std::string>> want{
      {"EIO", "4"}, {"transport", "polling"}, {"t", "N8h%2By"}, {"flag", ""}, {"", "v"}, {"k", "a=b"}};
  EXPECT_EQ(got, want);
  EXPECT_FALSE(reader.next_raw(key, value));
}

TEST(UrlQueryReader, DecodesIntoReusedStrings) {
  query_reader reader("na%6De=J+Doe&x=%zz");
  std::string key;
  std::string value;
  ASSERT_TRUE(reader.next(key, value));
  EXPECT_EQ(key, "name");
  EXPECT_EQ(value, "J Doe");
  ASSERT_TRUE(reader.next(key, value));
  EXPECT_EQ(key, "x");
  EXPECT_EQ(value, "%zz");
  EXPECT_FALSE(reader.next(key, value));
}

TEST(UrlQueryReader, EmptyQueryHasNoPairs) {
  query_reader reader("");
  std::string_view key;
  std::string_view value;
  EXPECT_FALSE(reader.next_raw(key, value));
}

TEST(UrlQueryParam, FindsTheFirstPairWithTheDecodedKey) {
  const std::string_view q = "EIO=4&transport=polling&t=N8hyd6w&sid=Zr3%2BdK&sid=second&empty=&bare";
  EXPECT_EQ(query_param(q, "EIO"), "4");
  EXPECT_EQ(query_param(q, "transport"), "polling");
  EXPECT_EQ(query_param(q, "sid"), "Zr3+dK");
  EXPECT_EQ(query_param(q, "empty"), "");
  EXPECT_EQ(query_param(q, "bare"), "");
  EXPECT_EQ(query_param(q, "missing"), std::nullopt);
  EXPECT_EQ(query_param(q, "si"), std::nullopt);
  EXPECT_EQ(query_param(q, "sids"), std::nullopt);
  EXPECT_EQ(query_param(q, "eio"), std::nullopt);  // keys are case-sensitive
  EXPECT_EQ(query_param("", "a"), std::nullopt);
}

TEST(UrlQueryParam, ComparesKeysAfterDecoding) {
  EXPECT_EQ(query_param("s%69d=1", "sid"), "1");
  EXPECT_EQ(query_param("my+key=2", "my key"), "2");
  EXPECT_EQ(query_param("a%2Bb=3", "a+b"), "3");
  EXPECT_EQ(query_param("a%2Bb=3", "a b"), std::nullopt);
  EXPECT_EQ(query_param("%zz=4", "%zz"), "4");
  EXPECT_EQ(query_param("k%=5", "k%"), "5");
  EXPECT_EQ(query_param("k=%E2%9C%93", "k"), "\xe2\x9c\x93");
}

}  // namespace
}  // namespace ringcast::protocol
