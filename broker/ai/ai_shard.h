#pragma once
// The AI's part of one shard, for the conversations this shard owns. A customer's message
// committed with an AI job (inbox_shard's hook) becomes a ticket on the shared queue and a timer
// at the job's due time (commit + --ai-deadline-ms). Whichever comes first settles the job:
// - the worker's answer: stored and fanned out as the assistant's message, or, on low
//   confidence, a complaint or a request for a person, a hand-over message plus the escalation;
// - the timer: the fallback message, and the conversation requires a human (ai_timeout); an
//   answer that arrives later is dropped and counted;
// - a human taking over (a staff message, which also claims an unassigned conversation, or an
//   update assigning staff or requiring a human): the job is cancelled.
// Each reply finishes its job in the transaction that stores it, under the client id
// "ai-job-<id>", so no job is answered twice, not even across a crash and restart.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "broker/ai/ai_service.h"
#include "broker/inbox/inbox_shard.h"
#include "broker/stats/broker_stats.h"
#include "persistence/inbox_conversations.h"
#include "reactor/shard.h"

namespace ringcast::broker::ai {

// Callbacks capture `this` without a guard: the shard destroys its apps only after its loop has
// ended, so no timer, database answer or worker post runs after this object is gone.
class ai_shard {
 public:
  ai_shard(reactor::shard& shard, inbox::inbox_shard& inbox, ai_service& service, broker_stats& stats);
  ~ai_shard();
  ai_shard(const ai_shard&) = delete;
  ai_shard& operator=(const ai_shard&) = delete;

  void job_created(inbox::committed_ai_job job);
  void human_took_over(const std::string& conversation, const std::string& staff_sub);

 private:
  struct pending {
    std::shared_ptr<job_ticket> ticket;
    reactor::timer_id due_timer;
    std::string conversation;
    std::int64_t seq = 0;
    reactor::shard::clock::time_point committed;
  };
  // What goes out for a settled job.
  struct reply {
    std::string text;
    ai_outcome outcome = ai_outcome::answered;
    std::optional<std::string> escalation;  // the reason, when the conversation goes to a human
    float confidence = 0;
    std::string intent;
    std::int32_t processing_ms = 0;
  };

  void start(std::int64_t job, int priority, std::string conversation, std::int64_t seq, std::string content,
             reactor::shard::clock::time_point committed, reactor::shard::clock::time_point due);
  void on_result(std::int64_t job, job_result r);
  void on_due(std::int64_t job);
  std::optional<pending> settle(std::int64_t job);
  void cancel(std::int64_t job, const std::string& conversation);
  reply decide(const ringcast::ai::answer& a, std::chrono::milliseconds took) const;
  void send(std::int64_t job, const pending& p, reply r, unsigned tries = 0);
  void escalate(const std::string& conversation, const std::string& reason, float confidence, unsigned tries = 0);
  // A statement on the owner's connection: false (not sent) while it is down. A failure is
  // logged; `next` gets the result, or nullptr when there is none.
  using result_fn = reactor::unique_function<void(const PGresult*)>;
  bool run(persistence::query q, bool transaction, const char* what, result_fn next = {});
  void conversation_updated(const persistence::inbox_conversation& c);
  void refresh_resolution();
  void typing(const std::string& conversation, bool on);
  void resume_open_jobs();

  reactor::shard& shard_;
  inbox::inbox_shard& inbox_;
  ai_service& service_;
  broker_stats& stats_;
  std::unordered_map<std::int64_t, pending> pending_;
  // Conversations a staff reply is claiming: a job committed before the claim is cancelled.
  std::unordered_map<std::string, unsigned> claiming_;
  reactor::timer_id cleanup_timer_{};
};

}  // namespace ringcast::broker::ai
