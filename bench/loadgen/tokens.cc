#include "bench/loadgen/tokens.h"

#include <jwt.h>

#include <cstdlib>
#include <ctime>
#include <memory>
#include <stdexcept>

namespace ringcast::bench {

std::string sign_token(std::string_view secret, std::string_view sub, std::string_view role, std::string_view name,
                       std::int64_t ttl_s) {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) throw std::runtime_error("jwt_new failed");
  const std::unique_ptr<jwt_t, decltype(&jwt_free)> token(raw, &jwt_free);
  const std::string s(sub), r(role), n(name);
  const long exp = long(std::time(nullptr) + ttl_s);
  if (jwt_add_grant(token.get(), "sub", s.c_str()) != 0 || jwt_add_grant(token.get(), "role", r.c_str()) != 0 ||
      (!n.empty() && jwt_add_grant(token.get(), "name", n.c_str()) != 0) ||
      jwt_add_grant_int(token.get(), "exp", exp) != 0)
    throw std::runtime_error("jwt_add_grant failed");
  if (jwt_set_alg(token.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()), int(secret.size())) != 0)
    throw std::runtime_error("jwt_set_alg failed");
  const std::unique_ptr<char, decltype(&std::free)> out(jwt_encode_str(token.get()), &std::free);
  if (!out) throw std::runtime_error("jwt_encode_str failed");
  return out.get();
}

}  // namespace ringcast::bench
