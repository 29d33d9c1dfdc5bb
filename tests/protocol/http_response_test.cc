#include "protocol/http_response.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringcast::protocol {
namespace {

TEST(HttpReasonPhrase, NamesTheCodesWeSend) {
  EXPECT_EQ(reason_phrase(101), "Switching Protocols");
  EXPECT_EQ(reason_phrase(200), "OK");
  EXPECT_EQ(reason_phrase(204), "No Content");
  EXPECT_EQ(reason_phrase(400), "Bad Request");
  EXPECT_EQ(reason_phrase(403), "Forbidden");
  EXPECT_EQ(reason_phrase(404), "Not Found");
  EXPECT_EQ(reason_phrase(413), "Content Too Large");
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(500), "Internal Server Error");
  EXPECT_EQ(reason_phrase(501), "Not Implemented");
  EXPECT_EQ(reason_phrase(503), "Service Unavailable");
  EXPECT_EQ(reason_phrase(505), "HTTP Version Not Supported");
  EXPECT_EQ(reason_phrase(299), "");
  EXPECT_EQ(reason_phrase(0), "");
  EXPECT_EQ(reason_phrase(1000), "");
}

TEST(HttpWriteResponse, KeepAliveWithBody) {
  std::string out = "previous bytes|";
  const http_header_field fields[] = {{"Content-Type", "text/plain; charset=UTF-8"}};
  write_response(out, 200, fields, "ok", true);
  EXPECT_EQ(out,
            "previous bytes|"
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: text/plain; charset=UTF-8\r\n"
            "Content-Length: 2\r\n"
            "\r\n"
            "ok");
}

