#pragma once
// What an AI backend is asked and what it answers. Backends run on the AI worker threads, never
// on an I/O shard; each call may block, but must return by the request's deadline.
#include <chrono>
#include <string>
#include <variant>
#include <vector>

namespace ringcast::ai {

using clock = std::chrono::steady_clock;

// One earlier message of the conversation, for context.
struct turn {
  std::string sender_type;  // "customer", "staff", "ai" or "system"
  std::string content;
};

struct request {
  std::string conversation_id;
  std::string content;        // the customer's message to answer
  std::vector<turn> history;  // the messages before it, oldest first (may be empty)
  clock::time_point deadline;  // return by then: a later answer is dropped
};

// Intents the builtin backend detects; other backends may name others.
namespace intents {
inline constexpr const char* greeting = "greeting";
inline constexpr const char* billing = "billing";
inline constexpr const char* account = "account";
inline constexpr const char* shipping = "shipping";
inline constexpr const char* technical = "technical";
inline constexpr const char* complaint = "complaint";
inline constexpr const char* human_request = "human_request";
inline constexpr const char* thanks = "thanks";
inline constexpr const char* unknown = "unknown";
}  // namespace intents

struct answer {
  std::string text;         // the reply to send (may be empty when escalate is set)
  double confidence = 0;    // in [0, 1]
  std::string intent;       // see intents
  std::string language;     // ISO 639-1 of the customer's message ("en", "es", "fr", "de", "pt", ...)
  bool escalate = false;    // the backend asks for a human
};

struct failure {
  std::string reason;      // for the log and ai_jobs.last_error
  bool retryable = true;   // false: another attempt cannot help (e.g. a 401 from the endpoint)
};

using outcome = std::variant<answer, failure>;

class backend {
 public:
  virtual ~backend() = default;
  // Called concurrently from up to --ai-concurrency worker threads.
  virtual outcome generate(const request& r) = 0;
  virtual const char* name() const noexcept = 0;
};

}  // namespace ringcast::ai
