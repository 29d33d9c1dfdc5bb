#include "broker/inbox/identity.h"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json/parse.hpp>
#include <memory>
#include <stdexcept>

#include "protocol/base64.h"

namespace ringcast::broker::inbox {
namespace {

struct jwt_deleter {
  void operator()(jwt_t* j) const noexcept { jwt_free(j); }
};
using jwt_ptr = std::unique_ptr<jwt_t, jwt_deleter>;

// The algorithm a PEM public key verifies: RS256 for RSA, ES256 for EC; -1 otherwise.
int algorithm_of_key(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), int(pem.size())), &BIO_free);
  if (!bio) return -1;
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr),
                                                          &EVP_PKEY_free);
  if (!key) return -1;
  switch (EVP_PKEY_get_base_id(key.get())) {
    case EVP_PKEY_RSA: return JWT_ALG_RS256;
    case EVP_PKEY_EC: return JWT_ALG_ES256;
    default: return -1;
  }
}

// The `alg` of the token's header, read before any verification so the key decides the algorithm.
std::optional<std::string> header_alg(std::string_view token) {
  const auto dot = token.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot > 4096) return std::nullopt;
  // base64url without padding (RFC 7515 section 2) into the standard alphabet the decoder takes.
  std::string b64(token.substr(0, dot));
  for (char& c : b64) {
    if (c == '+' || c == '/' || c == '=') return std::nullopt;
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
  }
  while (b64.size() % 4) b64.push_back('=');
  auto json = protocol::base64_decode(b64);
  if (!json) return std::nullopt;
  boost::system::error_code ec;
  auto v = boost::json::parse(*json, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto* alg = v.as_object().if_contains("alg");
  if (!alg || !alg->is_string()) return std::nullopt;
  return std::string(alg->as_string());
}

// A claim that must be a string if present; nullopt when absent, "" marks a wrong type.
std::optional<std::string> string_claim(const boost::json::object& claims, std::string_view name, bool& bad) {
  const auto* v = claims.if_contains(name);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    bad = true;
    return std::nullopt;
  }
  return std::string(v->as_string());
}

std::optional<std::int64_t> time_claim(const boost::json::object& claims, std::string_view name, bool& bad) {
  const auto* v = claims.if_contains(name);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= std::uint64_t(INT64_MAX)) return std::int64_t(v->as_uint64());
  if (v->is_double()) return std::int64_t(v->as_double());
  bad = true;
  return std::nullopt;
}

bool audience_matches(const boost::json::value* aud, const std::string& want) {
  if (!aud) return false;
  if (aud->is_string()) return aud->as_string() == want;
  if (aud->is_array())
    for (const auto& a : aud->as_array())
      if (a.is_string() && a.as_string() == want) return true;
  return false;
}

}  // namespace

std::string_view to_string(role r) noexcept { return r == role::staff ? "staff" : "customer"; }

std::string_view to_string(auth_error e) noexcept {
  switch (e) {
    case auth_error::missing_token: return "missing_token";
    case auth_error::invalid_token: return "invalid_token";
    case auth_error::token_expired: return "token_expired";
    case auth_error::count: break;
  }
  return "invalid_token";
}

token_verifier::token_verifier(jwt_config cfg) : cfg_(std::move(cfg)) {
  if (cfg_.secret.empty() == cfg_.public_key_pem.empty())
    throw std::invalid_argument("set exactly one of --jwt-secret and --jwt-public-key");
  if (!cfg_.secret.empty()) {
    alg_ = JWT_ALG_HS256;
  } else {
    alg_ = algorithm_of_key(cfg_.public_key_pem);
    if (alg_ < 0) throw std::invalid_argument("the JWT public key is not a PEM RSA or EC public key");
  }
}

std::string_view token_verifier::algorithm() const noexcept { return jwt_alg_str(jwt_alg_t(alg_)); }

auth_result token_verifier::verify(std::string_view token, std::chrono::system_clock::time_point now) const {
  auth_result r;
  if (token.empty()) {
    r.error = auth_error::missing_token;
    return r;
  }
  r.error = auth_error::invalid_token;
  if (token.size() > 16384) return r;
  auto alg = header_alg(token);
  if (!alg || *alg != jwt_alg_str(jwt_alg_t(alg_))) return r;
  const std::string text(token);
  const std::string& key = cfg_.secret.empty() ? cfg_.public_key_pem : cfg_.secret;
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, text.c_str(), reinterpret_cast<const unsigned char*>(key.data()), int(key.size())) != 0 || !raw)
    return r;
  jwt_ptr decoded(raw);
  if (jwt_get_alg(decoded.get()) != jwt_alg_t(alg_)) return r;

  std::unique_ptr<char, decltype(&free)> grants(jwt_get_grants_json(decoded.get(), nullptr), &free);
  if (!grants) return r;
  boost::system::error_code ec;
  auto parsed = boost::json::parse(grants.get(), ec);
  if (ec || !parsed.is_object()) return r;
  const auto& claims = parsed.as_object();

  bool bad = false;
  auto sub = string_claim(claims, "sub", bad);
  auto role_name = string_claim(claims, "role", bad);
  auto name = string_claim(claims, "name", bad);
  auto iss = string_claim(claims, "iss", bad);
  auto exp = time_claim(claims, "exp", bad);
  auto nbf = time_claim(claims, "nbf", bad);
  if (bad || !sub || sub->empty() || sub->size() > 200 || !role_name) return r;
  if (*role_name != "customer" && *role_name != "staff") return r;
  if (name && name->size() > 200) return r;
  if (!cfg_.issuer.empty() && (!iss || *iss != cfg_.issuer)) return r;
  if (!cfg_.audience.empty() && !audience_matches(claims.if_contains("aud"), cfg_.audience)) return r;
  const std::int64_t t = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (nbf && t + cfg_.leeway.count() < *nbf) return r;
  if (exp && t - cfg_.leeway.count() >= *exp) {
    r.error = auth_error::token_expired;
    return r;
  }
  r.who = identity{std::move(*sub), *role_name == "staff" ? role::staff : role::customer, name.value_or("")};
  return r;
}

std::string issue_token(const jwt_config& cfg, const identity& who, std::chrono::seconds ttl,
                        std::chrono::system_clock::time_point now) {
  if (cfg.secret.empty()) throw std::invalid_argument("issuing a token needs --jwt-secret (or RINGCAST_JWT_SECRET)");
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) throw std::runtime_error("jwt_new failed");
  jwt_ptr token(raw);
  const long iat = long(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
  jwt_add_grant(token.get(), "sub", who.sub.c_str());
  jwt_add_grant(token.get(), "role", std::string(to_string(who.role)).c_str());
  if (!who.name.empty()) jwt_add_grant(token.get(), "name", who.name.c_str());
  if (!cfg.issuer.empty()) jwt_add_grant(token.get(), "iss", cfg.issuer.c_str());
  if (!cfg.audience.empty()) jwt_add_grant(token.get(), "aud", cfg.audience.c_str());
  jwt_add_grant_int(token.get(), "iat", iat);
  jwt_add_grant_int(token.get(), "exp", iat + long(ttl.count()));
  if (jwt_set_alg(token.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(cfg.secret.data()),
                  int(cfg.secret.size())) != 0)
    throw std::runtime_error("jwt_set_alg failed");
  std::unique_ptr<char, decltype(&free)> out(jwt_encode_str(token.get()), &free);
  if (!out) throw std::runtime_error("jwt_encode_str failed");
  return out.get();
}

}  // namespace ringcast::broker::inbox
