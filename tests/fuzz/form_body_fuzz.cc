// application/x-www-form-urlencoded bodies and the webhook signatures on arbitrary bytes: the
// fields must be query_reader's pairs, decoded, in order, within the limits; a signature made by
// the recipe must verify and one byte changed must not.
// Input: [max fields][secret length][secret][body].

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/form_body.h"
#include "protocol/url.h"
#include "protocol/webhook_signature.h"

namespace {

using namespace ringcast::protocol;

void require(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  form_limits limits;
  limits.max_fields = data[0] % 32;
  std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);
  const std::size_t secret_size = std::min<std::size_t>(data[1], input.size());
  const std::string_view secret = input.substr(0, secret_size);
  const std::string_view body = input.substr(secret_size);

  std::vector<form_field> fields;
  const form_status s = parse_urlencoded(body, limits, fields);
  std::vector<form_field> pairs;
  query_reader reader(body);
  std::string key, value;
  while (reader.next(key, value)) pairs.push_back({key, value, std::nullopt, ""});
  if (s == form_status::ok) {
    require(fields == pairs);
  } else {
    require(fields.empty());
    require(s == form_status::too_many_fields && pairs.size() > limits.max_fields);
  }

  // Signatures: what the recipe makes verifies; the same with one byte changed does not.
  const std::string twilio = twilio_signature(secret, "https://example.com/webhooks/twilio", pairs);
  require(twilio_signature_valid(secret, "https://example.com/webhooks/twilio", pairs, twilio));
  const std::string meta = "sha256=" + hex_encode(hmac_sha256(secret, body));
  require(meta_signature_valid(secret, body, meta));
  std::string altered(body);
  altered.push_back('x');
  require(!meta_signature_valid(secret, altered, meta));
  require(!meta_signature_valid(secret, body, std::string(body)) || body == meta);
  const std::string mailgun = hex_encode(hmac_sha256(secret, std::string(body) + "token"));
  require(mailgun_signature_valid(secret, body, "token", mailgun));
  require(!mailgun_signature_valid(secret, body, "tokem", mailgun));
  return 0;
}
