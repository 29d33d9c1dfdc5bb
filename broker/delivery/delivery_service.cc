#include "broker/delivery/delivery_service.h"

#include <pthread.h>

#include "broker/delivery/delivery_shard.h"
#include "broker/inbox/inbox_shard.h"
#include "persistence/pg_connection.h"
#include "persistence/thread_connection.h"
#include "reactor/log.h"

namespace ringcast::broker::delivery {
namespace {

using namespace std::chrono_literals;
constexpr auto statement_timeout = 5000ms;
constexpr auto database_retry = 1000ms;  // a claim the database could not answer goes again after this
constexpr unsigned record_tries = 5;      // 200 ms apart

void bump(std::atomic<std::uint64_t>& c, std::int64_t n = 1) noexcept {
  c.fetch_add(std::uint64_t(n), std::memory_order_relaxed);
}

}  // namespace

provider_kind provider_kind_of(std::string_view name) noexcept {
  if (name == "twilio") return provider_kind::twilio;
  if (name == "whatsapp") return provider_kind::whatsapp;
  if (name == "instagram") return provider_kind::instagram;
  if (name == "smtp") return provider_kind::smtp;
  return provider_kind::none;
}

const char* to_string(provider_kind p) noexcept {
  static constexpr const char* names[] = {"twilio", "whatsapp", "instagram", "smtp", "none"};
  return p < provider_kind::count ? names[std::size_t(p)] : "none";
}

const char* to_string(attempt_kind a) noexcept {
  static constexpr const char* names[] = {"sent", "retried", "failed"};
  return a < attempt_kind::count ? names[std::size_t(a)] : "unknown";
}

delivery_service::delivery_service(delivery_settings settings, std::string database_url, unsigned shards)
    : settings_(std::move(settings)),
      database_url_(std::move(database_url)),
      shards_(shards),
      queue_(settings_.max_queue),
      parts_(shards) {
  curl_init_once();
}

delivery_service::~delivery_service() { stop(); }

void delivery_service::start(post_fn post) {
  post_ = std::move(post);
  const auto now = clock::now();
  for (auto& d : open_) submit(d.id, std::move(d.conversation), now + std::chrono::milliseconds(d.due_in_ms));
  open_.clear();
  for (unsigned i = 0; i < settings_.concurrency; ++i) {
    threads_.emplace_back([this] { run(); });
    pthread_setname_np(threads_.back().native_handle(), "ringcast-out");
  }
}

void delivery_service::stop() {
  queue_.close();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

bool delivery_service::submit(std::int64_t id, std::string conversation, clock::time_point due) {
  if (queue_.push({id, std::move(conversation)}, due)) return true;
  static reactor::log_rate rate(1);
  std::uint64_t held_back = 0;
  if (rate.allow(held_back))
    reactor::log(reactor::log_level::warn, "the delivery queue is full: delivery %lld waits for the next start",
                 static_cast<long long>(id));
  return false;
}

void delivery_service::run() {
  while (auto e = queue_.pop()) work_on(*e);
}

void delivery_service::work_on(const delivery_queue::entry& e) {
  PGconn* c = persistence::thread_connection(database_url_, statement_timeout);
  auto claimed = c ? persistence::parse_claimed_delivery(persistence::run_blocking(c, persistence::claim_delivery(e.id)).get())
                   : std::nullopt;
  if (!claimed) {
    // The database is away: the row is still pending; try again soon.
    persistence::drop_thread_connection_if_broken();
    queue_.push(e, clock::now() + database_retry);
    return;
  }
  if (claimed->empty()) return;  // not pending: another thread has it, or it is finished
  const persistence::claimed_delivery& d = claimed->front();
  bump(figures_.attempts);
  bump(figures_.in_flight);
  send_result sent = send_delivery(d, settings_.providers);
  figures_.in_flight.fetch_sub(1, std::memory_order_relaxed);

  persistence::attempt_outcome o;
  const auto wait = settings_.policy.retry_after(sent.verdict, unsigned(d.attempts));
  if (sent.provider != "none") o.provider = sent.provider;
  attempt_kind kind;
  if (sent.verdict == send_verdict::sent) {
    kind = attempt_kind::sent;
    o.status = "sent";
    if (!sent.provider_message_id.empty()) o.provider_message_id = sent.provider_message_id;
  } else if (wait.count() > 0) {
    kind = attempt_kind::retried;
    o.status = "pending";
    o.error = sent.error;
    o.retry_after_ms = wait.count();
  } else {
    kind = attempt_kind::failed;
    o.status = "failed";
    o.error = sent.verdict == send_verdict::retryable
                  ? sent.error + " (gave up after " + std::to_string(d.attempts) + " attempts)"
                  : sent.error;
  }
  bump(figures_.outcomes[std::size_t(provider_kind_of(sent.provider))][std::size_t(kind)]);
  auto change = record(d, o);
  if (kind == attempt_kind::retried) queue_.push(e, clock::now() + wait);
  else notify(std::move(change));
}

persistence::delivery_change delivery_service::record(const persistence::claimed_delivery& d,
                                                      const persistence::attempt_outcome& o) {
  for (unsigned t = 0; t < record_tries; ++t) {
    if (t > 0) std::this_thread::sleep_for(200ms);
    PGconn* c = persistence::thread_connection(database_url_, statement_timeout);
    if (!c) continue;
    auto rows = persistence::parse_delivery_changes(
        persistence::run_blocking(c, persistence::finish_attempt(d.id, o)).get());
    if (rows && !rows->empty()) return std::move(rows->front());
    if (rows) break;  // no longer sending: nothing to record
    persistence::drop_thread_connection_if_broken();
  }
  if (o.status != "pending") {
    bump(figures_.not_stored);
    reactor::log(reactor::log_level::warn,
                 "delivery %lld: its outcome (%s) could not be stored; the next start marks it interrupted",
                 static_cast<long long>(d.id), o.status.c_str());
  }
  // What the staff should see all the same.
  return persistence::delivery_change{d.id,       d.conversation, d.seq,    d.message_id,          d.channel,
                                      o.status,   o.provider,     o.provider_message_id, o.error, d.attempts};
}

void delivery_service::notify(persistence::delivery_change change) {
  if (!post_) return;
  const unsigned owner = inbox::owner_of(change.conversation, shards_);
  post_(owner, [this, change = std::move(change)](reactor::shard& s) mutable { parts_.on(s).changed(change); });
}

}  // namespace ringcast::broker::delivery
