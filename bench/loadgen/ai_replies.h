#pragma once
// The inbox scenario's AI mode (--ai-replies): customers ask questions of the sample knowledge
// base (deploy/knowledge.json), and each AI reply, a `message:new` from senderType "ai" on the
// customer's socket, is matched to the message it answers.
//
// Matching is first in, first out per conversation: a conversation's messages get their seqs in
// send order, and each creates one AI job, answered in commit order. With a few messages in flight
// per conversation the pairing is exact; when the server's worker threads finish two jobs of one
// conversation out of order, two replies swap and each latency is off by the difference of their
// answer times (well under a millisecond with the builtin backend). Replies that cannot be paired
// (a job id seen twice, a reply with no message left) are counted as duplicates.
#include <cstdint>
#include <deque>
#include <memory>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "bench/loadgen/histogram.h"
#include "bench/loadgen/worker.h"

namespace ringcast::bench {

struct report;

// The question a customer sends as its n-th message: verbatim English questions of the sample
// knowledge base that the builtin backend answers with confidence (no complaint, no hand-over),
// in turns, shifted per conversation so the conversations do not all ask the same one at once.
std::string_view ai_question(std::uint32_t conversation, std::uint64_t n) noexcept;
std::size_t ai_question_count() noexcept;

class ai_reply_tracker {
 public:
  ai_reply_tracker(std::uint32_t conversations, unsigned threads);
  ~ai_reply_tracker();

  // ---- On the worker that owns conversation c's customer. ----
  // The customer sent its next message (its stamp: when it was due); `measured`: within the window.
  void on_sent(std::uint32_t c, std::int64_t stamp, bool measured) noexcept;
  // The ack of the customer's n-th message (0-based): stored with `seq`, or refused (seq 0).
  void on_acked(unsigned worker, std::uint32_t c, std::uint64_t n, std::uint64_t seq, std::int64_t now) noexcept;
  // A `message:new` on the customer's socket; true when it was an AI reply paired with a message.
  bool on_customer_message(worker& w, std::uint32_t c, std::string_view text, std::int64_t now,
                           bool measuring) noexcept;

  // ---- On the staff feed socket's worker. ----
  void on_feed_message(unsigned worker, std::string_view text) noexcept;

  // ---- Any thread. ----
  // Every stored message has its reply, and the feed socket (when there is one) saw all of both.
  bool drained(bool feed) const noexcept;
  // Once the workers stopped.
  void describe(report& r, double seconds, bool feed) const;

 private:
  struct message {
    std::int64_t stamp;
    std::int64_t acked_at = 0;  // 0: not yet; -1: refused (no job, no reply expected)
    std::uint64_t seq = 0;
    bool measured;
  };
  struct conversation {
    std::uint64_t first = 0;          // ordinal of messages.front()
    std::deque<message> messages;     // sent and not replied to yet
    std::uint64_t last_reply_seq = 0;
    bool escalated = false;           // got a hand-over or the fallback: no more jobs there
  };
  enum reply_kind : unsigned { answered, handover, fallback, kind_count };
  struct alignas(64) per_worker {
    latency_histogram from_ack;   // ack receipt -> reply, messages sent in the window
    latency_histogram from_send;  // scheduled send -> reply, the same messages
    std::unordered_set<std::uint64_t> jobs;  // ai-job-<id> seen
    std::uint64_t kinds[kind_count] = {};
    std::uint64_t duplicate_jobs = 0;
    std::uint64_t unmatched = 0;      // a reply with no message of that conversation waiting for one
    std::uint64_t before_ack = 0;     // a reply paired with a message not acked yet
    std::uint64_t seq_errors = 0;     // reply seq not above its message's, or below the previous reply's
    std::uint64_t unparsed = 0;
    counter stored;                   // acks without an error
    counter paired;                   // replies paired with a message
    counter replies;                  // every AI reply
    counter replies_measured;         // received within the window
    counter feed_customer;            // message:new at the feed socket: the customers' messages
    counter feed_ai;                  // and the AI's replies
  };

  void pop_refused(conversation& cv) noexcept;

  std::vector<conversation> convs_;
  std::vector<std::unique_ptr<per_worker>> workers_;
};

}  // namespace ringcast::bench
