#pragma once
// Counters of the broker layers, one set per shard: each is written by its shard only and read by
// any thread (the /metrics page). Every broker folder bumps its own fields; app/metrics renders them.
#include <array>
#include <atomic>
#include <cstdint>

#include "broker/stats/latency_histogram.h"
#include "reactor/shard_stats.h"

namespace ringcast::broker {

// The per-client limits of the broker layers; each refusal is counted by kind.
enum class limit_kind : std::uint8_t {
  polling_buffer,    // a polling session's undelivered packets passed --polling-buffer-limit
  pending_sessions,  // an address opened more handshakes than --max-pending-sessions without connecting
  rooms_per_socket,  // a socket tried to join more than --max-rooms-per-socket rooms
  count
};
inline const char* to_string(limit_kind k) noexcept {
  switch (k) {
    case limit_kind::polling_buffer: return "polling_buffer";
    case limit_kind::pending_sessions: return "pending_sessions";
    case limit_kind::rooms_per_socket: return "rooms_per_socket";
    case limit_kind::count: break;
  }
  return "unknown";
}

// How an AI job ended (the escalated ones got a hand-over message; fallback: the deadline passed;
// failed: every attempt failed; cancelled: a human replied first; late: an answer that came after
// the fallback, dropped).
enum class ai_outcome : std::uint8_t { answered, escalated, fallback, failed, cancelled, late, count };
inline const char* to_string(ai_outcome o) noexcept {
  switch (o) {
    case ai_outcome::answered: return "answered";
    case ai_outcome::escalated: return "escalated";
    case ai_outcome::fallback: return "fallback";
    case ai_outcome::failed: return "failed";
    case ai_outcome::cancelled: return "cancelled";
    case ai_outcome::late: return "late";
    case ai_outcome::count: break;
  }
  return "unknown";
}

// Channel webhooks (broker/channels): who called and how the request ended. stored: at least one
// new message; duplicate: a redelivery, nothing new; accepted: verified with nothing to store
// (a verification GET, statuses, echoes); unavailable: the write failed, the provider retries.
enum class webhook_provider : std::uint8_t { twilio, whatsapp, instagram, email, count };
enum class webhook_outcome : std::uint8_t {
  stored, duplicate, accepted, not_configured, forbidden, malformed, too_large, unsupported_type, unavailable, count
};
inline const char* to_string(webhook_provider p) noexcept {
  constexpr const char* names[] = {"twilio", "whatsapp", "instagram", "email"};
  return p < webhook_provider::count ? names[std::size_t(p)] : "unknown";
}
inline const char* to_string(webhook_outcome o) noexcept {
  constexpr const char* names[] = {"stored",   "duplicate", "accepted",         "not_configured", "forbidden",
                                   "malformed", "too_large", "unsupported_type", "unavailable"};
  return o < webhook_outcome::count ? names[std::size_t(o)] : "unknown";
}

struct broker_stats {
  using counter = reactor::shard_stats::counter;
  static void bump(counter& c, std::int64_t n = 1) noexcept {
    c.store(c.load(std::memory_order_relaxed) + std::uint64_t(n), std::memory_order_relaxed);
  }
  counter eio_sessions{0};         // gauge
  counter eio_sessions_opened{0};
  counter eio_ping_timeouts{0};
  counter eio_upgrades{0};
  counter eio_parse_errors{0};
  counter sio_sockets{0};          // gauge
  counter sio_parse_errors{0};
  counter sio_connect_refused{0};  // CONNECT_ERROR sent (unknown namespace, ...)
  counter broadcasts{0};
  counter deliveries{0};           // frames handed to sockets by broadcasts
  counter broadcast_drops{0};      // broadcasts not sent to a shard whose mailbox overflow was full
  // Connection state recovery.
  counter recovery_sessions{0};    // gauge: disconnected sockets whose state is kept
  counter recoveries{0};           // reconnects that got their socket, rooms and missed packets back
  counter recoveries_cross_shard{0};  // of which the state was on another shard
  counter recovery_misses{0};      // reconnects with a pid and offset that got a fresh socket
  counter recovery_expired{0};     // saved states dropped at the end of --recovery-window
  counter recovery_dropped{0};     // kept broadcasts dropped, oldest first, past --recovery-buffer
  std::array<counter, 600> http_errors{};  // by status code
  std::array<counter, 16> ws_closes{};     // close codes 1000..1015 sent by us
  std::array<counter, std::size_t(limit_kind::count)> limits_hit{};
  std::array<counter, 4> auth_failures{};  // by inbox::auth_error
  std::array<counter, 8> rejected_events{};  // inbox events answered with an error, by inbox::error_code
  counter inbox_messages_stored{0};
  latency_histogram inbox_ack_latency;  // owner-side submit to commit of stored messages
  counter inbox_typing_events{0};
  counter inbox_presence_events{0};
  counter inbox_receipts{0};            // read and delivered watermarks that moved
  counter inbox_receipt_batches{0};     // transactions that stored read and delivered marks
  counter inbox_joined{0};              // gauge: conversations joined by sockets
  // The AI auto-responder, counted on each job's owner shard.
  latency_histogram ai_response;        // customer message commit to the reply's (or fallback's) commit
  std::array<counter, std::size_t(ai_outcome::count)> ai_outcomes{};
  counter ai_jobs_started{0};           // jobs handed to the queue (or resumed after a restart)
  counter ai_queue_refused{0};          // jobs the full queue refused (they get the fallback)
  // Channel webhook requests by provider and outcome.
  std::array<std::array<counter, std::size_t(webhook_outcome::count)>, std::size_t(webhook_provider::count)>
      webhook_requests{};
  // The REST API (/api/v1): answers by status, errors included (also in http_errors).
  std::array<counter, 600> rest_responses{};

  // Counts the refusal and tells the operator (rate-limited).
  void hit(limit_kind k) noexcept;
};

}  // namespace ringcast::broker
