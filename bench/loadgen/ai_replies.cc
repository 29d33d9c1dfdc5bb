#include "bench/loadgen/ai_replies.h"

#include <algorithm>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <string>
#include <utility>

#include "bench/loadgen/scenarios.h"

namespace ringcast::bench {
namespace {

// The 32 English questions of deploy/knowledge.json, verbatim: the builtin backend answers each
// with confidence >= 0.99 and its knowledge-base intent, so no conversation is handed over (after
// which it would create no more AI jobs). Plain ASCII without quotes: they go into JSON as they are.
constexpr std::string_view questions[] = {
    "Where is my order?",
    "How long does delivery take?",
    "How much does shipping cost?",
    "Do you ship internationally?",
    "Can I change my delivery address after ordering?",
    "Do you offer express delivery?",
    "My parcel says delivered but I did not receive it",
    "How do I cancel my order?",
    "Can I add an item to an order I already placed?",
    "How do I return an item?",
    "Are returns free?",
    "Can I exchange an item for a different size?",
    "The item I received is damaged",
    "I received the wrong item",
    "When will I get my refund?",
    "What payment methods do you accept?",
    "I was charged twice for my order",
    "How do I get an invoice for my order?",
    "How do I use a discount code?",
    "Can I pay in instalments?",
    "Do you sell gift cards?",
    "Is my payment information secure?",
    "How do I reset my password?",
    "How do I change my email address?",
    "How do I create an account?",
    "How do I delete my account?",
    "My account is locked",
    "How do I unsubscribe from the newsletter?",
    "What are your opening hours?",
    "How can I contact customer service?",
    "Do you have a physical store?",
    "The website or the app is not working",
};

// The server's defaults (--ai-min-confidence 0.7) and the intents it hands over on.
constexpr double min_confidence = 0.7;

// The string value after `key` (which ends with the opening quote), or empty.
std::string_view string_after(std::string_view text, std::string_view key) noexcept {
  const auto at = text.find(key);
  if (at == std::string_view::npos) return {};
  std::string_view v = text.substr(at + key.size());
  return v.substr(0, v.find('"'));
}

bool number_after(std::string_view text, std::string_view key, std::uint64_t& out) noexcept {
  const auto at = text.find(key);
  if (at == std::string_view::npos) return false;
  std::string_view v = text.substr(at + key.size());
  return take_number(v, out);
}

}  // namespace

std::string_view ai_question(std::uint32_t conversation, std::uint64_t n) noexcept {
  return questions[(conversation + n) % std::size(questions)];
}

std::size_t ai_question_count() noexcept { return std::size(questions); }

ai_reply_tracker::ai_reply_tracker(std::uint32_t conversations, unsigned threads) : convs_(conversations) {
  for (unsigned t = 0; t < threads; ++t) workers_.push_back(std::make_unique<per_worker>());
}

ai_reply_tracker::~ai_reply_tracker() = default;

void ai_reply_tracker::on_sent(std::uint32_t c, std::int64_t stamp, bool measured) noexcept {
  convs_[c].messages.push_back(message{stamp, 0, 0, measured});
}

void ai_reply_tracker::on_acked(unsigned worker, std::uint32_t c, std::uint64_t n, std::uint64_t seq,
                                std::int64_t now) noexcept {
  conversation& cv = convs_[c];
  if (seq) workers_[worker]->stored.bump();
  // Not there: its reply came first and took it (counted as before_ack).
  if (n < cv.first || n - cv.first >= cv.messages.size()) return;
  message& m = cv.messages[n - cv.first];
  m.acked_at = seq ? now : -1;
  m.seq = seq;
  pop_refused(cv);
}

void ai_reply_tracker::pop_refused(conversation& cv) noexcept {
  while (!cv.messages.empty() && cv.messages.front().acked_at < 0) {
    cv.messages.pop_front();
    ++cv.first;
  }
}

// `2["message:new",{"id":..,"conversationId":..,"seq":N,"senderType":"ai",..,"clientId":"ai-job-J",
//  "ai":{"confidence":X,"intent":"I",..},..}]`. Content is JSON-escaped, so a key with its quotes
// cannot be matched inside it.
bool ai_reply_tracker::on_customer_message(worker& w, std::uint32_t c, std::string_view text, std::int64_t now,
                                           bool measuring) noexcept {
  if (string_after(text, R"("senderType":")") != "ai") return false;
  per_worker& pw = *workers_[w.index()];
  pw.replies.bump();
  w.messages_total.bump();
  if (measuring) pw.replies_measured.bump();
  std::uint64_t seq = 0, job = 0;
  const auto ai = text.find(R"("ai":{)");
  if (!number_after(text, R"("seq":)", seq) || !number_after(text, R"("clientId":"ai-job-)", job) ||
      ai == std::string_view::npos) {
    ++pw.unparsed;
    return false;
  }
  const std::string_view fields = text.substr(ai);
  const std::string_view intent = string_after(fields, R"("intent":")");
  double confidence = 0;
  if (const auto k = fields.find(R"("confidence":)"); k != std::string_view::npos) {
    const char* from = fields.data() + k + 13;
    std::from_chars(from, fields.data() + fields.size(), confidence);
  }
  conversation& cv = convs_[c];
  reply_kind kind = answered;
  if (intent == "fallback") kind = fallback;
  else if (intent == "human_request" || intent == "complaint" || confidence < min_confidence) kind = handover;
  ++pw.kinds[kind];
  if (kind != answered) cv.escalated = true;

  if (!pw.jobs.insert(job).second) {
    ++pw.duplicate_jobs;
    return false;
  }
  if (seq < cv.last_reply_seq) ++pw.seq_errors;
  cv.last_reply_seq = std::max(cv.last_reply_seq, seq);
  pop_refused(cv);
  if (cv.messages.empty()) {
    ++pw.unmatched;
    return false;
  }
  const message m = cv.messages.front();
  cv.messages.pop_front();
  ++cv.first;
  pw.paired.bump();
  if (m.acked_at == 0) ++pw.before_ack;
  else if (m.seq >= seq) ++pw.seq_errors;
  if (m.measured) {
    pw.from_send.record(now - m.stamp);
    if (m.acked_at > 0) pw.from_ack.record(now - m.acked_at);
  }
  return true;
}

void ai_reply_tracker::on_feed_message(unsigned worker, std::string_view text) noexcept {
  per_worker& pw = *workers_[worker];
  if (string_after(text, R"("senderType":")") == "ai") pw.feed_ai.bump();
  else pw.feed_customer.bump();
}

bool ai_reply_tracker::drained(bool feed) const noexcept {
  std::uint64_t stored = 0, paired = 0, replies = 0, seen = 0;
  for (const auto& pw : workers_) {
    stored += pw->stored.get();
    paired += pw->paired.get();
    replies += pw->replies.get();
    seen += pw->feed_customer.get() + pw->feed_ai.get();
  }
  return paired >= stored && (!feed || seen >= stored + replies);
}

void ai_reply_tracker::describe(report& r, double seconds, bool feed) const {
  latency_histogram from_ack, from_send;
  std::uint64_t kinds[kind_count] = {}, dup_jobs = 0, unmatched = 0, before_ack = 0, seq_errors = 0, unparsed = 0;
  std::uint64_t stored = 0, paired = 0, replies = 0, measured = 0, feed_customer = 0, feed_ai = 0;
  for (const auto& pw : workers_) {
    from_ack.merge(pw->from_ack);
    from_send.merge(pw->from_send);
    for (unsigned k = 0; k < kind_count; ++k) kinds[k] += pw->kinds[k];
    dup_jobs += pw->duplicate_jobs;
    unmatched += pw->unmatched;
    before_ack += pw->before_ack;
    seq_errors += pw->seq_errors;
    unparsed += pw->unparsed;
    stored += pw->stored.get();
    paired += pw->paired.get();
    replies += pw->replies.get();
    measured += pw->replies_measured.get();
    feed_customer += pw->feed_customer.get();
    feed_ai += pw->feed_ai.get();
  }
  std::uint64_t escalated = 0;
  for (const conversation& cv : convs_) escalated += cv.escalated ? 1 : 0;
  const std::uint64_t missing = stored - std::min(stored, paired);
  const std::uint64_t duplicates = dup_jobs + unmatched;
  const std::uint64_t feed_missing =
      feed ? (stored - std::min(stored, feed_customer)) + (replies - std::min(replies, feed_ai)) : 0;

  r.add("replies_per_s", double(measured) / seconds);
  const std::pair<const char*, std::uint64_t> counts[] = {
      {"ai_questions", std::size(questions)}, {"replies", measured},           {"replies_total", replies},
      {"replies_answered", kinds[answered]},  {"replies_handover", kinds[handover]},
      {"replies_fallback", kinds[fallback]},  {"replies_missing", missing},    {"reply_duplicates", duplicates},
      {"replies_before_ack", before_ack},     {"reply_seq_errors", seq_errors}, {"replies_unparsed", unparsed},
      {"escalated_conversations", escalated}, {"feed_missing", feed_missing},
  };
  for (const auto& [key, n] : counts) r.add(key, n);
  char line[512];
  std::snprintf(line, sizeof(line),
                "  AI replies: %.0f/s; whole run %" PRIu64 " (answered %" PRIu64 ", hand-over %" PRIu64
                ", fallback %" PRIu64 ") for %" PRIu64 " stored messages: missing %" PRIu64 ", duplicates %" PRIu64
                ", before their ack %" PRIu64 ", seq errors %" PRIu64 ", unparsed %" PRIu64 "; %" PRIu64
                " conversations escalated; feed missing %" PRIu64 "\n",
                double(measured) / seconds, replies, kinds[answered], kinds[handover], kinds[fallback], stored, missing,
                duplicates, before_ack, seq_errors, unparsed, escalated, feed_missing);
  r.human += line;
  describe_latency(r, from_ack, "reply_latency_us", "ack -> AI reply");
  describe_latency(r, from_send, "send_reply_latency_us", "send -> AI reply");
}

}  // namespace ringcast::bench
