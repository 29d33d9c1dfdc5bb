// The REST layer's pieces that need no server: query strings as operation arguments, and the
// HTTP status of each inbox error.
#include <gtest/gtest.h>

#include "broker/rest/rest_response.h"
#include "broker/rest/routes.h"

namespace ringcast::broker::rest {
namespace {

TEST(rest_api, query_strings_become_typed_arguments_where_they_parse) {
  auto o = query_object("limit=20&afterSeq=abc&requiresHuman=true&status=open&limit=5&cursor=a%2Bb", {"limit", "afterSeq"},
                        {"requiresHuman"});
  EXPECT_EQ(o.at("limit").as_int64(), 20);  // the first one counts
  EXPECT_EQ(o.at("afterSeq").as_string(), "abc");  // left a string: the operation refuses it
  EXPECT_EQ(o.at("requiresHuman").as_bool(), true);
  EXPECT_EQ(o.at("status").as_string(), "open");
  EXPECT_EQ(o.at("cursor").as_string(), "a+b");
  auto maybe = query_object("requiresHuman=maybe", {}, {"requiresHuman"});
  EXPECT_TRUE(maybe.at("requiresHuman").is_string());
  EXPECT_TRUE(query_object("", {"limit"}, {}).empty());
}

TEST(rest_api, inbox_errors_map_to_http_statuses) {
  EXPECT_EQ(status_of(inbox::error_code::bad_request), 400);
  EXPECT_EQ(status_of(inbox::error_code::forbidden), 403);
  EXPECT_EQ(status_of(inbox::error_code::not_found), 404);
  EXPECT_EQ(status_of(inbox::error_code::conflict), 409);
  EXPECT_EQ(status_of(inbox::error_code::rate_limited), 429);
  EXPECT_EQ(status_of(inbox::error_code::unavailable), 503);
}

}  // namespace
}  // namespace ringcast::broker::rest
