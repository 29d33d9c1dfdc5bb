// The webhook form codecs: url-encoded bodies, header parameters and multipart/form-data. The
// multipart cases are data, replayed at every prefix: a body that arrives in pieces must reach
// the same verdict as the whole, and never an error that a longer body would not have.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "protocol/form_body.h"
#include "protocol/header_params.h"
#include "protocol/multipart.h"

namespace ringcast::protocol {
namespace {

using namespace std::string_literals;

form_field text(std::string name, std::string value) { return {std::move(name), std::move(value), std::nullopt, ""}; }

TEST(FormUrlencoded, DecodesPairsInOrder) {
  std::vector<form_field> out;
  ASSERT_EQ(parse_urlencoded("From=whatsapp%3A%2B1555&Body=Hello+there&&MediaUrl0=&flag", {}, out), form_status::ok);
  const std::vector<form_field> want{text("From", "whatsapp:+1555"), text("Body", "Hello there"), text("MediaUrl0", ""),
                                     text("flag", "")};
  EXPECT_EQ(out, want);
  ASSERT_NE(find_field(out, "Body"), nullptr);
  EXPECT_EQ(*find_field(out, "Body"), "Hello there");
  EXPECT_EQ(find_field(out, "body"), nullptr);
}

TEST(FormUrlencoded, LimitsAreCheckedBeforeFieldsAreKept) {
  std::vector<form_field> out{text("stale", "x")};
  form_limits limits;
  limits.max_fields = 2;
  EXPECT_EQ(parse_urlencoded("a=1&b=2", limits, out), form_status::ok);
  EXPECT_EQ(parse_urlencoded("a=1&b=2&c=3", limits, out), form_status::too_many_fields);
  EXPECT_TRUE(out.empty());
  limits.max_bytes = 6;
  EXPECT_EQ(parse_urlencoded("a=1&b=2", limits, out), form_status::too_large);
  EXPECT_EQ(parse_urlencoded("", limits, out), form_status::ok);
  EXPECT_TRUE(out.empty());
}

TEST(HeaderParams, ParsesTokensQuotedStringsAndCase) {
  auto ct = parse_header_params("Multipart/Form-Data; Boundary=\"a b\\\"c\" ; charset=utf-8;");
  ASSERT_TRUE(ct);
  EXPECT_EQ(ct->value, "multipart/form-data");
  ASSERT_NE(ct->param("boundary"), nullptr);
  EXPECT_EQ(*ct->param("boundary"), "a b\"c");
  EXPECT_EQ(*ct->param("charset"), "utf-8");
  auto cd = parse_header_params("form-data; name=\"attachment-1\"; filename=\"r\xc3\xa9sum\xc3\xa9.pdf\"");
  ASSERT_TRUE(cd);
  EXPECT_EQ(cd->value, "form-data");
  EXPECT_EQ(*cd->param("filename"), "r\xc3\xa9sum\xc3\xa9.pdf");
  for (const char* bad : {"", ";a=b", "text/plain; a", "text/plain; a=", "text/plain; a=\"open", "a b",
                          "text/plain; =b", "text/plain; a=b c"})
    EXPECT_FALSE(parse_header_params(bad)) << bad;
}

TEST(Multipart, BoundaryFromTheContentType) {
  std::string storage;
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=xyz", storage), "xyz");
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=\"with space\"", storage), "with space");
  EXPECT_EQ(multipart_boundary("multipart/form-data", storage), "");
  EXPECT_EQ(multipart_boundary("multipart/mixed; boundary=xyz", storage), "");
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'b'), storage), "");
}

struct multipart_case {
  const char* name;
  std::string body;
  multipart_status status;
  multipart_error error = multipart_error::none;
  std::vector<form_field> parts = {};
  std::size_t consumed = 0;  // complete: 0 means the whole body
  form_limits limits = {};
};

form_limits small_limits(std::size_t fields, std::size_t header_bytes) {
  form_limits l;
  l.max_fields = fields;
  l.max_part_header_bytes = header_bytes;
  return l;
}

const std::string two_fields =
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"sender\"\r\n"
    "\r\n"
    "bob@example.com\r\n"
    "--XyZ\r\n"
    "content-disposition: form-data; name=\"body-plain\"\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "line one\r\nline two\r\n--not the boundary\r\n"
    "--XyZ--\r\n";

