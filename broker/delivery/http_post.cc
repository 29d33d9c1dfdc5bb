#include "broker/delivery/http_post.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>
#include <stdexcept>

namespace ringcast::broker::delivery {
namespace {

// The thread's handle, reset between calls (its connection cache survives a reset).
CURL* thread_easy() {
  thread_local curl_easy_ptr easy;
  if (easy) curl_easy_reset(easy.get());
  else easy.reset(curl_easy_init());
  return easy.get();
}

std::size_t keep_body(char* data, std::size_t size, std::size_t n, void* user) noexcept {
  auto* out = static_cast<std::string*>(user);
  const std::size_t bytes = size * n;
  if (out->size() + bytes > max_response_bytes) return 0;  // aborts: CURLE_WRITE_ERROR
  out->append(data, bytes);
  return bytes;
}

bool unreserved(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

void escape_into(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if (unreserved(c)) {
      out += char(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
}

}  // namespace

void curl_easy_deleter::operator()(void* h) const noexcept { curl_easy_cleanup(h); }
void curl_list_deleter::operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }

void curl_init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("curl_global_init failed");
  });
}

void append_form_field(std::string& out, std::string_view key, std::string_view value) {
  if (!out.empty()) out += '&';
  escape_into(out, key);
  out += '=';
  escape_into(out, value);
}

http_post_response http_post(const http_post_request& req) noexcept {
  http_post_response out;
  try {
    CURL* h = thread_easy();
    if (!h) {
      out.transport_error = "curl_easy_init failed";
      return out;
    }
    curl_list_ptr headers;
    auto add = [&](const std::string& line) { headers.reset(curl_slist_append(headers.release(), line.c_str())); };
    add("Content-Type: " + req.content_type);
    add("Accept: application/json");
    add("Expect:");
    if (!req.bearer.empty()) add("Authorization: Bearer " + req.bearer);
    char error[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, long(req.timeout.count()));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h, CURLOPT_USERAGENT, "ringcast");
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(req.body.size()));
    if (!req.basic_user.empty()) {
      curl_easy_setopt(h, CURLOPT_HTTPAUTH, long(CURLAUTH_BASIC));
      curl_easy_setopt(h, CURLOPT_USERNAME, req.basic_user.c_str());
      curl_easy_setopt(h, CURLOPT_PASSWORD, req.basic_password.c_str());
    }
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &out.body);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    const CURLcode rc = curl_easy_perform(h);
    // The handle outlives this frame: no pointers into it may stay set.
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, nullptr);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
    if (rc == CURLE_OK) {
      curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out.status);
    } else {
      out.status = 0;
      out.transport_error = std::string("curl: ") + (error[0] ? error : curl_easy_strerror(rc));
    }
  } catch (const std::exception& e) {
    out.status = 0;
    out.transport_error = e.what();
  }
  return out;
}

}  // namespace ringcast::broker::delivery
