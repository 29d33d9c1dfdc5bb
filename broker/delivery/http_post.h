#pragma once
// One HTTP(S) POST with libcurl, for the providers' APIs: a body of a given content type, Basic
// or Bearer authorization, a total timeout and a bounded response. Runs on delivery threads only
// (it blocks); each thread keeps its own libcurl handle, so connections to a provider are reused.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

struct curl_slist;

namespace ringcast::broker::delivery {

struct http_post_request {
  std::string url;
  std::string body;
  std::string content_type;  // e.g. application/json
  std::string bearer;        // Authorization: Bearer <bearer>, when set
  std::string basic_user;    // Authorization: Basic, when set (with basic_password)
  std::string basic_password;
  std::chrono::milliseconds timeout{15000};
};

struct http_post_response {
  long status = 0;            // 0: no HTTP response (transport_error says why)
  std::string body;           // at most max_response_bytes
  std::string transport_error;
};

inline constexpr std::size_t max_response_bytes = 64 * 1024;

http_post_response http_post(const http_post_request& req) noexcept;

// libcurl's easy handles (CURL is void) and header / recipient lists, freed by their owners.
struct curl_easy_deleter {
  void operator()(void* h) const noexcept;
};
struct curl_list_deleter {
  void operator()(curl_slist* l) const noexcept;
};
using curl_easy_ptr = std::unique_ptr<void, curl_easy_deleter>;
using curl_list_ptr = std::unique_ptr<curl_slist, curl_list_deleter>;

// Once, before any thread uses libcurl (curl_global_init is not thread-safe everywhere).
void curl_init_once();

// application/x-www-form-urlencoded: "k=v&k2=v2" with every byte but unreserved ones escaped.
void append_form_field(std::string& out, std::string_view key, std::string_view value);

}  // namespace ringcast::broker::delivery
