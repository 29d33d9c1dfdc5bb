#include "persistence/knowledge_base.h"

#include "persistence/array_literal.h"
#include "persistence/result_fields.h"

namespace ringcast::persistence {
namespace {

// Keywords travel as one text per entry joined by 0x1f, since unnest cannot take a ragged array.
constexpr const char* upsert_sql =
    "INSERT INTO knowledge_entries AS k (question, answer, intent, keywords, language)"
    " SELECT q, a, i, CASE WHEN kw = '' THEN '{}'::text[] ELSE string_to_array(kw, E'\\x1f') END, l"
    " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS t(q, a, i, kw, l)"
    " ON CONFLICT (language, question) DO UPDATE SET answer = EXCLUDED.answer, intent = EXCLUDED.intent,"
    "   keywords = EXCLUDED.keywords,"
    "   updated_at = CASE WHEN (k.answer, k.intent, k.keywords) IS DISTINCT FROM"
    "                          (EXCLUDED.answer, EXCLUDED.intent, EXCLUDED.keywords) THEN now() ELSE k.updated_at END";

#define RINGCAST_KNOWLEDGE_COLUMNS "id, question, answer, intent, array_to_string(keywords, E'\\x1f'), language"
#define RINGCAST_KEYWORDS_PARAM(n) "CASE WHEN $" n "::text = '' THEN '{}'::text[] ELSE string_to_array($" n "::text, E'\\x1f') END"

constexpr const char* all_sql = "SELECT " RINGCAST_KNOWLEDGE_COLUMNS " FROM knowledge_entries ORDER BY id";

constexpr const char* insert_sql =
    "INSERT INTO knowledge_entries (question, answer, intent, keywords, language)"
    " VALUES ($1::text, $2::text, $3::text, " RINGCAST_KEYWORDS_PARAM("4") ", $5::text)"
    " RETURNING " RINGCAST_KNOWLEDGE_COLUMNS;

constexpr const char* update_sql =
    "UPDATE knowledge_entries SET question = $2::text, answer = $3::text, intent = $4::text,"
    " keywords = " RINGCAST_KEYWORDS_PARAM("5") ", language = $6::text, updated_at = now()"
    " WHERE id = $1::bigint RETURNING " RINGCAST_KNOWLEDGE_COLUMNS;

constexpr const char* delete_sql = "DELETE FROM knowledge_entries WHERE id = $1::bigint RETURNING " RINGCAST_KNOWLEDGE_COLUMNS;

#undef RINGCAST_KEYWORDS_PARAM
#undef RINGCAST_KNOWLEDGE_COLUMNS

std::string joined_keywords(const knowledge_row& r) {
  std::string joined;
  for (std::size_t i = 0; i < r.keywords.size(); ++i) {
    if (i) joined += '\x1f';
    joined += r.keywords[i];
  }
  return joined;
}

}  // namespace

query upsert_knowledge(std::span<const knowledge_row> rows) {
  array_literal questions, answers, intents, keywords, languages;
  for (const auto& r : rows) {
    questions.text(r.question);
    answers.text(r.answer);
    intents.text_or_null(r.intent);
    keywords.text(joined_keywords(r));
    languages.text(r.language);
  }
  return {upsert_sql, {{questions.take(), answers.take(), intents.take(), keywords.take(), languages.take()}}};
}

query all_knowledge() { return {all_sql, {}}; }

query insert_knowledge(const knowledge_row& r) {
  return {insert_sql, {{r.question, r.answer, r.intent, joined_keywords(r), r.language}}};
}

query update_knowledge(const knowledge_row& r) {
  return {update_sql, {{std::to_string(r.id), r.question, r.answer, r.intent, joined_keywords(r), r.language}}};
}

query delete_knowledge(std::int64_t id) { return {delete_sql, {{std::to_string(id)}}}; }

std::optional<std::vector<knowledge_row>> parse_knowledge(const PGresult* res) {
  if (!fields::has_shape(res, 6)) return std::nullopt;
  std::vector<knowledge_row> out(static_cast<std::size_t>(PQntuples(res)));
  for (int i = 0; i < PQntuples(res); ++i) {
    auto& k = out[static_cast<std::size_t>(i)];
    std::string joined;
    if (!fields::get(res, i, 0, k.id) || !fields::get(res, i, 1, k.question) || !fields::get(res, i, 2, k.answer) ||
        !fields::get(res, i, 3, k.intent) || !fields::get(res, i, 4, joined) || !fields::get(res, i, 5, k.language))
      return std::nullopt;
    std::size_t from = 0;
    while (!joined.empty() && from <= joined.size()) {
      const auto to = joined.find('\x1f', from);
      k.keywords.push_back(joined.substr(from, to == std::string::npos ? std::string::npos : to - from));
      if (to == std::string::npos) break;
      from = to + 1;
    }
  }
  return out;
}

}  // namespace ringcast::persistence
