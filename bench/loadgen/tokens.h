#pragma once
// HS256 tokens for the inbox scenario's sessions, signed with libjwt (as the server verifies
// them in broker/inbox/identity.cc). Start-up only: throws on failure.
#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast::bench {

// A JWT with the claims sub, role ("customer" or "staff"), name and exp = now + ttl_s.
std::string sign_token(std::string_view secret, std::string_view sub, std::string_view role, std::string_view name,
                       std::int64_t ttl_s);

}  // namespace ringcast::bench