std::vector<multipart_case> cases() {
  const form_field body_plain{"body-plain", "line one\r\nline two\r\n--not the boundary", std::nullopt,
                              "text/plain; charset=utf-8"};
  return {
      {"two fields", two_fields, multipart_status::complete, multipart_error::none,
       {text("sender", "bob@example.com"), body_plain}, two_fields.size() - 2},
      {"preamble, padding and epilogue",
       "This is a preamble\r\n--XyZ  \t\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--XyZ--\r\nepilogue",
       multipart_status::complete, multipart_error::none, {text("a", "1")}, 82},  // up to the "--" that closes it
      {"a file part and an empty value",
       "--XyZ\r\nContent-Disposition: form-data; name=\"attachment-1\"; filename=\"a.txt\"\r\nContent-Type: "
       "text/plain\r\n\r\nfile\0data\r\n--XyZ\r\nContent-Disposition: form-data; name=\"empty\"\r\n\r\n\r\n--XyZ--"s,
       multipart_status::complete, multipart_error::none,
       {{"attachment-1", std::string("file\0data", 9), std::string("a.txt"), "text/plain"}, text("empty", "")}},
      {"no parts", "--XyZ--", multipart_status::complete},
      {"truncated in a value", "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nvalue\r\n--Xy",
       multipart_status::need_more},
      {"truncated before the close", "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--XyZ",
       multipart_status::need_more},
      {"no boundary at all", "just some text", multipart_status::need_more},
      {"junk after a boundary", "--XyZx\r\n", multipart_status::error, multipart_error::bad_delimiter},
      {"a bare LF after a boundary", "--XyZ\n", multipart_status::error, multipart_error::bad_delimiter},
      {"one dash", "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--XyZ-x", multipart_status::error,
       multipart_error::bad_delimiter},
      {"a header without a colon", "--XyZ\r\nContent-Disposition form-data\r\n\r\nv\r\n--XyZ--",
       multipart_status::error, multipart_error::bad_header},
      {"a header name with a space", "--XyZ\r\nContent Disposition: form-data; name=a\r\n\r\nv\r\n--XyZ--",
       multipart_status::error, multipart_error::bad_header},
      {"no name", "--XyZ\r\nContent-Disposition: form-data\r\n\r\nv\r\n--XyZ--", multipart_status::error,
       multipart_error::no_name},
      {"not form-data", "--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\nv\r\n--XyZ--",
       multipart_status::error, multipart_error::no_name},
      {"no headers", "--XyZ\r\n\r\nv\r\n--XyZ--", multipart_status::error, multipart_error::no_name},
      {"too many parts",
       "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--XyZ\r\nContent-Disposition: form-data; "
       "name=b\r\n\r\n2\r\n--XyZ--",
       multipart_status::error, multipart_error::too_many_fields, {}, 0, small_limits(1, 4096)},
      {"a header section past its limit",
       "--XyZ\r\nContent-Disposition: form-data; name=\"a-rather-long-name\"\r\n\r\nv\r\n--XyZ--",
       multipart_status::error, multipart_error::header_too_large, {}, 0, small_limits(10, 40)},
  };
}

void check(const multipart_case& c) {
  SCOPED_TRACE(c.name);
  std::vector<form_field> out;
  const multipart_result whole = parse_multipart(c.body, "XyZ", c.limits, out);
  ASSERT_EQ(whole.status, c.status);
  EXPECT_EQ(whole.error, c.error);
  if (c.status == multipart_status::complete) {
    EXPECT_EQ(whole.consumed, c.consumed ? c.consumed : c.body.size());
    EXPECT_EQ(out, c.parts);
  } else {
    EXPECT_TRUE(out.empty());
  }
  // Every prefix: need_more until the verdict is decided, then the same verdict.
  for (std::size_t n = 0; n < c.body.size(); ++n) {
    std::vector<form_field> part_out;
    const multipart_result r = parse_multipart(std::string_view(c.body).substr(0, n), "XyZ", c.limits, part_out);
    if (r.status == multipart_status::need_more) {
      EXPECT_TRUE(part_out.empty());
      continue;
    }
    ASSERT_EQ(r.status, whole.status) << "prefix of " << n;
    EXPECT_EQ(r.error, whole.error) << "prefix of " << n;
    if (r.status == multipart_status::complete) {
      EXPECT_GE(n, whole.consumed);
      EXPECT_EQ(part_out, out);
    }
  }
}

TEST(Multipart, CasesAtEveryPrefix) {
  for (const auto& c : cases()) check(c);
}

TEST(Multipart, TooLargeBodies) {
  std::vector<form_field> out;
  form_limits limits;
  limits.max_bytes = 10;
  EXPECT_EQ(parse_multipart(two_fields, "XyZ", limits, out).error, multipart_error::too_large);
}

}  // namespace
}  // namespace ringcast::protocol
