// The openai backend over real HTTP against a scripted endpoint on 127.0.0.1: answers, statuses,
// and above all the deadline, which holds whatever the endpoint does (silence, a trickle, a huge
// body). Timing checks allow 100 ms past the deadline.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "broker/ai/backends/openai_backend.h"
#include "tests/ai/openai_test_server.h"
#include "tests/ai/openai_test_support.h"

namespace ringcast::ai::openai {
namespace {

using namespace std::chrono_literals;
using test::as_answer;
using test::as_failure;
using test::scenario;
using test::test_server;

constexpr auto slack = 100ms;

openai_config config_for(const test_server& server, std::string api_key = {}) {
  openai_config c;
  c.url = server.url();
  c.model = "test-model";
  c.api_key = std::move(api_key);
  return c;
}

request ask(std::string content, std::chrono::milliseconds budget = 5s) {
  return request{"conv-1", std::move(content), {{"customer", "Hi"}, {"ai", "Hello!"}}, clock::now() + budget};
}

// Runs generate and checks that it came back by the deadline (plus slack).
outcome generate_in_time(openai_backend& b, const request& r) {
  outcome o = b.generate(r);
  auto late = clock::now() - r.deadline;
  EXPECT_LE(late, slack) << "returned " << std::chrono::duration_cast<std::chrono::milliseconds>(late).count()
                         << " ms after the deadline";
  return o;
}

TEST(openai_backend, posts_the_prompt_and_parses_the_answer) {
  test_server server(scenario::answer);
  openai_config c = config_for(server);
  c.knowledge = [](const std::string& content) {
    return std::vector<knowledge_entry>{{"Q about " + content, "the entry's answer"}};
  };
  openai_backend backend(std::move(c));
  EXPECT_STREQ(backend.name(), "openai");

  answer a = as_answer(generate_in_time(backend, ask("Where is my order?")));
  EXPECT_EQ(a.text, "Hello!");
  EXPECT_DOUBLE_EQ(a.confidence, 0.9);
  EXPECT_EQ(a.intent, "greeting");
  EXPECT_FALSE(a.escalate);

  std::vector<test::received_request> requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const test::received_request& r = requests[0];
  EXPECT_EQ(r.request_line, std::string("POST ") + test_server::path + " HTTP/1.1");
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_FALSE(r.has_header("authorization"));
  EXPECT_FALSE(r.has_header("expect"));
  boost::json::object body = boost::json::parse(r.body).as_object();
  EXPECT_EQ(body.at("model").as_string(), "test-model");
  const boost::json::array& messages = body.at("messages").as_array();
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_NE(std::string(messages[0].at("content").as_string()).find("Q: Q about Where is my order?"),
            std::string::npos);
  EXPECT_EQ(messages[3].at("content").as_string(), "Where is my order?");
}

TEST(openai_backend, sends_the_key_as_a_bearer_token) {
  test_server server(scenario::answer);
  openai_backend backend(config_for(server, "sk-test-123"));
  as_answer(generate_in_time(backend, ask("hello")));
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].header("authorization"), "Bearer sk-test-123");
}

TEST(openai_backend, a_server_error_is_retryable) {
  test_server server(scenario::status_500);
  openai_backend backend(config_for(server));
  failure f = as_failure(generate_in_time(backend, ask("hello")));
  EXPECT_TRUE(f.retryable);
  EXPECT_EQ(f.reason.rfind("HTTP 500: ", 0), 0u) << f.reason;
  EXPECT_NE(f.reason.find("scripted failure"), std::string::npos) << f.reason;

  server.set_scenario(scenario::status_429);
  f = as_failure(generate_in_time(backend, ask("hello")));
  EXPECT_TRUE(f.retryable);
  EXPECT_EQ(f.reason.rfind("HTTP 429: ", 0), 0u) << f.reason;
}

TEST(openai_backend, a_rejected_key_is_not_retryable) {
  test_server server(scenario::status_401);
  openai_backend backend(config_for(server, "sk-wrong"));
  failure f = as_failure(generate_in_time(backend, ask("hello")));
  EXPECT_FALSE(f.retryable);
  EXPECT_EQ(f.reason.rfind("HTTP 401: ", 0), 0u) << f.reason;
  EXPECT_EQ(f.reason.find("sk-wrong"), std::string::npos) << "the key must not reach the logs";
}

TEST(openai_backend, a_malformed_body_is_retryable) {
  test_server server(scenario::bad_json);
  openai_backend backend(config_for(server));
  EXPECT_TRUE(as_failure(generate_in_time(backend, ask("hello"))).retryable);

  server.set_scenario(scenario::answer);
  server.set_answer([](const std::string&) { return "I think the answer is 42."; });
  failure f = as_failure(generate_in_time(backend, ask("hello")));
  EXPECT_TRUE(f.retryable);
  EXPECT_EQ(f.reason.rfind("malformed answer: ", 0), 0u) << f.reason;
}

