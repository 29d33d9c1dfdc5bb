#pragma once
// POSTs JSON bodies to one HTTP(S) endpoint with libcurl, bounded by a deadline and a response
// size. Thread-safe: each calling thread uses its own libcurl handle (thread_local), kept between
// calls so that the connection to the endpoint is reused (keep-alive).
#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

#include "broker/ai/backends/backend.h"

struct curl_slist;

namespace ringcast::ai::openai {

struct http_response {
  long status = 0;
  std::string body;
};

// A transport failure (no connection, timeout, a body over the limit) is retryable; a URL libcurl
// cannot use is not.
using http_result = std::variant<http_response, failure>;

class json_poster {
 public:
  // api_key empty: no Authorization header.
  json_poster(std::string url, const std::string& api_key, std::size_t max_response_bytes);
  ~json_poster();
  json_poster(const json_poster&) = delete;
  json_poster& operator=(const json_poster&) = delete;

  // Returns by `deadline` whatever the endpoint does (silent, slow, trickling bytes): libcurl's
  // total timeout is the time left, and the connect timeout too.
  http_result post(std::string_view body, clock::time_point deadline) const noexcept;

 private:
  std::string url_;
  std::size_t max_response_bytes_;
  curl_slist* headers_ = nullptr;  // read-only after construction, shared by the threads' handles
};

}  // namespace ringcast::ai::openai
