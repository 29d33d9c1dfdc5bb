// The chat-completions request body: model, response_format, temperature, and the messages in
// order (system prompt with the knowledge entries, the recent dialogue mapped to roles, the
// customer's message).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <string>
#include <vector>

#include "broker/ai/backends/openai_prompt.h"

namespace ringcast::ai::openai {
namespace {

namespace json = boost::json;

request with_history(std::vector<turn> history, std::string content = "Where is my order?") {
  return request{"conv-1", std::move(content), std::move(history), clock::now()};
}

json::array messages_of(const std::string& body) { return json::parse(body).as_object().at("messages").as_array(); }

std::vector<std::string> roles(const json::array& messages) {
  std::vector<std::string> out;
  for (const auto& m : messages) out.emplace_back(m.at("role").as_string());
  return out;
}

std::vector<std::string> contents(const json::array& messages) {
  std::vector<std::string> out;
  for (const auto& m : messages) out.emplace_back(m.at("content").as_string());
  return out;
}

TEST(openai_prompt, carries_model_json_response_format_and_a_low_temperature) {
  prompt_settings s{"gpt-test-mini", 10, 0.2};
  json::object body = json::parse(build_request_body(s, with_history({}), {})).as_object();
  EXPECT_EQ(body.at("model").as_string(), "gpt-test-mini");
  EXPECT_EQ(body.at("response_format").as_object().at("type").as_string(), "json_object");
  EXPECT_DOUBLE_EQ(body.at("temperature").to_number<double>(), 0.2);
  json::array messages = body.at("messages").as_array();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(roles(messages), (std::vector<std::string>{"system", "user"}));
  EXPECT_EQ(messages[1].at("content").as_string(), "Where is my order?");
}

TEST(openai_prompt, maps_history_to_roles_in_order_and_leaves_out_system_notices) {
  std::vector<turn> history = {
      {"customer", "Hi"},
      {"ai", "Hello! How can I help?"},
      {"system", "Conversation assigned to Dana"},
      {"staff", "Dana here, looking into it."},
      {"customer", ""},  // nothing to say: left out
      {"customer", "Thanks"},
  };
  json::array messages = messages_of(build_request_body({"m", 10, 0.2}, with_history(history), {}));
  EXPECT_EQ(roles(messages), (std::vector<std::string>{"system", "user", "assistant", "assistant", "user", "user"}));
  std::vector<std::string> c = contents(messages);
  EXPECT_EQ(std::vector<std::string>(c.begin() + 1, c.end()),
            (std::vector<std::string>{"Hi", "Hello! How can I help?", "Dana here, looking into it.", "Thanks",
                                      "Where is my order?"}));
}

TEST(openai_prompt, keeps_only_the_most_recent_turns) {
  std::vector<turn> history;
  for (int i = 0; i < 25; ++i) history.push_back({i % 2 == 0 ? "customer" : "ai", "turn " + std::to_string(i)});
  json::array messages = messages_of(build_request_body({"m", 4, 0.2}, with_history(history), {}));
  std::vector<std::string> c = contents(messages);
  ASSERT_EQ(c.size(), 6u);  // system, 4 turns, the message
  EXPECT_EQ(std::vector<std::string>(c.begin() + 1, c.end() - 1),
            (std::vector<std::string>{"turn 21", "turn 22", "turn 23", "turn 24"}));
  EXPECT_EQ(c.back(), "Where is my order?");
}

TEST(openai_prompt, system_prompt_lists_the_knowledge_entries_and_asks_for_the_json_answer) {
  std::vector<knowledge_entry> entries = {
      {"How long does shipping take?", "3 to 5 working days."},
      {"Can I pay by invoice?", "Yes, for business accounts."},
  };
  json::array messages = messages_of(build_request_body({"m", 10, 0.2}, with_history({}), entries));
  std::string system(messages[0].at("content").as_string());
  EXPECT_NE(system.find("1. Q: How long does shipping take?\n   A: 3 to 5 working days."), std::string::npos);
  EXPECT_NE(system.find("2. Q: Can I pay by invoice?\n   A: Yes, for business accounts."), std::string::npos);
  EXPECT_NE(system.find("ONLY with one JSON object"), std::string::npos);
  for (const char* field : {"\"answer\"", "\"confidence\"", "\"intent\"", "\"escalate\""}) {
    EXPECT_NE(system.find(field), std::string::npos) << field;
  }
  EXPECT_NE(system.find("language the customer writes in"), std::string::npos);
  EXPECT_NE(system_prompt({}).find("No knowledge-base entry"), std::string::npos);
}

TEST(openai_prompt, escapes_what_the_customer_writes) {
  std::string tricky = "He said \"hi\"\n\t\\ and left } ]";
  json::array messages = messages_of(build_request_body({"m", 10, 0.2}, with_history({}, tricky), {}));
  EXPECT_EQ(messages.back().at("content").as_string(), tricky);
}

TEST(openai_prompt, chat_roles) {
  EXPECT_STREQ(chat_role("customer"), "user");
  EXPECT_STREQ(chat_role("ai"), "assistant");
  EXPECT_STREQ(chat_role("staff"), "assistant");
  EXPECT_STREQ(chat_role("system"), "");
  EXPECT_STREQ(chat_role("robot"), "");
}

}  // namespace
}  // namespace ringcast::ai::openai
