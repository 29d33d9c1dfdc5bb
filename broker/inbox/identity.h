#pragma once
// Who a Socket.IO client is: the JWT in its handshake `auth: {token}`, verified with libjwt.
// HS256 with a shared secret, or RS256/ES256 with a public key; the token's `alg` must be the one
// the configured key is for (a token may not pick its own algorithm: an RSA public key used as an
// HMAC secret would let anyone sign). Claims: sub (the user id), role (customer or staff),
// optional name, exp, nbf; iss and aud are checked when configured.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ringcast::broker::inbox {

enum class role : std::uint8_t { customer, staff };
std::string_view to_string(role r) noexcept;

struct identity {
  std::string sub;
  inbox::role role = role::customer;
  std::string name;  // empty when the token has none
};

// The CONNECT_ERROR codes of a refused handshake.
enum class auth_error : std::uint8_t { missing_token, invalid_token, token_expired, count };
std::string_view to_string(auth_error e) noexcept;

struct jwt_config {
  std::string secret;          // HS256 when set
  std::string public_key_pem;  // RS256 or ES256 (by the key's type) when set
  std::string issuer;          // checked against `iss` when set
  std::string audience;        // must be `aud` (or one of its entries) when set
  std::chrono::seconds leeway{30};  // clock skew allowed on exp and nbf
};

struct auth_result {
  std::optional<identity> who;  // set when the token is good
  auth_error error = auth_error::invalid_token;
};

class token_verifier {
 public:
  // Throws std::invalid_argument at start-up when neither or both keys are set, or the public key
  // is neither RSA nor EC.
  explicit token_verifier(jwt_config cfg);

  auth_result verify(std::string_view token, std::chrono::system_clock::time_point now) const;
  std::string_view algorithm() const noexcept;

 private:
  jwt_config cfg_;
  int alg_;  // jwt_alg_t
};

// A signed HS256 token (what `ringcast token` prints). Throws std::invalid_argument without a secret.
std::string issue_token(const jwt_config& cfg, const identity& who, std::chrono::seconds ttl,
                        std::chrono::system_clock::time_point now);

}  // namespace ringcast::broker::inbox
