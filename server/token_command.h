#pragma once
// `ringcast token --sub ID --role customer|staff [--name N] [--ttl 1h]`: prints a signed HS256
// client token for the inbox, with the secret from --jwt-secret or RINGCAST_JWT_SECRET, so a
// newcomer can connect a client in a minute. Returns the process exit code.
namespace ringcast::server {

int run_token_command(int argc, char** argv);

}  // namespace ringcast::server
