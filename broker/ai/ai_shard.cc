#include "broker/ai/ai_shard.h"

#include <algorithm>

#include "broker/inbox/payloads.h"
#include "broker/inbox/room_names.h"
#include "broker/inbox/word_match.h"
#include "broker/socketio/sio_server.h"
#include "persistence/ai_jobs.h"
#include "persistence/inbox_conversations.h"
#include "reactor/log.h"

namespace ringcast::broker::ai {
namespace {

using namespace std::chrono_literals;
constexpr const char* assistant_id = "assistant";
constexpr unsigned max_store_tries = 30;     // a second apart: the database may be away that long
constexpr unsigned max_escalate_tries = 60;  // half a second apart
constexpr int cleanup_batch = 1000;

const char* stored_outcome(ai_outcome o) noexcept {
  switch (o) {
    case ai_outcome::escalated: return "escalated";
    case ai_outcome::fallback: return "fallback";
    case ai_outcome::failed: return "failed";
    default: return "answered";
  }
}

std::int64_t ms_between(reactor::shard::clock::time_point from, reactor::shard::clock::time_point to) {
  return std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count());
}

}  // namespace

ai_shard::ai_shard(reactor::shard& shard, inbox::inbox_shard& inbox, ai_service& service, broker_stats& stats)
    : shard_(shard), inbox_(inbox), service_(service), stats_(stats) {
  inbox::ai_hooks hooks;
  hooks.job_created = [this](inbox::committed_ai_job j) { job_created(std::move(j)); };
  hooks.human_took_over = [this](const std::string& conversation, const std::string& staff) {
    human_took_over(conversation, staff);
  };
  inbox_.set_ai_hooks(std::move(hooks));
  resume_open_jobs();
  if (shard_.id() == 0) {
    // Every 5 s: the resolution rate for /metrics, and the clean-up: finished jobs are history
    // the metrics have already counted; the old ones go in small batches, without long locks.
    cleanup_timer_ = shard_.timers().schedule_after(1s, [this] {
      const reactor::shard::clock::duration next = 5s;
      refresh_resolution();
      run(persistence::delete_finished_ai_jobs(
              std::chrono::duration_cast<std::chrono::seconds>(service_.settings().keep_finished).count(),
              cleanup_batch),
          true, "deleting old AI jobs");
      shard_.timers().rearm(cleanup_timer_, shard_.now() + next);
    });
  }
}

ai_shard::~ai_shard() {
  inbox_.set_ai_hooks({});
  shard_.timers().cancel(cleanup_timer_);
  for (auto& [id, p] : pending_) {
    if (p.ticket) p.ticket->settled.store(true, std::memory_order_release);
    shard_.timers().cancel(p.due_timer);
  }
}

void ai_shard::job_created(inbox::committed_ai_job j) {
  if (claiming_.count(j.conversation)) {
    broker_stats::bump(stats_.ai_jobs_started);
    return cancel(j.job, j.conversation);
  }
  const auto due = j.committed + service_.settings().deadline;
  start(j.job, j.priority, std::move(j.conversation), j.seq, std::move(j.content), j.committed, due);
}

void ai_shard::resume_open_jobs() {
  const auto now = shard_.now();
  for (auto& j : service_.take_open_jobs(shard_.id(), shard_.count())) {
    // The deadline counts from the original commit: the time already lost stays lost.
    const auto due = now + std::chrono::milliseconds(j.left_ms);
    start(j.id, j.priority, std::move(j.conversation), j.seq, std::move(j.content), due - service_.settings().deadline,
          due);
  }
}

void ai_shard::start(std::int64_t job, int priority, std::string conversation, std::int64_t seq, std::string content,
                     reactor::shard::clock::time_point committed, reactor::shard::clock::time_point due) {
  const ai_settings& cfg = service_.settings();
  broker_stats::bump(stats_.ai_jobs_started);
  pending p{nullptr, {}, conversation, seq, committed};
  if (inbox::contains_any(content, cfg.human_words)) {
    // A request for a person needs no backend: hand over at once.
    reply r{cfg.handover_text, ai_outcome::escalated, std::string("customer_request"), 1.0f, ringcast::ai::intents::human_request, 0};
    return send(job, p, std::move(r));
  }
  auto ticket = std::make_shared<job_ticket>();
  ticket->id = job;
  ticket->priority = priority;
  ticket->seq = seq;
  ticket->due = due;
  ticket->request.conversation_id = conversation;
  ticket->request.content = std::move(content);
  ai_service* service = &service_;
  const unsigned owner = shard_.id();
  ticket->deliver = [service, owner, self = this, job](job_result r) {
    service->post(owner, [self, job, r = std::move(r)](reactor::shard&) mutable { self->on_result(job, std::move(r)); });
  };
  p.ticket = ticket;
  p.due_timer = shard_.timers().schedule_at(due, [this, job] { on_due(job); });
  pending_.emplace(job, std::move(p));
  typing(conversation, true);
  if (!service_.submit(std::move(ticket))) broker_stats::bump(stats_.ai_queue_refused);
}

