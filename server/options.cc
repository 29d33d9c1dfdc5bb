#include "server/options.h"

#include "broker/engineio/random_ids.h"
#include "broker/inbox/word_match.h"
#include "server/delivery_options.h"
#include "server/option_spec.h"

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string_view>
#include <vector>

namespace ringcast::server {
namespace {

// A channel setting that is text (a secret, an id, a URL): any non-empty value.
option_spec channel_text(std::string_view flag, std::string_view env, std::string_view help,
                         std::string broker::channels::channel_config::*field) {
  return {flag, env, "TEXT", help, [field](options& o, std::string_view v) {
            o.app.channels.*field = v;
            return !v.empty();
          }};
}

bool power_of_two(unsigned v) { return v != 0 && (v & (v - 1)) == 0; }

const std::vector<option_spec>& specs() {
  using C = broker::channels::channel_config;
  static std::vector<option_spec> table = {
      {"profile", "RINGCAST_PROFILE", "NAME",
       "application profile: inbox (default; the support inbox, needs --jwt-secret or --jwt-public-key and "
       "--database-url), conformance (the protocol test suites' servers), bench, tcp-echo",
       [](options& o, std::string_view v) {
         if (v != "inbox" && v != "tcp-echo" && v != "conformance" && v != "bench") return false;
         o.profile = v;
         o.app.profile = v;
         return true;
       }},
      {"typing-ttl", "RINGCAST_TYPING_TTL", "MS",
       "inbox: how long a typing:start shows without renewal (default 5000)",
       [](options& o, std::string_view v) { return parse_ms(v, o.app.inbox.settings.typing_ttl); }},
      {"presence-away-after", "RINGCAST_PRESENCE_AWAY_AFTER", "MS",
       "inbox: an identity with no event from any socket for this long is away (default 300000)",
       [](options& o, std::string_view v) { return parse_ms(v, o.app.inbox.settings.presence_away_after); }},
      {"presence-grace", "RINGCAST_PRESENCE_GRACE", "MS",
       "inbox: an identity is offline this long after its last socket went (default 10000)",
       [](options& o, std::string_view v) { return parse_ms(v, o.app.inbox.settings.presence_grace); }},
      {"typing-per-minute", "RINGCAST_TYPING_PER_MINUTE", "N",
       "inbox: typing:start broadcast per user per conversation per minute; more are refused (default 10)",
       [](options& o, std::string_view v) {
         return parse_number<unsigned>(v, o.app.inbox.settings.typing_per_minute, 1, 100'000);
       }},
      {"presence-per-minute", "RINGCAST_PRESENCE_PER_MINUTE", "N", "inbox: presence:set per user per minute (default 6)",
       [](options& o, std::string_view v) {
         return parse_number<unsigned>(v, o.app.inbox.settings.presence_per_minute, 1, 100'000);
       }},
      {"reads-per-minute", "RINGCAST_READS_PER_MINUTE", "N",
       "inbox: message:read per user per minute, counted on each shard the user's sockets are on (default 60)",
       [](options& o, std::string_view v) {
         return parse_number<unsigned>(v, o.app.inbox.settings.reads_per_minute, 1, 100'000);
       }},
      {"max-message-bytes", "RINGCAST_MAX_MESSAGE_BYTES", "BYTES", "inbox: longest message content (default 65536)",
       [](options& o, std::string_view v) {
         return parse_number<std::size_t>(v, o.app.inbox.settings.max_message_bytes, 1, std::size_t{1} << 24);
       }},
      {"max-joined-conversations", "RINGCAST_MAX_JOINED_CONVERSATIONS", "N",
       "inbox: conversations one socket may have joined at once (default 100)",
       [](options& o, std::string_view v) {
         return parse_number<std::size_t>(v, o.app.inbox.settings.max_joined, 1, 100'000);
       }},
      {"max-join-buffer", "RINGCAST_MAX_JOIN_BUFFER", "N",
       "inbox: messages kept per conversation and shard while joins read their history; past it those joins "
       "are refused as unavailable (default 4096)",
       [](options& o, std::string_view v) {
         return parse_number<std::size_t>(v, o.app.inbox.settings.max_join_buffer, 16, 1'000'000);
       }},
      {"jwt-secret", "RINGCAST_JWT_SECRET", "SECRET", "HS256 secret of the inbox's client tokens",
       [](options& o, std::string_view v) {
         o.jwt.secret = v;
         return !v.empty();
       }},
      {"jwt-public-key", "RINGCAST_JWT_PUBLIC_KEY", "FILE",
       "PEM public key (RSA: RS256, EC P-256: ES256) of the inbox's client tokens, instead of a secret",
       [](options& o, std::string_view v) {
         std::ifstream in{std::string(v)};
         if (!in) return false;
         std::ostringstream text;
         text << in.rdbuf();
         o.jwt.public_key_pem = text.str();
         return !o.jwt.public_key_pem.empty();
       }},
      {"jwt-issuer", "RINGCAST_JWT_ISSUER", "ISS", "the `iss` every client token must carry (default: not checked)",
       [](options& o, std::string_view v) {
         o.jwt.issuer = v;
         return true;
       }},
      {"jwt-audience", "RINGCAST_JWT_AUDIENCE", "AUD", "the `aud` every client token must carry (default: not checked)",
       [](options& o, std::string_view v) {
         o.jwt.audience = v;
         return true;
       }},
      {"dev-login", "RINGCAST_DEV_LOGIN", "",
       "development only: POST /dev/token gives any loopback client a staff token, so the inbox page offers "
       "\"sign in as staff\" (needs --jwt-secret; deploy/run.sh turns it on)",
       [](options& o, std::string_view) {
         o.dev_login = true;
         return true;
       }},
      {"ai-backend", "RINGCAST_AI_BACKEND", "NAME",
       "inbox: who answers customers: builtin (default; the knowledge base, no network), openai (an "
       "OpenAI-compatible endpoint, --ai-url) or off",
       [](options& o, std::string_view v) {
         o.ai.backend = v;
         return v == "builtin" || v == "openai" || v == "off";
       }},
      {"ai-concurrency", "RINGCAST_AI_CONCURRENCY", "N", "inbox: AI answers generated at once, on worker threads (default 3)",
       [](options& o, std::string_view v) { return parse_number<unsigned>(v, o.ai.concurrency, 1, 256); }},
      {"ai-deadline-ms", "RINGCAST_AI_DEADLINE_MS", "MS",
       "inbox: a customer message gets the AI's reply or the fallback within this time of its commit (default 5500)",
       [](options& o, std::string_view v) { return parse_ms(v, o.ai.deadline); }},
      {"ai-fallback-text", "RINGCAST_AI_FALLBACK_TEXT", "TEXT", "inbox: sent when the AI has no answer in time",
       [](options& o, std::string_view v) {
         o.ai.fallback_text = v;
         return !v.empty();
       }},
      {"ai-handover-text", "RINGCAST_AI_HANDOVER_TEXT", "TEXT", "inbox: sent when the AI hands the conversation to staff",
       [](options& o, std::string_view v) {
         o.ai.handover_text = v;
         return !v.empty();
       }},
      {"ai-min-confidence", "RINGCAST_AI_MIN_CONFIDENCE", "X",
       "inbox: answers below this confidence (0 to 1) go to staff instead (default 0.7)",
       [](options& o, std::string_view v) {
         std::string text(v);
         char* end = nullptr;
         const double x = std::strtod(text.c_str(), &end);
         if (text.empty() || end != text.c_str() + text.size() || !(x >= 0 && x <= 1)) return false;
         o.ai.min_confidence = x;
         return true;
       }},
      {"ai-max-attempts", "RINGCAST_AI_MAX_ATTEMPTS", "N", "inbox: backend calls per message while time remains (default 3)",
       [](options& o, std::string_view v) { return parse_number<unsigned>(v, o.ai.retry.max_attempts, 1, 10); }},
      {"ai-human-words", "RINGCAST_AI_HUMAN_WORDS", "LIST",
       "inbox: comma-separated words and phrases by which a customer asks for a person (replaces the default list)",
       [](options& o, std::string_view v) {
         o.ai.human_words = broker::inbox::split_phrases(v);
         return !o.ai.human_words.empty();
       }},
      {"ai-urgent-words", "RINGCAST_AI_URGENT_WORDS", "LIST",
       "inbox: comma-separated words that make a message's AI job priority 1 (replaces the default list)",
       [](options& o, std::string_view v) {
         o.ai.urgent_words = broker::inbox::split_phrases(v);
         return !o.ai.urgent_words.empty();
       }},
      {"ai-knowledge", "RINGCAST_AI_KNOWLEDGE", "FILE",
       "inbox: JSON array of {question, answer, intent?, keywords?, language?} added to the knowledge base at start",
       [](options& o, std::string_view v) {
         o.ai.knowledge_file = v;
         return !v.empty();
       }},
      {"ai-url", "RINGCAST_AI_URL", "URL", "inbox, --ai-backend openai: the chat-completions URL",
       [](options& o, std::string_view v) {
         o.ai.url = v;
         return v.substr(0, 7) == "http://" || v.substr(0, 8) == "https://";
       }},
      {"ai-model", "RINGCAST_AI_MODEL", "NAME", "inbox, --ai-backend openai: the model (default gpt-4o-mini)",
       [](options& o, std::string_view v) {
         o.ai.model = v;
         return !v.empty();
       }},
      {"ai-api-key", "RINGCAST_AI_API_KEY", "KEY",
       "inbox, --ai-backend openai: the bearer key (prefer the environment variable: flags show in ps)",
       [](options& o, std::string_view v) {
         o.ai.api_key = v;
         return true;
       }},
      {"ai-max-queue", "RINGCAST_AI_MAX_QUEUE", "N",
       "inbox: AI jobs waiting for a worker; past it a message gets the fallback at its deadline (default 100000)",
       [](options& o, std::string_view v) { return parse_number<std::size_t>(v, o.ai.max_queue, 1, 10'000'000); }},
      {"rest-max-body", "RINGCAST_REST_MAX_BODY", "BYTES",
       "inbox: largest REST API (/api/v1) request body; larger ones get 413 (default 262144, at most --max-payload)",
       [](options& o, std::string_view v) {
         return parse_number<std::size_t>(v, o.app.rest.max_body_bytes, 1, std::size_t{1} << 30);
       }},
      {"widget-sessions-per-minute", "RINGCAST_WIDGET_SESSIONS_PER_MINUTE", "N",
       "inbox: POST /api/v1/widget/sessions per client address and minute, counted on each shard (default 10)",
       [](options& o, std::string_view v) {
         return parse_number<unsigned>(v, o.app.rest.widget_sessions_per_minute, 1, 1'000'000);
       }},
      {"widget-token-ttl", "RINGCAST_WIDGET_TOKEN_TTL", "SECONDS",
       "inbox: lifetime of the customer tokens POST /api/v1/widget/sessions issues (default 86400)",
       [](options& o, std::string_view v) {
         std::int64_t s = 0;
         if (!parse_number<std::int64_t>(v, s, 60, 366LL * 86400)) return false;
         o.app.rest.widget_token_ttl = std::chrono::seconds(s);
         return true;
       }},
      {"log-level", "RINGCAST_LOG_LEVEL", "LEVEL", "debug, info (default), warn, error or off",
       [](options& o, std::string_view v) {
         auto level = reactor::parse_log_level(v);
         if (level) o.log_level = *level;
         return level.has_value();
       }},
      {"address", "RINGCAST_ADDRESS", "IPV4", "address to listen on (default 0.0.0.0)",
       [](options& o, std::string_view v) {
         o.net.address = v;
         return !v.empty();
       }},
      {"port", "RINGCAST_PORT", "N", "TCP port; 0 picks a free one (default 3000)",
       [](options& o, std::string_view v) { return parse_number<std::uint16_t>(v, o.net.port, 0, 65535); }},
      {"shards", "RINGCAST_SHARDS", "N", "I/O shards, one thread each, at most 64; 0 = one per online core, up to 64 (default 0)",
       [](options& o, std::string_view v) { return parse_number<unsigned>(v, o.net.shards, 0, 1024); }},
      {"no-pin", "RINGCAST_NO_PIN", "", "do not pin shard threads to cores",
       [](options& o, std::string_view) {
         o.net.pin_threads = false;
         return true;
       }},
      {"send-queue-limit", "RINGCAST_SEND_QUEUE_LIMIT", "BYTES",
       "bytes queued for one connection before it is closed as a slow consumer (default 4194304)",
       [](options& o, std::string_view v) {
         return parse_number<std::size_t>(v, o.net.shard.send_queue_limit, 1024, std::size_t{1} << 34);
       }},
      {"mailbox-overflow-limit", "RINGCAST_MAILBOX_OVERFLOW_LIMIT", "N",
       "cross-shard messages kept per target shard while its ring is full; past it broadcasts to that shard "
       "are dropped and counted (default 100000)",
       [](options& o, std::string_view v) {
         return parse_number<std::size_t>(v, o.net.shard.mailbox_overflow_limit, 1, std::size_t{1} << 30);
       }},
      {"close-linger", "RINGCAST_CLOSE_LINGER", "MS",
       "after a graceful close sent FIN, how long to wait for the peer's EOF before closing (default 1000)",
       [](options& o, std::string_view v) { return parse_ms(v, o.net.shard.linger_timeout); }},
      {"recv-buffers", "RINGCAST_RECV_BUFFERS", "N",
       "provided receive buffers per shard, a power of two up to 32768 (default 2048)",
       [](options& o, std::string_view v) {
         return parse_number<unsigned>(v, o.net.shard.recv_buffers, 1, 32768) && power_of_two(o.net.shard.recv_buffers);
       }},
      {"recv-buffer-size", "RINGCAST_RECV_BUFFER_SIZE", "BYTES", "size of each receive buffer (default 8192)",
       [](options& o, std::string_view v) {
         return parse_number<unsigned>(v, o.net.shard.recv_buffer_size, 512, 1u << 20);
       }},
      {"mailbox-capacity", "RINGCAST_MAILBOX_CAPACITY", "N",
       "messages per cross-shard ring, per ordered pair of shards (default 4096)",
       [](options& o, std::string_view v) {
         return parse_number<std::size_t>(v, o.net.mailbox_capacity, 2, std::size_t{1} << 24);
       }},
      {"ping-interval", "RINGCAST_PING_INTERVAL", "MS", "Engine.IO pingInterval (default 25000)",
       [](options& o, std::string_view v) { return parse_ms(v, o.app.eio.ping_interval); }},
      {"ping-timeout", "RINGCAST_PING_TIMEOUT", "MS", "Engine.IO pingTimeout (default 20000)",
       [](options& o, std::string_view v) { return parse_ms(v, o.app.eio.ping_timeout); }},
      {"upgrade-timeout", "RINGCAST_UPGRADE_TIMEOUT", "MS", "time to finish a transport upgrade (default 10000)",
       [](options& o, std::string_view v) { return parse_ms(v, o.app.eio.upgrade_timeout); }},
      {"connect-timeout", "RINGCAST_CONNECT_TIMEOUT", "MS",
       "time a client has to join a namespace after connecting (default 45000)",
       [](options& o, std::string_view v) { return parse_ms(v, o.app.sio.connect_timeout); }},
      {"polling-buffer-limit", "RINGCAST_POLLING_BUFFER_LIMIT", "BYTES",
       "undelivered bytes a long-polling client may have waiting between polls before it is dropped as a "
       "slow consumer (default 4194304)",
       [](options& o, std::string_view v) {
         return parse_number<std::size_t>(v, o.app.eio.polling_buffer_limit, 1024, std::size_t{1} << 34);
       }},
      {"max-pending-sessions", "RINGCAST_MAX_PENDING_SESSIONS", "N",
       "sessions one client address may open on a shard before joining a namespace; more handshakes get 429 "
       "(default 256)",
       [](options& o, std::string_view v) {
         return parse_number<unsigned>(v, o.app.eio.max_pending_sessions, 1, 1'000'000);
       }},
      {"max-rooms-per-socket", "RINGCAST_MAX_ROOMS_PER_SOCKET", "N",
       "rooms one Socket.IO socket may be in; further joins are refused (default 1000)",
       [](options& o, std::string_view v) {
         return parse_number<std::size_t>(v, o.app.sio.max_rooms_per_socket, 1, 1'000'000);
       }},
      {"recovery-window", "RINGCAST_RECOVERY_WINDOW", "MS",
       "connection state recovery (inbox and bench profiles): how long a disconnected socket's id and rooms are kept for "
       "its client to come back with them and the broadcasts it missed; 0 turns recovery off (default 120000)",
       [](options& o, std::string_view v) {
         std::uint64_t ms = 0;
         if (!parse_number<std::uint64_t>(v, ms, 0, 86'400'000)) return false;
         o.app.sio.recovery_window = std::chrono::milliseconds(ms);
         return true;
       }},
      {"recovery-buffer", "RINGCAST_RECOVERY_BUFFER", "N",
       "broadcasts each shard keeps for connection state recovery; a client whose offset was dropped gets a "
       "fresh socket (default 10000)",
       [](options& o, std::string_view v) {
         return parse_number<std::size_t>(v, o.app.sio.recovery_buffer, 1, 10'000'000);
       }},
      {"max-payload", "RINGCAST_MAX_PAYLOAD", "BYTES",
       "largest message or polling body accepted, maxHttpBufferSize (default 1000000)",
       [](options& o, std::string_view v) {
         return parse_number<std::size_t>(v, o.app.eio.max_payload, 1, std::size_t{1} << 30);
       }},
      {"cors-origin", "RINGCAST_CORS_ORIGIN", "ORIGINS",
       "comma-separated origins allowed by CORS for polling, or '*' (default: no CORS headers)",
       [](options& o, std::string_view v) {
         o.app.eio.cors_enabled = true;
         o.app.eio.cors.allowed_origins.clear();
         while (!v.empty()) {
           auto comma = v.find(',');
           auto item = v.substr(0, comma);
           if (!item.empty()) o.app.eio.cors.allowed_origins.emplace_back(item);
           v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
         }
         return !o.app.eio.cors.allowed_origins.empty();
       }},
      {"database-url", "DATABASE_URL", "URL",
       "PostgreSQL connection URL; migrations are applied at start (default: none, nothing is persisted)",
       [](options& o, std::string_view v) {
         o.app.database_url = v;
         return true;
       }},
      {"db-batch-max", "RINGCAST_DB_BATCH_MAX", "N", "most messages in one group-commit transaction (default 1024)",
       [](options& o, std::string_view v) { return parse_number<std::size_t>(v, o.app.writer.max_batch, 1, 100000); }},
      {"db-batch-wait-us", "RINGCAST_DB_BATCH_WAIT_US", "US",
       "longest a write waits for its batch to fill while another commits (default 2000)",
       [](options& o, std::string_view v) {
         std::uint64_t us = 0;
         if (!parse_number<std::uint64_t>(v, us, 0, 1'000'000)) return false;
         o.app.writer.max_wait = std::chrono::microseconds(us);
         return true;
       }},
      {"db-backlog", "RINGCAST_DB_BACKLOG", "N",
       "accepted writes a shard holds while the database is slow or away (messages; read and delivered marks "
       "counted apart); past it they get a retryable error (default 50000)",
       [](options& o, std::string_view v) { return parse_number<std::size_t>(v, o.app.writer.max_backlog, 1, 10'000'000); }},
      {"db-backlog-bytes", "RINGCAST_DB_BACKLOG_BYTES", "BYTES",
       "bytes of accepted writes a shard holds while the database is slow or away; past it sends get a retryable "
       "error (default 67108864)",
       [](options& o, std::string_view v) {
         return parse_number<std::size_t>(v, o.app.writer.max_backlog_bytes, 1, std::size_t{1} << 40);
       }},
      {"db-drain-timeout", "RINGCAST_DB_DRAIN_TIMEOUT", "MS",
       "on SIGTERM, how long a shard keeps committing the writes it accepted before it exits (default 5000)",
       [](options& o, std::string_view v) { return parse_ms(v, o.app.db_drain_timeout); }},
      {"db-pipeline", "RINGCAST_DB_PIPELINE", "N", "batches in flight per shard connection (default 2)",
       [](options& o, std::string_view v) { return parse_number<std::size_t>(v, o.app.writer.max_in_flight, 1, 64); }},
      {"no-ws-deflate", "RINGCAST_NO_WS_DEFLATE", "", "decline permessage-deflate on WebSocket connections",
       [](options& o, std::string_view) {
         o.app.eio.ws_deflate = false;
         return true;
       }},
      // Channel webhooks (docs/webhooks.md). Secrets: prefer the environment variables, flags show in ps.
      channel_text("twilio-auth-token", "RINGCAST_TWILIO_AUTH_TOKEN",
                   "inbox: Twilio auth token; checks X-Twilio-Signature, turns on /webhooks/twilio", &C::twilio_auth_token),
      channel_text("twilio-account-sid", "RINGCAST_TWILIO_ACCOUNT_SID",
                   "inbox: Twilio account SID; webhooks of another AccountSid are refused", &C::twilio_account_sid),
      channel_text("whatsapp-app-secret", "RINGCAST_WHATSAPP_APP_SECRET",
                   "inbox: WhatsApp Cloud API app secret; checks X-Hub-Signature-256, turns on /webhooks/whatsapp",
                   &C::whatsapp_app_secret),
      channel_text("whatsapp-verify-token", "RINGCAST_WHATSAPP_VERIFY_TOKEN",
                   "inbox: the token Meta's subscription GET to /webhooks/whatsapp must present", &C::whatsapp_verify_token),
      channel_text("whatsapp-token", "RINGCAST_WHATSAPP_TOKEN", "inbox: WhatsApp Cloud API access token (sending)",
                   &C::whatsapp_token),
      channel_text("whatsapp-phone-number-id", "RINGCAST_WHATSAPP_PHONE_NUMBER_ID",
                   "inbox: the WhatsApp business phone number id (sending)", &C::whatsapp_phone_number_id),
      channel_text("instagram-app-secret", "RINGCAST_INSTAGRAM_APP_SECRET",
                   "inbox: Instagram app secret; checks X-Hub-Signature-256, turns on /webhooks/instagram",
                   &C::instagram_app_secret),
      channel_text("instagram-verify-token", "RINGCAST_INSTAGRAM_VERIFY_TOKEN",
                   "inbox: the token Meta's subscription GET to /webhooks/instagram must present",
                   &C::instagram_verify_token),
      channel_text("instagram-token", "RINGCAST_INSTAGRAM_TOKEN", "inbox: Instagram access token (sending)",
                   &C::instagram_token),
      channel_text("mailgun-signing-key", "RINGCAST_MAILGUN_SIGNING_KEY",
                   "inbox: Mailgun webhook signing key; checks the signature, turns on /webhooks/email",
                   &C::mailgun_signing_key),
      channel_text("public-url", "RINGCAST_PUBLIC_URL",
                   "inbox: the scheme and host clients and providers reach this broker at, e.g. "
                   "https://support.example.com (Twilio signs the full URL; /api/v1/realtime/subscribe hands it "
                   "out; default http:// and the request's Host)",
                   &C::public_url),
      {"webhook-max-body-bytes", "RINGCAST_WEBHOOK_MAX_BODY_BYTES", "BYTES",
       "inbox: longest webhook body; longer ones get 413 (default 1048576)",
       [](options& o, std::string_view v) {
         return parse_number<std::size_t>(v, o.app.channels.max_body_bytes, 1, std::size_t{1} << 30);
       }},
      {"mailgun-max-age", "RINGCAST_MAILGUN_MAX_AGE", "SECONDS",
       "inbox: Mailgun posts whose timestamp is further than this from now are refused as replays (default 300)",
       [](options& o, std::string_view v) {
         std::int64_t s = 0;
         if (!parse_number<std::int64_t>(v, s, 1, 86'400)) return false;
         o.app.channels.mailgun_max_age = std::chrono::seconds(s);
         return true;
       }},
      {"help", "", "", "print this help and exit",
       [](options& o, std::string_view) {
         o.help = true;
         return true;
       }},
  };
  static const bool with_delivery = [] {
    auto more = delivery_option_specs();
    table.insert(table.end() - 1, more.begin(), more.end());  // --help stays last
    return true;
  }();
  (void)with_delivery;
  return table;
}

}  // namespace

std::string usage() {
  std::ostringstream out;
  out << "Usage: ringcast [flags]\n"
         "ringcast: a Socket.IO-compatible real-time message broker on io_uring.\n\nFlags:\n";
  for (const auto& s : specs()) {
    std::string left = "  --" + std::string(s.flag);
    if (!s.value_name.empty()) left += " " + std::string(s.value_name);
    out << left;
    out << std::string(left.size() < 30 ? 30 - left.size() : 1, ' ') << s.help;
    if (!s.env.empty()) out << " [env " << s.env << "]";
    out << "\n";
  }
  return out.str();
}

std::optional<options> parse_options(int argc, char** argv, std::string& error) {
  options o;
  for (const auto& s : specs()) {
    if (s.env.empty()) continue;
    if (const char* v = std::getenv(std::string(s.env).c_str()); v && *v) {
      if (!s.apply(o, s.value_name.empty() ? std::string_view{} : std::string_view(v))) {
        error = "invalid value for " + std::string(s.env) + ": " + v;
        return std::nullopt;
      }
    }
  }
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.substr(0, 2) != "--") {
      error = "unexpected argument: " + std::string(arg);
      return std::nullopt;
    }
    arg.remove_prefix(2);
    std::optional<std::string_view> inline_value;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      inline_value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    const option_spec* spec = nullptr;
    for (const auto& s : specs())
      if (s.flag == arg) spec = &s;
    if (!spec) {
      error = "unknown flag --" + std::string(arg) + " (see --help)";
      return std::nullopt;
    }
    std::string_view value;
    if (!spec->value_name.empty()) {
      if (inline_value) {
        value = *inline_value;
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        error = "--" + std::string(arg) + " needs a value";
        return std::nullopt;
      }
    }
    if (!spec->apply(o, value)) {
      error = "invalid value for --" + std::string(arg) + ": " + std::string(value);
      return std::nullopt;
    }
  }
  if (o.net.shards > broker::max_shards) {
    error = "--shards " + std::to_string(o.net.shards) + " is more than the " + std::to_string(broker::max_shards) +
            " shards ringcast supports (session ids and room replicas name a shard in 6 bits)";
    return std::nullopt;
  }
  return o;
}

}  // namespace ringcast::server
