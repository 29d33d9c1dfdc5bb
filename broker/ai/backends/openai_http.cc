#include "broker/ai/backends/openai_http.h"

#include <curl/curl.h>

#include <chrono>
#include <mutex>
#include <new>
#include <stdexcept>
#include <utility>
#include <vector>

namespace ringcast::ai::openai {

namespace {

// curl_global_init is not thread-safe on every build, so it runs once, before any handle exists.
void global_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("curl_global_init failed");
  });
}

// The calling thread's easy handle; curl_easy_reset between calls keeps its connection cache.
class thread_handle {
 public:
  ~thread_handle() {
    if (h_ != nullptr) curl_easy_cleanup(h_);
  }
  CURL* get() noexcept {
    if (h_ == nullptr) {
      h_ = curl_easy_init();
    } else {
      curl_easy_reset(h_);
    }
    return h_;
  }

 private:
  CURL* h_ = nullptr;
};

struct body_sink {
  std::string body;
  std::size_t limit;
  bool over_limit = false;
};

std::size_t write_body(char* data, std::size_t size, std::size_t n, void* user) noexcept {
  auto* sink = static_cast<body_sink*>(user);
  std::size_t bytes = size * n;
  if (sink->body.size() + bytes > sink->limit) {
    sink->over_limit = true;
    return 0;  // anything but `bytes` aborts the transfer with CURLE_WRITE_ERROR
  }
  try {
    sink->body.append(data, bytes);
  } catch (const std::bad_alloc&) {
    return 0;
  }
  return bytes;
}

}  // namespace

json_poster::json_poster(std::string url, const std::string& api_key, std::size_t max_response_bytes)
    : url_(std::move(url)), max_response_bytes_(max_response_bytes) {
  global_init();
  std::vector<std::string> lines = {
      "Content-Type: application/json",
      "Accept: application/json",
      "Expect:",  // libcurl would otherwise wait for "100 Continue" before sending a large body
  };
  if (!api_key.empty()) lines.push_back("Authorization: Bearer " + api_key);
  for (const std::string& line : lines) {
    curl_slist* next = curl_slist_append(headers_, line.c_str());
    if (next == nullptr) {
      curl_slist_free_all(headers_);
      throw std::bad_alloc();
    }
    headers_ = next;
  }
}

json_poster::~json_poster() { curl_slist_free_all(headers_); }

http_result json_poster::post(std::string_view body, clock::time_point deadline) const noexcept {
  using std::chrono::milliseconds;
  // Rounded down, so that libcurl gives up at the deadline, not after it. 0 would mean "no timeout".
  const long left_ms = long(std::chrono::duration_cast<milliseconds>(deadline - clock::now()).count());
  if (left_ms < 1) return failure{"the deadline passed before the request was sent", true};

  thread_local thread_handle handle;
  CURL* h = handle.get();
  if (h == nullptr) return failure{"curl_easy_init failed", true};

  body_sink sink{{}, max_response_bytes_};
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(h, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM for DNS timeouts: we run on worker threads
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, left_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, left_ms);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers_);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "ringcast");
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.size()));
  // A Content-Length over the limit fails before the body is read; without one, write_body stops it.
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(max_response_bytes_));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);

  const CURLcode rc = curl_easy_perform(h);
  // The handle outlives this call: it must not keep pointers into this frame.
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, nullptr);

  if (rc == CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    return http_response{status, std::move(sink.body)};
  }
  if (sink.over_limit || rc == CURLE_FILESIZE_EXCEEDED) {
    return failure{"the response body is over " + std::to_string(max_response_bytes_) + " bytes", true};
  }
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    return failure{"no complete response within the deadline (" + std::to_string(left_ms) + " ms)", true};
  }
  std::string reason = std::string("curl: ") + (error[0] != '\0' ? error : curl_easy_strerror(rc));
  const bool retryable = rc != CURLE_URL_MALFORMAT && rc != CURLE_UNSUPPORTED_PROTOCOL;
  return failure{std::move(reason), retryable};
}

}  // namespace ringcast::ai::openai