TEST(openai_backend, a_silent_server_cannot_hold_the_call_past_the_deadline) {
  test_server server(scenario::hang);
  openai_backend backend(config_for(server));
  request r = ask("hello", 300ms);
  failure f = as_failure(generate_in_time(backend, r));
  EXPECT_TRUE(f.retryable);
  EXPECT_TRUE(server.wait_for_requests(1, 1s)) << "the request reached the server";
  EXPECT_GE(clock::now(), r.deadline - 20ms) << "gave up early: " << f.reason;
}

TEST(openai_backend, a_trickling_server_cannot_hold_the_call_past_the_deadline) {
  test_server server(scenario::trickle);
  openai_backend backend(config_for(server));
  failure f = as_failure(generate_in_time(backend, ask("hello", 300ms)));
  EXPECT_TRUE(f.retryable);
  EXPECT_NE(f.reason.find("deadline"), std::string::npos) << f.reason;
}

TEST(openai_backend, a_body_over_the_limit_is_cut_off) {
  for (scenario s : {scenario::huge_declared, scenario::huge_streamed}) {
    test_server server(s);
    openai_backend backend(config_for(server));
    failure f = as_failure(generate_in_time(backend, ask("hello")));
    EXPECT_TRUE(f.retryable);
    EXPECT_NE(f.reason.find("over 1048576 bytes"), std::string::npos) << f.reason;
  }
}

TEST(openai_backend, a_closed_port_is_a_retryable_connection_failure) {
  std::string url;
  {
    test_server server(scenario::answer);
    url = server.url();
  }  // closed: nothing listens on the port any more
  openai_config c;
  c.url = url;
  c.model = "m";
  openai_backend backend(std::move(c));
  EXPECT_TRUE(as_failure(generate_in_time(backend, ask("hello"))).retryable);
}

TEST(openai_backend, a_passed_deadline_sends_nothing) {
  test_server server(scenario::answer);
  openai_backend backend(config_for(server));
  request r = ask("hello");
  r.deadline = clock::now() - 1ms;
  EXPECT_TRUE(as_failure(backend.generate(r)).retryable);
  EXPECT_TRUE(server.requests().empty());
}

TEST(openai_backend, an_unusable_url_is_not_retryable) {
  openai_config c;
  c.url = "ftp://127.0.0.1/v1/chat/completions";
  c.model = "m";
  openai_backend backend(std::move(c));
  EXPECT_FALSE(as_failure(backend.generate(ask("hello"))).retryable);
}

TEST(openai_backend, a_thread_reuses_its_connection) {
  test_server server(scenario::answer);
  openai_backend backend(config_for(server));
  for (int i = 0; i < 5; ++i) as_answer(generate_in_time(backend, ask("hello")));
  EXPECT_EQ(server.requests().size(), 5u);
  EXPECT_EQ(server.connections(), 1u);
}

TEST(openai_backend, serves_concurrent_calls_from_several_threads) {
  test_server server(scenario::answer);
  // The answer repeats the customer's message, so that each thread can tell its own.
  server.set_answer([](const std::string& body) {
    boost::json::value request = boost::json::parse(body);
    std::string content(request.at("messages").as_array().back().at("content").as_string());
    return boost::json::serialize(boost::json::object{{"answer", "echo: " + content}, {"confidence", 0.5}});
  });
  openai_backend backend(config_for(server));
  constexpr int threads = 3, calls = 5;
  std::vector<std::vector<outcome>> results(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < calls; ++i) {
        results[t].push_back(backend.generate(ask("thread " + std::to_string(t) + " call " + std::to_string(i))));
      }
    });
  }
  for (auto& w : workers) w.join();
  for (int t = 0; t < threads; ++t) {
    ASSERT_EQ(results[t].size(), std::size_t(calls));
    for (int i = 0; i < calls; ++i) {
      EXPECT_EQ(as_answer(results[t][i]).text, "echo: thread " + std::to_string(t) + " call " + std::to_string(i));
    }
  }
  EXPECT_EQ(server.requests().size(), std::size_t(threads * calls));
}

TEST(openai_backend, a_throwing_knowledge_lookup_is_a_failure) {
  test_server server(scenario::answer);
  openai_config c = config_for(server);
  c.knowledge = [](const std::string&) -> std::vector<knowledge_entry> { throw std::runtime_error("index busy"); };
  openai_backend backend(std::move(c));
  failure f = as_failure(backend.generate(ask("hello")));
  EXPECT_TRUE(f.retryable);
  EXPECT_NE(f.reason.find("index busy"), std::string::npos) << f.reason;
}

}  // namespace
}  // namespace ringcast::ai::openai
