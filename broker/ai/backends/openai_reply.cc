#include "broker/ai/backends/openai_reply.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cmath>

namespace ringcast::ai::openai {

namespace {

constexpr std::string_view whitespace = " \t\r\n";

std::string_view trim(std::string_view s) noexcept {
  std::size_t first = s.find_first_not_of(whitespace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(whitespace) - first + 1);
}

// ```json\n{...}\n``` -> {...}; text without a fence is returned as it is (trimmed).
std::string_view strip_fence(std::string_view s) noexcept {
  s = trim(s);
  if (!s.starts_with("```")) return s;
  std::size_t line_end = s.find('\n');
  if (line_end == std::string_view::npos) return {};
  s.remove_prefix(line_end + 1);
  s = trim(s);
  if (s.ends_with("```")) s.remove_suffix(3);
  return trim(s);
}

failure malformed(std::string what) { return failure{"malformed answer: " + std::move(what), true}; }

}  // namespace

std::string excerpt(std::string_view text, std::size_t limit) {
  std::string out(text.substr(0, limit));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  if (text.size() > limit) out += "...";
  return out;
}

outcome parse_answer(std::string_view content) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(strip_fence(content), ec);
  if (ec) return malformed("not JSON (" + ec.message() + "): " + excerpt(content));
  const boost::json::object* o = v.if_object();
  if (o == nullptr) return malformed("not a JSON object: " + excerpt(content));

  answer a;
  const boost::json::value* text = o->if_contains("answer");
  if (text == nullptr || !text->is_string()) return malformed("\"answer\" is not a string");
  a.text = std::string(trim(text->get_string()));

  const boost::json::value* confidence = o->if_contains("confidence");
  if (confidence == nullptr || !confidence->is_number()) return malformed("\"confidence\" is not a number");
  double c = confidence->to_number<double>(ec);
  if (ec || std::isnan(c)) return malformed("\"confidence\" is not a number");
  a.confidence = std::clamp(c, 0.0, 1.0);

  a.intent = intents::unknown;
  if (const boost::json::value* intent = o->if_contains("intent"); intent != nullptr && !intent->is_null()) {
    if (!intent->is_string()) return malformed("\"intent\" is not a string");
    std::string name(trim(intent->get_string()));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char ch) { return char(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch); });
    if (!name.empty()) a.intent = std::move(name);
  }

  if (const boost::json::value* escalate = o->if_contains("escalate"); escalate != nullptr && !escalate->is_null()) {
    if (!escalate->is_bool()) return malformed("\"escalate\" is not a boolean");
    a.escalate = escalate->get_bool();
  }
  // An empty reply is only meaningful as a hand-over; sent to the customer it would say nothing.
  if (a.text.empty() && !a.escalate) return malformed("empty \"answer\" without escalate");
  return a;
}

outcome parse_response(std::string_view body) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec) return failure{"response is not JSON (" + ec.message() + "): " + excerpt(body), true};
  const boost::json::array* choices = nullptr;
  if (const boost::json::object* o = v.if_object()) {
    if (const boost::json::value* c = o->if_contains("choices")) choices = c->if_array();
  }
  if (choices == nullptr || choices->empty()) return failure{"response has no choices: " + excerpt(body), true};
  const boost::json::object* message = nullptr;
  if (const boost::json::object* choice = choices->front().if_object()) {
    if (const boost::json::value* m = choice->if_contains("message")) message = m->if_object();
  }
  if (message == nullptr) return failure{"response choice has no message: " + excerpt(body), true};
  const boost::json::value* content = message->if_contains("content");
  if (content == nullptr || !content->is_string()) {
    const boost::json::value* refusal = message->if_contains("refusal");
    if (refusal != nullptr && refusal->is_string()) {
      return failure{"the model refused: " + excerpt(refusal->get_string()), true};
    }
    return failure{"response message has no text content: " + excerpt(body), true};
  }
  return parse_answer(content->get_string());
}

bool status_retryable(long status) noexcept {
  return status >= 500 || status == 408 || status == 409 || status == 425 || status == 429;
}

outcome outcome_of_http(long status, std::string_view body) {
  if (status >= 200 && status < 300) return parse_response(body);
  return failure{"HTTP " + std::to_string(status) + ": " + excerpt(trim(body)), status_retryable(status)};
}

}  // namespace ringcast::ai::openai
