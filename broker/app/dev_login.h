#pragma once
// Development sign-in (--dev-login, off by default; deploy/run.sh turns it on): POST /dev/token
// with {sub?, name?} answers {token, sub, name}, a staff token signed with the server's own HS256
// secret, so the staff inbox and the dashboard can be tried without a token tool. Anyone who can
// call it is staff, so it answers loopback clients only (403 otherwise). A GET answers 204: the
// sign-in is there. Stateless; any shard.
#include <string>

#include "broker/inbox/identity.h"
#include "protocol/http_parser.h"

namespace ringcast::broker {

inline constexpr std::string_view dev_token_path = "/dev/token";

// Appends the answer to a request for dev_token_path from the client on socket `fd` to `out`.
void answer_dev_token(const inbox::jwt_config& key, const protocol::http_request& req, int fd, std::string& out);

}  // namespace ringcast::broker
