#pragma once
// The `builtin` AI backend, the default: answers from a knowledge base, with no network.
//
// For each message: the language (language.h; when the message alone does not tell, the
// customer's latest earlier messages are asked, then the language of the entry that matches the
// message best, then "en"), the intent (intent.h), then
//   - human_request: a short hand-over line, escalate = true;
//   - complaint: an apology and hand-over line (the caller escalates on the intent);
//   - only greetings or thanks: a short reply in kind;
//   - otherwise the best knowledge entry (knowledge_index.h, bm25.h): its answer, its intent when
//     it has one (else the detected one), and the match's confidence. With no matching entry,
//     a line asking for more detail at confidence 0.
// Canned lines are written in all five languages; `answer.language` is the customer's language,
// even when the entry that answered is in another one. generate() never fails.
//
// The knowledge base is an immutable snapshot held by a shared_ptr: replace() builds the new one
// off to the side and swaps the pointer in, and calls already running finish on the one they
// took. The pointer is guarded by a mutex held only to copy or swap it (tens of nanoseconds
// against microseconds per answer), not std::atomic<std::shared_ptr>: GCC 12's releases its
// lock bit with a relaxed store after reading, which ThreadSanitizer rightly reports as a race.
// Thread-safe: generate() and replace() may run on any threads at once.
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "broker/ai/backends/backend.h"
#include "broker/ai/backends/intent.h"
#include "broker/ai/backends/knowledge.h"
#include "broker/ai/backends/knowledge_index.h"

namespace ringcast::ai {

struct builtin_options {
  std::vector<std::string> human_request_phrases;  // --ai-human-words, added to the built-in ones
};

// Only the start of a long message is read: a question is in its first lines, and language and
// intent detection scan the text they get.
inline constexpr std::size_t max_analyzed_bytes = 8192;

class builtin_backend final : public backend {
 public:
  // Throws std::invalid_argument (at start-up) naming the first entry that fails check_entry(),
  // or a human-request phrase without a word.
  explicit builtin_backend(std::vector<knowledge_entry> entries, builtin_options options = {});

  // Empty when the new knowledge base is in use; otherwise the first bad entry (by its id), and
  // the old one stays.
  std::string replace(std::vector<knowledge_entry> entries);
  std::size_t entry_count() const;

  outcome generate(const request& r) override;
  const char* name() const noexcept override { return "builtin"; }

  // What generate() answers, without a request around it.
  answer respond(std::string_view message, std::span<const turn> history = {}) const;
  // The entry that matches the message best in any language (a copy: the knowledge base may be
  // replaced meanwhile), or none; for other backends' prompts.
  std::optional<knowledge_entry> best_entry(std::string_view message) const;

 private:
  std::shared_ptr<const knowledge_index> snapshot() const;

  intent_detector intents_;
  mutable std::mutex index_mutex_;
  std::shared_ptr<const knowledge_index> index_;  // guarded by index_mutex_
};

}  // namespace ringcast::ai
