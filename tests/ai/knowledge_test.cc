#include "broker/ai/backends/knowledge.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

namespace ringcast::ai {
namespace {

TEST(parse_knowledge, reads_entries_with_defaults_and_ids_in_file_order) {
  const auto kb = parse_knowledge(R"([
    {"question": "How do I reset my password?", "answer": "Use the link.", "intent": "account",
     "keywords": ["forgot password", "login"], "language": "en"},
    {"question": "¿Dónde está mi pedido?", "answer": "En Mi cuenta.", "language": "es"},
    {"question": "Opening hours?", "answer": "9 to 5."}
  ])");
  ASSERT_TRUE(kb.ok()) << kb.error;
  ASSERT_EQ(kb.entries.size(), 3u);
  const auto& a = kb.entries[0];
  EXPECT_EQ(a.id, 1);
  EXPECT_EQ(a.question, "How do I reset my password?");
  EXPECT_EQ(a.answer, "Use the link.");
  EXPECT_EQ(a.intent, "account");
  EXPECT_EQ(a.language, "en");
  EXPECT_EQ(a.keywords, (std::vector<std::string>{"forgot password", "login"}));
  EXPECT_EQ(kb.entries[1].id, 2);
  EXPECT_EQ(kb.entries[1].question, "¿Dónde está mi pedido?");
  EXPECT_EQ(kb.entries[1].language, "es");
  EXPECT_EQ(kb.entries[2].language, "en");
  EXPECT_TRUE(kb.entries[2].intent.empty());
  EXPECT_TRUE(kb.entries[2].keywords.empty());
}

TEST(parse_knowledge, an_empty_array_is_an_empty_knowledge_base) {
  const auto kb = parse_knowledge(" [ ] ");
  EXPECT_TRUE(kb.ok()) << kb.error;
  EXPECT_TRUE(kb.entries.empty());
}

struct error_case {
  std::string json;
  std::string error;
};

const std::string ok_fields = R"("question": "Q?", "answer": "A.")";

const error_case error_cases[] = {
    {"", "invalid JSON at line 1, column 1: incomplete JSON"},
    {"[\n  {\"question\": \"Q?\",\n   \"answer\": oops}]", "invalid JSON at line 3, column 14: syntax error"},
    {"[{" + ok_fields + "}] trailing", "invalid JSON at line 1, column 38: extra data"},
    {R"({"question": "Q?", "answer": "A."})", "the knowledge base must be an array of entries, not an object"},
    {"[{" + ok_fields + "}, 42]", "entry [1]: must be an object, not a number"},
    {R"([{"answer": "A."}])", "entry [0]: missing \"question\""},
    {R"([{"question": "Q?"}])", "entry [0]: missing \"answer\""},
    {R"([{"question": 7, "answer": "A."}])", "entry [0]: \"question\" must be a string, not a number"},
    {R"([{"question": "Q?", "answer": null}])", "entry [0]: \"answer\" must be a string, not null"},
    {R"([{"question": "  ", "answer": "A."}])", "entry [0]: \"question\" is empty"},
    {R"([{"question": "?!", "answer": "A."}])", "entry [0]: \"question\" has no word"},
    {R"([{"question": "Q?", "answer": ""}])", "entry [0]: \"answer\" is empty"},
    {"[{" + ok_fields + R"(, "anwser": "typo"}])",
     "entry [0]: unknown field \"anwser\" (fields: question, answer, intent, keywords, language)"},
    {"[{" + ok_fields + R"(, "keywords": "refund"}])",
     "entry [0]: \"keywords\" must be an array of strings, not a string"},
    {"[{" + ok_fields + R"(, "keywords": ["refund", 3]}])",
     "entry [0]: \"keywords\"[1] must be a string, not a number"},
    {"[{" + ok_fields + R"(, "keywords": ["refund", " "]}])", "entry [0]: \"keywords\"[1] is empty"},
    {"[{" + ok_fields + R"(, "language": "it"}])",
     "entry [0]: \"language\" must be one of \"en\", \"es\", \"fr\", \"de\", \"pt\", not \"it\""},
    {"[{" + ok_fields + R"(, "language": "EN"}])",
     "entry [0]: \"language\" must be one of \"en\", \"es\", \"fr\", \"de\", \"pt\", not \"EN\""},
    {"[{" + ok_fields + R"(, "language": ["en"]}])", "entry [0]: \"language\" must be a string, not an array"},
    {"[{" + ok_fields + R"(, "intent": "Billing Issue"}])",
     "entry [0]: \"intent\" must be a lowercase name like \"billing\" (a-z, 0-9, _; at most 32 characters), "
     "not \"Billing Issue\""},
    {"[{" + ok_fields + R"(, "intent": true}])", "entry [0]: \"intent\" must be a string, not a boolean"},
};

TEST(parse_knowledge, says_what_is_wrong_and_where) {
  for (const auto& c : error_cases) {
    const auto kb = parse_knowledge(c.json);
    EXPECT_EQ(kb.error, c.error) << c.json;
    EXPECT_TRUE(kb.entries.empty()) << c.json;
  }
}

TEST(parse_knowledge, caps_sizes_and_counts) {
  const auto one = [](const std::string& question, const std::string& answer, const std::string& extra = "") {
    return R"([{"question": ")" + question + R"(", "answer": ")" + answer + "\"" + extra + "}]";
  };
  std::string question;
  while (question.size() < max_question_bytes) question += "q ";
  EXPECT_TRUE(parse_knowledge(one(question, "A.")).ok());
  EXPECT_EQ(parse_knowledge(one(question + "q", "A.")).error, "entry [0]: \"question\" is longer than 1000 bytes");
  EXPECT_EQ(parse_knowledge(one("Q?", std::string(max_answer_bytes + 1, 'a'))).error,
            "entry [0]: \"answer\" is longer than 8000 bytes");
  std::string keywords = R"(, "keywords": [)";
  for (std::size_t i = 0; i <= max_keywords; ++i) keywords += std::string(i ? "," : "") + "\"k\"";
  EXPECT_EQ(parse_knowledge(one("Q?", "A.", keywords + "]")).error, "entry [0]: \"keywords\" has more than 32 entries");
  EXPECT_EQ(parse_knowledge(one("Q?", "A.", R"(, "keywords": [")" + std::string(101, 'k') + "\"]")).error,
            "entry [0]: \"keywords\"[0] is longer than 100 bytes");

  std::string many = "[";
  for (std::size_t i = 0; i <= max_knowledge_entries; ++i) many += std::string(i ? "," : "") + "{" + ok_fields + "}";
  EXPECT_EQ(parse_knowledge(many + "]").error, "the knowledge base has 10001 entries; at most 10000 are allowed");
  EXPECT_EQ(parse_knowledge(std::string(max_knowledge_file_bytes + 1, ' ')).error,
            "the knowledge base is larger than 16777216 bytes");
}

