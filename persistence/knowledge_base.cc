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

constexpr const char* all_sql =
    "SELECT id, question, answer, intent, array_to_string(keywords, E'\\x1f'), language FROM knowledge_entries"
    " ORDER BY id";

}  // namespace

query upsert_knowledge(std::span<const knowledge_row> rows) {
  array_literal questions, answers, intents, keywords, languages;
  for (const auto& r : rows) {
    questions.text(r.question);
    answers.text(r.answer);
    intents.text_or_null(r.intent);
    std::string joined;
    for (std::size_t i = 0; i < r.keywords.size(); ++i) {
      if (i) joined += '\x1f';
      joined += r.keywords[i];
    }
    keywords.text(joined);
    languages.text(r.language);
  }
  return {upsert_sql, {{questions.take(), answers.take(), intents.take(), keywords.take(), languages.take()}}};
}

query all_knowledge() { return {all_sql, {}}; }

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
