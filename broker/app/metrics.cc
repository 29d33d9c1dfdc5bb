#include "broker/app/metrics.h"

#include <string_view>

#include "broker/inbox/errors.h"
#include "broker/inbox/identity.h"

namespace ringcast::broker {
namespace {

class text_writer {
 public:
  explicit text_writer(std::string& out) : out_(out) {}
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ringcast_";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ringcast_";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  void sample(std::string_view name, std::uint64_t v, std::string_view label = {}, std::string_view value = {}) {
    out_ += "ringcast_";
    out_ += name;
    if (!label.empty()) {
      out_ += '{';
      out_ += label;
      out_ += "=\"";
      out_ += value;
      out_ += "\"}";
    }
    out_ += ' ';
    out_ += std::to_string(v);
    out_ += '\n';
  }
  void bucket(std::string_view name, std::string_view le, std::uint64_t v) {
    line(std::string(name) + "_bucket{le=\"" + std::string(le) + "\"}", std::to_string(v));
  }
  void line(std::string_view series, std::string_view value) {
    out_ += "ringcast_";
    out_ += series;
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }

 private:
  std::string& out_;
};

// Microseconds as decimal seconds, exact ("0.0005", "2.5", "10").
std::string seconds(std::uint64_t us) {
  std::string out = std::to_string(us / 1'000'000);
  if (const std::uint64_t frac = us % 1'000'000) {
    std::string digits = std::to_string(frac);
    digits.insert(0, 6 - digits.size(), '0');
    while (digits.back() == '0') digits.pop_back();
    out += '.';
    out += digits;
  }
  return out;
}

}  // namespace

std::string metrics_registry::render() const {
  std::string out;
  text_writer w(out);
  auto sum = [&](auto field) {
    std::uint64_t total = 0;
    for (unsigned i = 0; i < shards_; ++i) total += reactor::shard_stats::read(stats_[i].*field);
    return total;
  };
  // Buckets summed over shards and made cumulative, as Prometheus wants them.
  auto histogram = [&](std::string_view name, std::string_view help, latency_histogram broker_stats::*field) {
    using S = reactor::shard_stats;
    w.family(name, "histogram", help);
    const auto& bounds = latency_histogram::bounds_us;
    std::uint64_t cumulative = 0, count = 0, sum_us = 0;
    for (std::size_t b = 0; b < bounds.size(); ++b) {
      for (unsigned i = 0; i < shards_; ++i) cumulative += S::read((stats_[i].*field).buckets[b]);
      w.bucket(name, seconds(bounds[b]), cumulative);
    }
    for (unsigned i = 0; i < shards_; ++i) {
      count += S::read((stats_[i].*field).count);
      sum_us += S::read((stats_[i].*field).sum_us);
    }
    w.bucket(name, "+Inf", count);
    w.line(std::string(name) + "_sum", seconds(sum_us));
    w.line(std::string(name) + "_count", std::to_string(count));
  };
  auto one = [&](std::string_view name, std::string_view type, std::string_view help, auto field) {
    w.family(name, type, help);
    w.sample(name, sum(field));
  };

  if (net_) {
    using S = reactor::shard_stats;
    auto net = [&](std::string_view name, std::string_view type, std::string_view help, S::counter S::*field) {
      w.family(name, type, help);
      w.sample(name, net_->total(field));
    };
    net("connections", "gauge", "Open TCP connections.", &S::live_connections);
    net("accepted_total", "counter", "TCP connections accepted.", &S::accepted);
    net("bytes_in_total", "counter", "Bytes received.", &S::bytes_in);
    net("bytes_out_total", "counter", "Bytes sent.", &S::bytes_out);
    net("send_calls_total", "counter", "Gathered socket writes submitted.", &S::send_calls);
    net("send_queue_bytes", "gauge", "Bytes waiting in send queues.", &S::queued_bytes);
    net("mailbox_messages_total", "counter", "Cross-shard messages sent.", &S::mailbox_sent);
    net("mailbox_deferred_total", "counter", "Cross-shard messages kept because a ring was full.", &S::mailbox_deferred);
    net("mailbox_refused_total", "counter", "Cross-shard messages refused: the target was too far behind.",
        &S::mailbox_refused);
    net("connections_handed_off_total", "counter", "Connections handed to the shard owning their session.",
        &S::handed_off);
    w.family("connections_closed_total", "counter", "Closed connections by reason.");
    for (std::size_t r = 0; r < reactor::close_reason_count; ++r)
      w.sample("connections_closed_total", net_->total_closed(reactor::close_reason(r)), "reason",
               reactor::to_string(reactor::close_reason(r)));
  }

  one("engineio_sessions", "gauge", "Open Engine.IO sessions.", &broker_stats::eio_sessions);
  one("engineio_sessions_opened_total", "counter", "Engine.IO handshakes.", &broker_stats::eio_sessions_opened);
  one("engineio_ping_timeouts_total", "counter", "Sessions closed for a missing pong.", &broker_stats::eio_ping_timeouts);
  one("engineio_upgrades_total", "counter", "Polling sessions upgraded to WebSocket.", &broker_stats::eio_upgrades);
  one("engineio_parse_errors_total", "counter", "Invalid Engine.IO packets.", &broker_stats::eio_parse_errors);
  one("socketio_sockets", "gauge", "Connected Socket.IO namespace sockets.", &broker_stats::sio_sockets);
  one("socketio_parse_errors_total", "counter", "Invalid Socket.IO packets.", &broker_stats::sio_parse_errors);
  one("socketio_connect_refused_total", "counter", "CONNECT_ERROR answers.", &broker_stats::sio_connect_refused);
  one("broadcasts_total", "counter", "Room broadcasts started on this server.", &broker_stats::broadcasts);
  one("deliveries_total", "counter", "Broadcast frames handed to recipients.", &broker_stats::deliveries);
  one("broadcast_drops_total", "counter", "Broadcasts not sent to a shard whose mailbox was too far behind.",
      &broker_stats::broadcast_drops);
  one("recovery_sessions", "gauge", "Disconnected sockets kept for connection state recovery.",
      &broker_stats::recovery_sessions);
  one("recoveries_total", "counter", "Reconnects that got their socket id, rooms and missed broadcasts back.",
      &broker_stats::recoveries);
  one("recoveries_cross_shard_total", "counter", "Recoveries whose saved state was on another shard.",
      &broker_stats::recoveries_cross_shard);
  one("recovery_misses_total", "counter",
      "Reconnects with a pid and offset that got a fresh socket (unknown or expired pid, offset no longer kept).",
      &broker_stats::recovery_misses);
  one("recovery_expired_total", "counter", "Saved sockets dropped at the end of the recovery window.",
      &broker_stats::recovery_expired);
  one("recovery_buffer_dropped_total", "counter",
      "Kept broadcasts dropped, oldest first, because a shard's recovery buffer was full.", &broker_stats::recovery_dropped);

  using W = persistence::writer_stats;
  auto db_sum = [&](persistence::writer_figure W::*field) {
    std::uint64_t total = 0;
    for (unsigned i = 0; i < shards_; ++i) total += (writers_[i].*field).get();
    return total;
  };
  auto db = [&](std::string_view name, std::string_view type, std::string_view help, persistence::writer_figure W::*field) {
    w.family(name, type, help);
    w.sample(name, db_sum(field));
  };
  db("db_batches_total", "counter", "Group-commit transactions sent.", &W::batches);
  db("db_rows_total", "counter", "Rows sent in group-commit transactions (resent ones again).", &W::rows);
  db("db_backlog_rows", "gauge", "Accepted writes not answered yet.", &W::backlog_rows);
  db("db_backlog_bytes", "gauge", "Bytes of the accepted writes not answered yet.", &W::backlog_bytes);
  db("db_resent_batches_total", "counter", "Batches sent again after a failure, an abort or a lost connection.",
     &W::resent_batches);
  db("db_conflicts_total", "counter", "Writes refused: clientId already used in another conversation.", &W::conflicts);
  db("db_failed_total", "counter", "Writes answered with a permanent database failure.", &W::failed);
  w.family("db_refused_total", "counter", "Writes refused because the backlog was full, by limit.");
  w.sample("db_refused_total", db_sum(&W::refused_rows), "cause", "rows");
  w.sample("db_refused_total", db_sum(&W::refused_bytes), "cause", "bytes");

  // Counters kept per label value (an array indexed by code), summed over shards. Sparse
  // families (HTTP statuses) print only the values seen; the named ones print every value.
  auto labelled = [&](std::string_view name, std::string_view help, std::string_view label, auto array_field,
                      std::size_t first, std::size_t last, auto name_of, bool only_seen) {
    w.family(name, "counter", help);
    for (std::size_t i = first; i < last; ++i) {
      std::uint64_t v = 0;
      for (unsigned sh = 0; sh < shards_; ++sh) v += reactor::shard_stats::read((stats_[sh].*array_field)[i]);
      if (v || !only_seen) w.sample(name, v, label, name_of(i));
    }
  };
  auto number = [](std::size_t base) { return [base](std::size_t i) { return std::to_string(base + i); }; };
  labelled("http_errors_total", "HTTP error responses by status.", "status", &broker_stats::http_errors, 400, 600,
           number(0), true);
  labelled("rest_responses_total", "REST API (/api/v1) answers by status, refusals included.", "status",
           &broker_stats::rest_responses, 100, 600, number(0), true);
  labelled("websocket_closes_total", "WebSocket close frames sent, by code.", "code", &broker_stats::ws_closes, 0, 16,
           number(1000), true);
  one("inbox_messages_stored_total", "counter", "Inbox messages committed and fanned out (retries excluded).",
      &broker_stats::inbox_messages_stored);
  histogram("inbox_ack_latency_seconds", "Time from handing a message to the group-commit writer to its commit.",
            &broker_stats::inbox_ack_latency);
  one("inbox_typing_events_total", "counter", "Typing changes fanned out.", &broker_stats::inbox_typing_events);
  one("inbox_presence_events_total", "counter", "Presence changes fanned out.", &broker_stats::inbox_presence_events);
  one("inbox_receipts_total", "counter", "Read and delivered watermarks that moved.", &broker_stats::inbox_receipts);
  one("inbox_receipt_batches_total", "counter", "Transactions that stored read and delivered marks (batched per shard).",
      &broker_stats::inbox_receipt_batches);
  one("inbox_joined_conversations", "gauge", "Conversations joined by connected sockets.", &broker_stats::inbox_joined);
  labelled("auth_failures_total", "Socket.IO connections refused for their token, by code.", "code",
           &broker_stats::auth_failures, 0, std::size_t(inbox::auth_error::count),
           [](std::size_t i) { return inbox::to_string(inbox::auth_error(i)); }, false);
  labelled("events_rejected_total", "Inbox events answered with an error, by code.", "code",
           &broker_stats::rejected_events, 0, std::size_t(inbox::error_code::count),
           [](std::size_t i) { return inbox::to_string(inbox::error_code(i)); }, false);
  if (ai_) {
    histogram("ai_response_seconds",
              "From a customer message's commit to the commit of the AI's reply, hand-over or fallback.",
              &broker_stats::ai_response);
    labelled("ai_jobs_total", "AI jobs by how they ended.", "outcome", &broker_stats::ai_outcomes, 0,
             std::size_t(ai_outcome::count), [](std::size_t i) { return std::string_view(to_string(ai_outcome(i))); },
             false);
    one("ai_jobs_started_total", "counter", "AI jobs handed to the workers (resumed ones included).",
        &broker_stats::ai_jobs_started);
    one("ai_queue_refused_total", "counter", "AI jobs the full queue refused (they got the fallback).",
        &broker_stats::ai_queue_refused);
    const auto depth = ai_->queue_depth();
    w.family("ai_queue_depth", "gauge", "AI jobs waiting for a worker, by priority (1 most urgent).");
    for (std::size_t p = 0; p < depth.size(); ++p) w.sample("ai_queue_depth", depth[p], "priority", std::to_string(p + 1));
    const auto& f = ai_->figures();
    w.family("ai_in_flight", "gauge", "AI answers being generated now.");
    w.sample("ai_in_flight", f.in_flight.load(std::memory_order_relaxed));
    w.family("ai_attempts_total", "counter", "Backend calls (retries included).");
    w.sample("ai_attempts_total", f.attempts.load(std::memory_order_relaxed));
    w.family("ai_attempt_failures_total", "counter", "Backend calls that failed.");
    w.sample("ai_attempt_failures_total", f.failures.load(std::memory_order_relaxed));
    // The AI resolution rate is by_ai / total (refreshed every 5 s).
    w.family("ai_resolved_conversations", "gauge",
             "Conversations resolved or closed in the past hour: all of them, and those with no staff message.");
    w.sample("ai_resolved_conversations", std::uint64_t(ai_->resolved_total.load(std::memory_order_relaxed)), "by", "anyone");
    w.sample("ai_resolved_conversations", std::uint64_t(ai_->resolved_by_ai.load(std::memory_order_relaxed)), "by", "ai");
  }
  // Two labels: every provider and outcome is printed, so a dashboard's rate() starts at zero.
  w.family("webhook_requests_total", "counter", "Channel webhook requests by provider and outcome.");
  for (std::size_t p = 0; p < std::size_t(webhook_provider::count); ++p)
    for (std::size_t o = 0; o < std::size_t(webhook_outcome::count); ++o) {
      std::uint64_t v = 0;
      for (unsigned sh = 0; sh < shards_; ++sh) v += reactor::shard_stats::read(stats_[sh].webhook_requests[p][o]);
      w.line(std::string("webhook_requests_total{provider=\"") + to_string(webhook_provider(p)) + "\",outcome=\"" +
                 to_string(webhook_outcome(o)) + "\"}",
             std::to_string(v));
    }
  if (delivery_) {
    using delivery::attempt_kind;
    using delivery::provider_kind;
    const auto& f = delivery_->figures();
    w.family("outbound_deliveries_total", "counter",
             "Provider calls for replies to channel customers, by provider and outcome (retried: failed, tried again).");
    for (std::size_t p = 0; p < std::size_t(provider_kind::count); ++p)
      for (std::size_t k = 0; k < std::size_t(attempt_kind::count); ++k)
        w.line("outbound_deliveries_total{provider=\"" + std::string(to_string(provider_kind(p))) + "\",outcome=\"" +
                   to_string(attempt_kind(k)) + "\"}",
               std::to_string(f.outcomes[p][k].load(std::memory_order_relaxed)));
    w.family("outbound_attempts_total", "counter", "Delivery attempts: provider calls (retries included), and refusals before one.");
    w.sample("outbound_attempts_total", f.attempts.load(std::memory_order_relaxed));
    w.family("outbound_in_flight", "gauge", "Provider calls in progress.");
    w.sample("outbound_in_flight", f.in_flight.load(std::memory_order_relaxed));
    w.family("outbound_queue_depth", "gauge", "Deliveries waiting for a delivery thread or for their retry time.");
    w.sample("outbound_queue_depth", delivery_->queue_depth());
    w.family("outbound_unrecorded_total", "counter", "Attempt outcomes that could not be stored in PostgreSQL.");
    w.sample("outbound_unrecorded_total", f.not_stored.load(std::memory_order_relaxed));
  }
  labelled("limits_hit_total", "Requests refused or clients closed for passing a per-client limit.", "limit",
           &broker_stats::limits_hit, 0, std::size_t(limit_kind::count),
           [](std::size_t i) { return std::string_view(to_string(limit_kind(i))); }, false);
  return out;
}

}  // namespace ringcast::broker