TEST(check_entry, applies_the_parser_rules_to_entries_from_elsewhere) {
  knowledge_entry e{7, "Where is my order?", "Under My account.", "shipping", "en", {"track"}};
  EXPECT_EQ(check_entry(e), "");
  e.language = "xx";
  EXPECT_EQ(check_entry(e), "\"language\" must be one of \"en\", \"es\", \"fr\", \"de\", \"pt\", not \"xx\"");
  e.language = "pt";
  e.keywords.push_back("");
  EXPECT_EQ(check_entry(e), "\"keywords\"[1] is empty");
}

TEST(load_knowledge_file, names_the_file_in_errors) {
  const auto missing = load_knowledge_file("/nonexistent/knowledge.json");
  EXPECT_EQ(missing.error, "/nonexistent/knowledge.json: No such file or directory");
}

TEST(load_knowledge_file, reads_the_sample_knowledge_base) {
  const auto kb = load_knowledge_file(RINGCAST_SOURCE_DIR "/deploy/knowledge.json");
  ASSERT_TRUE(kb.ok()) << kb.error;
  std::map<std::string, int> per_language;
  for (const auto& e : kb.entries) ++per_language[e.language];
  EXPECT_GE(per_language["en"], 25);
  for (const char* l : {"es", "fr", "de", "pt"}) EXPECT_GE(per_language[l], 10) << l;
  std::set<std::string> questions;
  for (const auto& e : kb.entries) EXPECT_TRUE(questions.insert(e.question).second) << "twice: " << e.question;
}

}  // namespace
}  // namespace ringcast::ai
