#include "broker/ai/backends/knowledge.h"

#include <boost/json/stream_parser.hpp>
#include <boost/json/value.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "broker/ai/backends/text.h"

namespace ringcast::ai {
namespace {

namespace json = boost::json;

std::string_view kind_name(json::kind k) noexcept {
  switch (k) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "a number";
    case json::kind::string: return "a string";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
  }
  return "something else";
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string wrong_type(std::string_view field, std::string_view want, const json::value& got) {
  return std::string(field) + " must be " + std::string(want) + ", not " + std::string(kind_name(got.kind()));
}

bool blank(std::string_view s) noexcept { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

// Line and column (from 1) of a byte offset, for JSON syntax errors.
std::string position(std::string_view text, std::size_t offset) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// A required or optional string field: its error, or empty with `out` set.
std::string read_string(const json::object& o, std::string_view field, std::string& out) {
  const json::value* v = o.if_contains(field);
  if (!v) return {};
  if (!v->is_string()) return wrong_type(quoted(field), "a string", *v);
  out.assign(v->get_string().data(), v->get_string().size());
  return {};
}

std::string read_keywords(const json::object& o, std::vector<std::string>& out) {
  const json::value* v = o.if_contains("keywords");
  if (!v) return {};
  if (!v->is_array()) return wrong_type("\"keywords\"", "an array of strings", *v);
  const auto& a = v->get_array();
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_string()) return wrong_type("\"keywords\"[" + std::to_string(i) + "]", "a string", a[i]);
    out.emplace_back(a[i].get_string().data(), a[i].get_string().size());
  }
  return {};
}

std::string read_entry(const json::value& v, knowledge_entry& e) {
  if (!v.is_object()) return "must be an object, not " + std::string(kind_name(v.kind()));
  const auto& o = v.get_object();
  for (const auto& field : o) {
    const std::string_view k = field.key();
    if (k != "question" && k != "answer" && k != "intent" && k != "keywords" && k != "language")
      return "unknown field " + quoted(k) + " (fields: question, answer, intent, keywords, language)";
  }
  for (const char* required : {"question", "answer"})
    if (!o.contains(required)) return "missing " + quoted(required);
  for (auto [field, out] : {std::pair{"question", &e.question}, std::pair{"answer", &e.answer},
                            std::pair{"intent", &e.intent}, std::pair{"language", &e.language}})
    if (auto err = read_string(o, field, *out); !err.empty()) return err;
  if (auto err = read_keywords(o, e.keywords); !err.empty()) return err;
  return check_entry(e);
}

}  // namespace

std::string check_entry(const knowledge_entry& e) {
  if (blank(e.question)) return "\"question\" is empty";
  if (e.question.size() > max_question_bytes)
    return "\"question\" is longer than " + std::to_string(max_question_bytes) + " bytes";
  if (tokenize(e.question).empty()) return "\"question\" has no word";
  if (blank(e.answer)) return "\"answer\" is empty";
  if (e.answer.size() > max_answer_bytes)
    return "\"answer\" is longer than " + std::to_string(max_answer_bytes) + " bytes";
  if (!e.intent.empty()) {
    const bool name_chars = e.intent.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
    if (!name_chars || e.intent.size() > max_intent_bytes)
      return "\"intent\" must be a lowercase name like \"billing\" (a-z, 0-9, _; at most " +
             std::to_string(max_intent_bytes) + " characters), not " + quoted(e.intent);
  }
  if (!lang_of_code(e.language))
    return "\"language\" must be one of \"en\", \"es\", \"fr\", \"de\", \"pt\", not " + quoted(e.language);
  if (e.keywords.size() > max_keywords)
    return "\"keywords\" has more than " + std::to_string(max_keywords) + " entries";
  for (std::size_t i = 0; i < e.keywords.size(); ++i) {
    const std::string where = "\"keywords\"[" + std::to_string(i) + "]";
    if (blank(e.keywords[i])) return where + " is empty";
    if (e.keywords[i].size() > max_keyword_bytes)
      return where + " is longer than " + std::to_string(max_keyword_bytes) + " bytes";
  }
  return {};
}

knowledge_load parse_knowledge(std::string_view text) {
  knowledge_load out;
  if (text.size() > max_knowledge_file_bytes) {
    out.error = "the knowledge base is larger than " + std::to_string(max_knowledge_file_bytes) + " bytes";
    return out;
  }
  json::stream_parser parser;
  boost::system::error_code ec;
  const std::size_t used = parser.write(text.data(), text.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    out.error = "invalid JSON at " + position(text, used) + ": " + ec.message();
    return out;
  }
  const json::value root = parser.release();
  if (!root.is_array()) {
    out.error = "the knowledge base must be an array of entries, not " + std::string(kind_name(root.kind()));
    return out;
  }
  const auto& entries = root.get_array();
  if (entries.size() > max_knowledge_entries) {
    out.error = "the knowledge base has " + std::to_string(entries.size()) + " entries; at most " +
                std::to_string(max_knowledge_entries) + " are allowed";
    return out;
  }
  out.entries.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    knowledge_entry e;
    e.id = static_cast<std::int64_t>(i + 1);
    if (auto err = read_entry(entries[i], e); !err.empty()) {
      out.entries.clear();
      out.error = "entry [" + std::to_string(i) + "]: " + err;
      return out;
    }
    out.entries.push_back(std::move(e));
  }
  return out;
}

knowledge_load load_knowledge_file(const std::string& path) {
  knowledge_load out;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    out.error = path + ": " + std::strerror(errno);
    return out;
  }
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_knowledge_file_bytes) {
      out.error = path + ": larger than " + std::to_string(max_knowledge_file_bytes) + " bytes";
      return out;
    }
  }
  out = parse_knowledge(text);
  if (!out.ok()) out.error = path + ": " + out.error;
  return out;
}

}  // namespace ringcast::ai
