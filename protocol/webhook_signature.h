#pragma once
// The signatures channel providers put on their webhooks, computed with OpenSSL's HMAC and
// compared in constant time (CRYPTO_memcmp). Which secret and which request parts go in is the
// caller's business (broker/channels); these functions only know each provider's recipe.
#include <string>
#include <string_view>
#include <vector>

#include "protocol/form_body.h"

namespace ringcast::protocol {

// Raw HMAC digests (20 and 32 bytes).
[[nodiscard]] std::string hmac_sha1(std::string_view key, std::string_view data);
[[nodiscard]] std::string hmac_sha256(std::string_view key, std::string_view data);

// Equal length and equal bytes, in time that depends on the length only.
[[nodiscard]] bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

// Lower-case hex of the bytes.
[[nodiscard]] std::string hex_encode(std::string_view bytes);

// Twilio (X-Twilio-Signature): base64 of HMAC-SHA1 keyed with the auth token over the full URL
// followed by every POST parameter's name and value, parameters sorted by name (then value).
[[nodiscard]] std::string twilio_signature(std::string_view auth_token, std::string_view url,
                                           const std::vector<form_field>& params);
[[nodiscard]] bool twilio_signature_valid(std::string_view auth_token, std::string_view url,
                                          const std::vector<form_field>& params, std::string_view header);

// Meta (WhatsApp Cloud API, Instagram; X-Hub-Signature-256): "sha256=" and the hex HMAC-SHA256 of
// the raw body keyed with the app secret. Hex digits of either case are accepted.
[[nodiscard]] bool meta_signature_valid(std::string_view app_secret, std::string_view raw_body,
                                        std::string_view header);

// Mailgun: the hex HMAC-SHA256 of timestamp followed by token, keyed with the signing key. The
// timestamp's age is the caller's check.
[[nodiscard]] bool mailgun_signature_valid(std::string_view signing_key, std::string_view timestamp,
                                           std::string_view token, std::string_view signature);

}  // namespace ringcast::protocol
