#include "protocol/http_negotiation.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace ringcast::protocol {
namespace {

TEST(HttpNegotiation, AcceptsGzipByNameWildcardAndWeight) {
  const std::vector<std::pair<std::string, bool>> cases{
      {"", false},  // no field: identity
      {"gzip", true},
      {"GZIP", true},
      {"x-gzip", true},
      {"gzip, deflate, br", true},
      {"deflate, br", false},
      {"br;q=1.0, gzip;q=0.8, *;q=0.1", true},
      {"gzip;q=0", false},
      {"gzip; q=0.000", false},
      {"gzip;q=0.001", true},
      {"gzip;Q=1", true},
      {"gzip;q=1.000", true},
      {"gzip;q=1.5", false},    // not a qvalue: not chosen
      {"gzip;q=abc", false},
      {"gzip;q=0.0001", false},  // at most three decimals
      {"*", true},
      {"*;q=0", false},
      {"gzip;q=0, *", false},  // named wins over the wildcard
      {"identity", false},
      {" , ,gzip ,", true},
      {"gzip;level=9", true},  // unknown parameters are ignored
  };
  for (const auto& [field, want] : cases) EXPECT_EQ(accepts_gzip(field), want) << '"' << field << '"';
}

TEST(HttpNegotiation, EtagListedUsesWeakComparison) {
  const std::string tag = "\"abc\"";
  EXPECT_TRUE(etag_listed("\"abc\"", tag));
  EXPECT_TRUE(etag_listed("W/\"abc\"", tag));
  EXPECT_TRUE(etag_listed("\"x\", \"abc\"", tag));
  EXPECT_TRUE(etag_listed("*", tag));
  EXPECT_FALSE(etag_listed("", tag));
  EXPECT_FALSE(etag_listed("\"abcd\"", tag));
  EXPECT_FALSE(etag_listed("abc", tag));  // unquoted is not the same tag
  EXPECT_FALSE(etag_listed("\"abc\"-gz", tag));
  EXPECT_FALSE(etag_listed("w/\"abc\"", tag));  // the weak prefix is case-sensitive
}

}  // namespace
}  // namespace ringcast::protocol
