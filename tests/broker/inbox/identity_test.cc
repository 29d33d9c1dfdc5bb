// JWT identity: tokens signed with libjwt (HS256 secret, RS256 and ES256 keys made with OpenSSL
// for the test) are accepted only with the configured key's algorithm, valid claims and times.
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "broker/inbox/identity.h"

namespace ringcast::broker::inbox {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::system_clock;

const clock::time_point now = clock::time_point(std::chrono::seconds(1'800'000'000));
const long now_s = 1'800'000'000;

struct key_pair {
  std::string private_pem;
  std::string public_pem;
};

key_pair make_keys(EVP_PKEY* key) {
  key_pair out;
  auto to_string = [](BIO* bio) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    return std::string(data, std::size_t(n));
  };
  BIO* priv = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr);
  out.private_pem = to_string(priv);
  BIO_free(priv);
  BIO* pub = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(pub, key);
  out.public_pem = to_string(pub);
  BIO_free(pub);
  EVP_PKEY_free(key);
  return out;
}

// A token with `claims` (a JSON object) signed with `alg` and `key` by libjwt.
std::string sign(jwt_alg_t alg, const std::string& key, const std::string& claims) {
  jwt_t* j = nullptr;
  EXPECT_EQ(jwt_new(&j), 0);
  EXPECT_EQ(jwt_add_grants_json(j, claims.c_str()), 0);
  EXPECT_EQ(jwt_set_alg(j, alg, alg == JWT_ALG_NONE ? nullptr : reinterpret_cast<const unsigned char*>(key.data()),
                        alg == JWT_ALG_NONE ? 0 : int(key.size())),
            0);
  char* s = jwt_encode_str(j);
  std::string out = s ? s : "";
  free(s);
  jwt_free(j);
  return out;
}

std::string claims(std::string_view extra = {}) {
  std::string c = R"({"sub":"alice","role":"customer","exp":)" + std::to_string(now_s + 3600);
  if (!extra.empty()) c += std::string(",") + std::string(extra);
  return c + "}";
}

token_verifier hs256(std::string secret = "s3cret", std::string issuer = {}, std::string audience = {}) {
  jwt_config cfg;
  cfg.secret = std::move(secret);
  cfg.issuer = std::move(issuer);
  cfg.audience = std::move(audience);
  return token_verifier(cfg);
}

TEST(identity, hs256_token_gives_sub_role_and_name) {
  auto r = hs256().verify(sign(JWT_ALG_HS256, "s3cret", claims(R"("name":"Alice A.")")), now);
  ASSERT_TRUE(r.who);
  EXPECT_EQ(r.who->sub, "alice");
  EXPECT_EQ(r.who->role, role::customer);
  EXPECT_EQ(r.who->name, "Alice A.");
}

TEST(identity, issued_token_verifies) {
  jwt_config cfg;
  cfg.secret = "dev";
  const std::string token = issue_token(cfg, identity{"agent-7", role::staff, "Sam"}, 1h, now);
  auto r = token_verifier(cfg).verify(token, now + 59min);
  ASSERT_TRUE(r.who);
  EXPECT_EQ(r.who->sub, "agent-7");
  EXPECT_EQ(r.who->role, role::staff);
  EXPECT_EQ(r.who->name, "Sam");
  EXPECT_EQ(token_verifier(cfg).verify(token, now + 2h).error, auth_error::token_expired);
}

TEST(identity, missing_malformed_and_badly_signed_tokens_are_refused_with_their_code) {
  auto v = hs256();
  EXPECT_EQ(v.verify("", now).error, auth_error::missing_token);
  for (std::string bad : std::vector<std::string>{"x", "a.b.c", "....", "eyJhbGciOiJIUzI1NiJ9.e30.", std::string(20000, 'a')}) {
    auto r = v.verify(bad, now);
    EXPECT_FALSE(r.who) << bad;
    EXPECT_EQ(r.error, auth_error::invalid_token) << bad;
  }
  EXPECT_EQ(v.verify(sign(JWT_ALG_HS256, "other", claims()), now).error, auth_error::invalid_token);
  // A flipped signature byte.
  std::string t = sign(JWT_ALG_HS256, "s3cret", claims());
  t.back() = t.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(v.verify(t, now).who);
}

TEST(identity, alg_none_and_other_algorithms_are_refused) {
  EXPECT_FALSE(hs256().verify(sign(JWT_ALG_NONE, "", claims()), now).who);
  EXPECT_FALSE(hs256().verify(sign(JWT_ALG_HS512, "s3cret", claims()), now).who);
}

TEST(identity, claims_are_checked) {
  auto v = hs256();
  auto verify = [&](const std::string& c) { return v.verify(sign(JWT_ALG_HS256, "s3cret", c), now); };
  EXPECT_FALSE(verify(R"({"role":"customer"})").who) << "no sub";
  EXPECT_FALSE(verify(R"({"sub":"","role":"customer"})").who) << "empty sub";
  EXPECT_FALSE(verify(R"({"sub":42,"role":"customer"})").who) << "sub not a string";
  EXPECT_FALSE(verify(R"({"sub":"a"})").who) << "no role";
  EXPECT_FALSE(verify(R"({"sub":"a","role":"admin"})").who) << "unknown role";
  EXPECT_TRUE(verify(R"({"sub":"a","role":"staff"})").who) << "exp is optional";
  EXPECT_EQ(verify(R"({"sub":"a","role":"staff","exp":)" + std::to_string(now_s - 31) + "}").error,
            auth_error::token_expired);
  EXPECT_TRUE(verify(R"({"sub":"a","role":"staff","exp":)" + std::to_string(now_s - 10) + "}").who)
      << "within the clock-skew leeway";
  EXPECT_FALSE(verify(R"({"sub":"a","role":"staff","nbf":)" + std::to_string(now_s + 120) + "}").who)
      << "not yet valid";
  EXPECT_FALSE(verify(R"({"sub":"a","role":"staff","exp":"soon"})").who) << "exp not a number";
}

TEST(identity, issuer_and_audience_when_configured) {
  auto v = hs256("s3cret", "https://id.example", "ringcast");
  auto verify = [&](const std::string& c) { return v.verify(sign(JWT_ALG_HS256, "s3cret", c), now).who.has_value(); };
  EXPECT_TRUE(verify(claims(R"("iss":"https://id.example","aud":"ringcast")")));
  EXPECT_TRUE(verify(claims(R"("iss":"https://id.example","aud":["web","ringcast"])")));
  EXPECT_FALSE(verify(claims(R"("iss":"https://evil.example","aud":"ringcast")")));
  EXPECT_FALSE(verify(claims(R"("iss":"https://id.example","aud":"web")")));
  EXPECT_FALSE(verify(claims(R"("aud":"ringcast")")));
}

TEST(identity, rs256_and_es256_with_a_public_key) {
  const key_pair rsa = make_keys(EVP_RSA_gen(2048));
  const key_pair ec = make_keys(EVP_EC_gen("P-256"));
  jwt_config rcfg;
  rcfg.public_key_pem = rsa.public_pem;
  token_verifier rv(rcfg);
  EXPECT_EQ(rv.algorithm(), "RS256");
  EXPECT_TRUE(rv.verify(sign(JWT_ALG_RS256, rsa.private_pem, claims()), now).who);

  jwt_config ecfg;
  ecfg.public_key_pem = ec.public_pem;
  token_verifier ev(ecfg);
  EXPECT_EQ(ev.algorithm(), "ES256");
  EXPECT_TRUE(ev.verify(sign(JWT_ALG_ES256, ec.private_pem, claims()), now).who);

  // Signed by another key of the right type, or with the other key type's algorithm.
  const key_pair rsa2 = make_keys(EVP_RSA_gen(2048));
  EXPECT_FALSE(rv.verify(sign(JWT_ALG_RS256, rsa2.private_pem, claims()), now).who);
  EXPECT_FALSE(rv.verify(sign(JWT_ALG_ES256, ec.private_pem, claims()), now).who);
  // Algorithm confusion: an HS256 token whose HMAC key is the server's public key text.
  EXPECT_FALSE(rv.verify(sign(JWT_ALG_HS256, rsa.public_pem, claims()), now).who);
  EXPECT_FALSE(ev.verify(sign(JWT_ALG_HS256, ec.public_pem, claims()), now).who);
}

TEST(identity, configuration_errors_are_reported_at_start) {
  EXPECT_THROW(token_verifier(jwt_config{}), std::invalid_argument);
  jwt_config both;
  both.secret = "x";
  both.public_key_pem = "y";
  EXPECT_THROW(token_verifier{both}, std::invalid_argument);
  jwt_config garbage;
  garbage.public_key_pem = "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n";
  EXPECT_THROW(token_verifier{garbage}, std::invalid_argument);
  EXPECT_THROW(issue_token(jwt_config{}, identity{"a"}, 1h, now), std::invalid_argument);
}

}  // namespace
}  // namespace ringcast::broker::inbox
