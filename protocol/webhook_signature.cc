#include "protocol/webhook_signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

#include "protocol/base64.h"
#include "protocol/http_header.h"

namespace ringcast::protocol {
namespace {

std::string hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // HMAC() with a null key pointer and zero length would use an empty key; keep the pointer valid.
  static const unsigned char empty = 0;
  const void* k = key.empty() ? static_cast<const void*>(&empty) : key.data();
  if (!HMAC(md, k, static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
            &len))
    return {};
  return std::string(reinterpret_cast<const char*>(out), len);
}

// Lower-cases hex digits so either case compares equal; other bytes stay (and then differ).
std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

}  // namespace

std::string hmac_sha1(std::string_view key, std::string_view data) { return hmac(EVP_sha1(), key, data); }
std::string hmac_sha256(std::string_view key, std::string_view data) { return hmac(EVP_sha256(), key, data); }

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hex_encode(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::string twilio_signature(std::string_view auth_token, std::string_view url, const std::vector<form_field>& params) {
  std::vector<const form_field*> sorted;
  sorted.reserve(params.size());
  for (const auto& p : params) sorted.push_back(&p);
  std::sort(sorted.begin(), sorted.end(), [](const form_field* a, const form_field* b) {
    return a->name != b->name ? a->name < b->name : a->value < b->value;
  });
  std::string data(url);
  for (const form_field* p : sorted) {
    data += p->name;
    data += p->value;
  }
  return base64_encode(hmac_sha1(auth_token, data));
}

bool twilio_signature_valid(std::string_view auth_token, std::string_view url, const std::vector<form_field>& params,
                            std::string_view header) {
  return !header.empty() && constant_time_equal(twilio_signature(auth_token, url, params), header);
}

bool meta_signature_valid(std::string_view app_secret, std::string_view raw_body, std::string_view header) {
  constexpr std::string_view prefix = "sha256=";
  if (header.substr(0, prefix.size()) != prefix) return false;
  return constant_time_equal(hex_encode(hmac_sha256(app_secret, raw_body)), lower(header.substr(prefix.size())));
}

bool mailgun_signature_valid(std::string_view signing_key, std::string_view timestamp, std::string_view token,
                             std::string_view signature) {
  std::string data(timestamp);
  data += token;
  return !signature.empty() && constant_time_equal(hex_encode(hmac_sha256(signing_key, data)), lower(signature));
}

}  // namespace ringcast::protocol