TEST(HttpWriteResponse, CloseAddsConnectionClose) {
  std::string out;
  write_response(out, 404, {}, "", false);
  EXPECT_EQ(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

TEST(HttpWriteResponse, NoContentLengthOrBodyFor1xx204And304) {
  std::string out;
  const http_header_field upgrade[] = {{"Upgrade", "websocket"}, {"Connection", "Upgrade"}};
  write_response(out, 101, upgrade, "", true);
  EXPECT_EQ(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
  out.clear();
  write_response(out, 204, {}, "", true);
  EXPECT_EQ(out, "HTTP/1.1 204 No Content\r\n\r\n");
  out.clear();
  write_response(out, 304, {}, "", false);
  EXPECT_EQ(out, "HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n");
}

TEST(HttpWriteResponse, UnknownStatusKeepsAValidStatusLine) {
  std::string out;
  write_response(out, 599, {}, "x", true);
  EXPECT_EQ(out, "HTTP/1.1 599 \r\nContent-Length: 1\r\n\r\nx");
}

TEST(HttpWriteResponse, LargeBodyLength) {
  std::string out;
  const std::string body(1'000'000, 'b');
  write_response(out, 200, {}, body, true);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n" + body);
}

TEST(HttpWriteErrorResponse, PlainTextAndClose) {
  for (int status : {400, 413, 431, 501, 505}) {
    std::string out;
    write_error_response(out, status);
    const std::string reason(reason_phrase(status));
    EXPECT_EQ(out, "HTTP/1.1 " + std::to_string(status) + " " + reason +
                       "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
                       std::to_string(reason.size()) + "\r\nConnection: close\r\n\r\n" + reason);
  }
  std::string out;
  write_error_response(out, 431);
  EXPECT_EQ(out,
            "HTTP/1.1 431 Request Header Fields Too Large\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 31\r\n"
            "Connection: close\r\n"
            "\r\n"
            "Request Header Fields Too Large");
}

using field_list = std::vector<std::pair<std::string, std::string>>;

field_list cors(const cors_policy& policy, std::string_view origin) {
  std::vector<http_header_field> fields{{"Content-Type", "text/plain"}};
  append_cors_headers(policy, origin, fields);
  field_list out;
  for (std::size_t i = 1; i < fields.size(); ++i) out.emplace_back(fields[i].name, fields[i].value);
  EXPECT_EQ(fields[0].name, "Content-Type");  // appended, not replaced
  return out;
}

TEST(HttpCors, WildcardWithoutCredentialsAllowsAnyOrigin) {
  const cors_policy any{{"*"}, false};
  const field_list star{{"Access-Control-Allow-Origin", "*"}};
  EXPECT_EQ(cors(any, "https://a.example"), star);
  EXPECT_EQ(cors(any, ""), star);
  EXPECT_EQ(cors(any, "null"), star);
}

TEST(HttpCors, WildcardWithCredentialsEchoesTheOrigin) {
  const cors_policy any{{"*"}, true};
  EXPECT_EQ(cors(any, "https://a.example"), (field_list{{"Vary", "Origin"},
                                                         {"Access-Control-Allow-Origin", "https://a.example"},
                                                         {"Access-Control-Allow-Credentials", "true"}}));
  EXPECT_EQ(cors(any, "null"), (field_list{{"Vary", "Origin"}}));
  EXPECT_EQ(cors(any, ""), (field_list{{"Vary", "Origin"}}));
}

TEST(HttpCors, ListedOriginsOnly) {
  const cors_policy listed{{"https://app.example", "http://localhost:3000", "null"}, false};
  EXPECT_EQ(cors(listed, "https://app.example"),
            (field_list{{"Vary", "Origin"}, {"Access-Control-Allow-Origin", "https://app.example"}}));
  EXPECT_EQ(cors(listed, "http://localhost:3000"),
            (field_list{{"Vary", "Origin"}, {"Access-Control-Allow-Origin", "http://localhost:3000"}}));
  EXPECT_EQ(cors(listed, "null"), (field_list{{"Vary", "Origin"}, {"Access-Control-Allow-Origin", "null"}}));
  EXPECT_EQ(cors(listed, "https://evil.example"), (field_list{{"Vary", "Origin"}}));
  EXPECT_EQ(cors(listed, "https://app.example.evil"), (field_list{{"Vary", "Origin"}}));
  EXPECT_EQ(cors(listed, "HTTPS://APP.EXAMPLE"), (field_list{{"Vary", "Origin"}}));
  EXPECT_EQ(cors(listed, ""), (field_list{{"Vary", "Origin"}}));
}

TEST(HttpCors, CredentialsWithAListedOrigin) {
  const cors_policy listed{{"https://app.example"}, true};
  EXPECT_EQ(cors(listed, "https://app.example"), (field_list{{"Vary", "Origin"},
                                                             {"Access-Control-Allow-Origin", "https://app.example"},
                                                             {"Access-Control-Allow-Credentials", "true"}}));
  EXPECT_EQ(cors(listed, "https://other.example"), (field_list{{"Vary", "Origin"}}));
}

TEST(HttpCors, EmptyPolicyAllowsNothing) {
  EXPECT_EQ(cors(cors_policy{}, "https://a.example"), (field_list{{"Vary", "Origin"}}));
}

TEST(HttpPreflight, AllowedOriginWithRequestedHeaders) {
  const cors_policy policy{{"https://app.example"}, true, 600};
  std::string out;
  write_preflight_response(out, policy, "https://app.example", " content-type, x-token ", true);
  EXPECT_EQ(out,
            "HTTP/1.1 204 No Content\r\n"
            "Vary: Origin\r\n"
            "Access-Control-Allow-Origin: https://app.example\r\n"
            "Access-Control-Allow-Credentials: true\r\n"
            "Access-Control-Allow-Methods: GET, POST\r\n"
            "Access-Control-Allow-Headers: content-type, x-token\r\n"
            "Vary: Access-Control-Request-Headers\r\n"
            "Access-Control-Max-Age: 600\r\n"
            "\r\n");
}

TEST(HttpPreflight, WildcardWithoutRequestedHeaders) {
  std::string out;
  write_preflight_response(out, cors_policy{{"*"}, false}, "https://a.example", "", false);
  EXPECT_EQ(out,
            "HTTP/1.1 204 No Content\r\n"
            "Access-Control-Allow-Origin: *\r\n"
            "Access-Control-Allow-Methods: GET, POST\r\n"
            "Connection: close\r\n"
            "\r\n");
}

TEST(HttpPreflight, InvalidRequestedHeadersAreNotEchoed) {
  for (std::string_view requested : {"x-a, x b", ",", " , ", "x-a;x-b", "\"x\""}) {
    std::string out;
    write_preflight_response(out, cors_policy{{"*"}, false}, "https://a.example", requested, true);
    EXPECT_EQ(out,
              "HTTP/1.1 204 No Content\r\n"
              "Access-Control-Allow-Origin: *\r\n"
              "Access-Control-Allow-Methods: GET, POST\r\n"
              "\r\n")
        << requested;
  }
}

TEST(HttpPreflight, DisallowedOriginGetsNoPermissions) {
  std::string out;
  write_preflight_response(out, cors_policy{{"https://app.example"}, false, 600}, "https://evil.example",
                           "content-type", true);
  EXPECT_EQ(out, "HTTP/1.1 204 No Content\r\nVary: Origin\r\n\r\n");
}

}  // namespace
}  // namespace ringcast::protocol