std::optional<ai_shard::pending> ai_shard::settle(std::int64_t job) {
  auto it = pending_.find(job);
  if (it == pending_.end()) return std::nullopt;
  pending p = std::move(it->second);
  pending_.erase(it);
  if (p.ticket) p.ticket->settled.store(true, std::memory_order_release);
  shard_.timers().cancel(p.due_timer);
  return p;
}

void ai_shard::on_result(std::int64_t job, job_result r) {
  auto p = settle(job);
  if (!p) {
    // The fallback went out already (or a human took over): a late answer is dropped.
    if (r.answer) broker_stats::bump(stats_.ai_outcomes[std::size_t(ai_outcome::late)]);
    return;
  }
  const ai_settings& cfg = service_.settings();
  if (r.answer) return send(job, *p, decide(*r.answer, r.took));
  // Out of time (never started, or the last call ran into its deadline) is a timeout; failures
  // with time to spare (attempts used up, a refusal) are the backend failing.
  const bool out_of_time =
      r.skipped || shard_.now() + cfg.retry.min_attempt >= p->ticket->due - cfg.retry.reserve;
  if (!out_of_time)
    reactor::log(reactor::log_level::warn, "AI job %lld failed after %u attempts: %s", static_cast<long long>(job),
                 r.attempts, r.error.c_str());
  reply fallback{cfg.fallback_text, out_of_time ? ai_outcome::fallback : ai_outcome::failed,
                 std::string(out_of_time ? "ai_timeout" : "ai_failed"), 0.0f, "fallback",
                 std::int32_t(r.took.count())};
  send(job, *p, std::move(fallback));
}

void ai_shard::on_due(std::int64_t job) {
  auto p = settle(job);
  if (!p) return;
  const ai_settings& cfg = service_.settings();
  send(job, *p, reply{cfg.fallback_text, ai_outcome::fallback, std::string("ai_timeout"), 0.0f, "fallback", 0});
}

ai_shard::reply ai_shard::decide(const ringcast::ai::answer& a, std::chrono::milliseconds took) const {
  namespace intents = ringcast::ai::intents;
  const ai_settings& cfg = service_.settings();
  reply r;
  r.confidence = float(std::clamp(a.confidence, 0.0, 1.0));
  r.intent = a.intent.empty() ? intents::unknown : a.intent;
  r.processing_ms = std::int32_t(took.count());
  if (a.escalate || a.intent == intents::human_request) r.escalation = "customer_request";
  else if (a.intent == intents::complaint) r.escalation = "complaint";
  else if (a.confidence < cfg.min_confidence || a.text.empty()) r.escalation = "low_confidence";
  if (r.escalation) {
    r.outcome = ai_outcome::escalated;
    r.text = cfg.handover_text;
  } else {
    r.outcome = ai_outcome::answered;
    r.text = a.text;
  }
  return r;
}

void ai_shard::send(std::int64_t job, const pending& p, reply r, unsigned tries) {
  const ai_settings& cfg = service_.settings();
  persistence::persist_row row;
  row.conversation = p.conversation;
  row.key = persistence::conversation_key::id;
  row.sender_type = "ai";
  row.sender_id = assistant_id;
  row.sender_name = cfg.assistant_name;
  row.client_message_id = "ai-job-" + std::to_string(job);
  row.content = r.text;
  row.ai = persistence::ai_reply{r.confidence, r.intent, r.processing_ms, job, stored_outcome(r.outcome),
                                 std::int32_t(ms_between(p.committed, shard_.now()))};
  inbox_.send_message(std::move(row), std::string(), [this, job, p, r, tries](boost::json::array ack) mutable {
    const auto* m = ack.empty() ? nullptr : ack[0].if_object();
    if (!m || m->contains("error")) {
      // The job stays open in the database; keep trying for a while, then leave it to the next
      // start (which takes up open jobs).
      if (tries + 1 < max_store_tries) {
        shard_.timers().schedule_after(1s, [this, job, p, r = std::move(r), tries]() mutable {
          send(job, p, std::move(r), tries + 1);
        });
      } else {
        typing(p.conversation, false);
        reactor::log(reactor::log_level::warn, "AI job %lld: its reply could not be stored; left for the next start",
                     static_cast<long long>(job));
      }
      return;
    }
    if (const auto* d = m->if_contains("duplicate"); d && d->is_bool() && d->as_bool()) return;  // answered before
    stats_.ai_response.observe(ms_between(p.committed, shard_.now()) * 1000);
    broker_stats::bump(stats_.ai_outcomes[std::size_t(r.outcome)]);
    if (r.escalation) escalate(p.conversation, *r.escalation, r.confidence);
  });
}

void ai_shard::escalate(const std::string& conversation, const std::string& reason, float confidence, unsigned tries) {
  const bool sent = run(persistence::escalate_conversation(conversation, reason, confidence), true,
                        "storing an escalation", [this, reason, confidence](const PGresult* r) {
                          auto rows = persistence::parse_inbox_conversations(r);
                          if (!rows || rows->empty()) return;
                          const auto& c = (*rows)[0];
                          conversation_updated(c);
                          auto e = inbox::event_message(inbox_.sio(), "escalation",
                                                        boost::json::object{{"conversationId", c.id},
                                                                            {"reason", reason},
                                                                            {"confidence", double(confidence)}});
                          e->rooms = {std::string(inbox::staff_feed_room)};
                          inbox_.sio().rooms().broadcast(std::move(e));
                        });
  if (sent) return;
  if (tries + 1 < max_escalate_tries)
    shard_.timers().schedule_after(500ms, [this, conversation, reason, confidence, tries] {
      escalate(conversation, reason, confidence, tries + 1);
    });
  else
    reactor::log(reactor::log_level::warn, "the escalation of a conversation (%s) could not be stored", reason.c_str());
}

void ai_shard::human_took_over(const std::string& conversation, const std::string& staff_sub) {
  std::vector<std::int64_t> jobs;
  for (const auto& [id, p] : pending_)
    if (p.conversation == conversation) jobs.push_back(id);
  for (auto job : jobs) cancel(job, conversation);
  if (staff_sub.empty()) return;
  // The reply claims the conversation if nobody has it, so later customer messages create no job;
  // until that commits, jobs created meanwhile are cancelled here.
  ++claiming_[conversation];
  auto claimed = [this, conversation] {
    if (auto it = claiming_.find(conversation); it != claiming_.end() && --it->second == 0) claiming_.erase(it);
  };
  const bool sent = run(persistence::claim_conversation(conversation, staff_sub), true, "claiming a conversation",
                        [this, claimed](const PGresult* r) {
                          claimed();
                          auto rows = r ? persistence::parse_inbox_conversations(r) : std::nullopt;
                          if (rows && !rows->empty()) conversation_updated((*rows)[0]);  // none: assigned already
                        });
  if (!sent) claimed();
}

void ai_shard::cancel(std::int64_t job, const std::string& conversation) {
  settle(job);
  typing(conversation, false);
  // Left open when the database is away: the next start cancels it (a human is there).
  run(persistence::cancel_ai_job(job), true, "cancelling an AI job");
  broker_stats::bump(stats_.ai_outcomes[std::size_t(ai_outcome::cancelled)]);
}

void ai_shard::refresh_resolution() {
  const auto window = std::chrono::duration_cast<std::chrono::seconds>(ai_service::resolution_window).count();
  run(persistence::ai_resolution(window), false, "reading the AI resolution rate", [this](const PGresult* r) {
    if (auto c = r ? persistence::parse_ai_resolution(r) : std::nullopt) {
      service_.resolved_total.store(c->total, std::memory_order_relaxed);
      service_.resolved_by_ai.store(c->by_ai, std::memory_order_relaxed);
    }
  });
}

bool ai_shard::run(persistence::query q, bool transaction, const char* what, result_fn next) {
  auto* pg = inbox_.database();
  if (!pg || !pg->ready()) return false;
  persistence::pg_unit unit;
  unit.transaction = transaction;
  unit.statements.push_back({q.sql, std::move(q.params.values)});
  unit.done = [what, next = std::move(next)](persistence::pg_outcome& o) mutable {
    const bool ok = o.state == persistence::pg_outcome::status::ok && !o.results.empty();
    if (o.state == persistence::pg_outcome::status::failed)
      reactor::log(reactor::log_level::warn, "%s failed: %s", what, o.error.c_str());
    if (next) next(ok ? o.results[0].get() : nullptr);
  };
  pg->submit(std::move(unit));
  return true;
}

void ai_shard::conversation_updated(const persistence::inbox_conversation& c) {
  auto updated = inbox::event_message(inbox_.sio(), "conversation:updated", inbox::conversation_json(c));
  updated->rooms = {std::string(inbox::staff_feed_room), inbox::conversation_room(c.id)};
  inbox_.sio().rooms().broadcast(std::move(updated));
}

void ai_shard::typing(const std::string& conversation, bool on) {
  inbox_.assistant_typing(conversation, inbox::typist{"ai", assistant_id, service_.settings().assistant_name}, on);
}

}  // namespace ringcast::broker::ai
