// GET/POST /knowledge, PUT/DELETE /knowledge/{id}: the AI knowledge base (staff only).
//
// Shard 0 owns the knowledge base: every change runs there, in one transaction with a read of the
// whole table, and the builtin backend's index is replaced from that read on the AI's refresher
// thread (never on a shard). One connection runs the changes in order and the refresher keeps it,
// so the index always ends up as the table is, whichever shards the changes came from. The answer
// goes out once the new index is in use: from then on the AI answers from it.
#include <boost/json/serialize.hpp>
#include <charconv>

#include "broker/ai/knowledge_rows.h"
#include "broker/rest/routes.h"
#include "persistence/knowledge_base.h"
#include "reactor/log.h"

namespace ringcast::broker::rest {
namespace {

using inbox::error_code;
using inbox::op_result;

constexpr unsigned knowledge_owner = 0;

boost::json::object entry_json(const persistence::knowledge_row& k) {
  boost::json::array keywords;
  for (const auto& w : k.keywords) keywords.emplace_back(w);
  return {{"id", k.id},
          {"question", k.question},
          {"answer", k.answer},
          {"intent", k.intent ? boost::json::value(*k.intent) : nullptr},
          {"keywords", std::move(keywords)},
          {"language", k.language}};
}

// The body as an entry, with the checks of the --ai-knowledge file; empty `error` when good.
persistence::knowledge_row entry_of(const boost::json::object& body, std::string& error) {
  boost::json::object fields = body;
  fields.erase("id");  // the path names the entry; the database numbers new ones
  auto loaded = ringcast::ai::parse_knowledge(boost::json::serialize(boost::json::array{fields}));
  if (!loaded.ok() || loaded.entries.size() != 1) {
    error = loaded.ok() ? "one entry expected" : loaded.error;
    return {};
  }
  for (const auto& w : loaded.entries[0].keywords)
    if (w.find('\x1f') != std::string::npos) error = "keywords may not contain the byte 0x1f";
  return ai::to_row(std::move(loaded.entries[0]));
}

std::optional<std::int64_t> entry_id(const std::string& s) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 1) return std::nullopt;
  return v;
}

// On the owner: the change and the whole table in one transaction, then the live index (on the AI's
// refresher thread), then `reply` on shard `back`.
void change_on_owner(reactor::shard& o, inbox::inbox_shard& owner, ai::ai_service* ai, persistence::query change,
                     unsigned back, reactor::unique_function<void(op_result)> reply) {
  auto answer = [&o, back](reactor::unique_function<void(op_result)> reply, op_result res) {
    o.post_guaranteed(back, [reply = std::move(reply), res = std::move(res)](reactor::shard&) mutable {
      reply(std::move(res));
    });
  };
  persistence::pg_connection* pg = owner.database();
  if (!pg || !pg->ready())
    return answer(std::move(reply), op_result::fail(error_code::unavailable, "the database is not reachable; retry"));
  persistence::query all = persistence::all_knowledge();
  persistence::pg_unit unit;
  unit.transaction = true;
  unit.statements.push_back({change.sql, std::move(change.params.values)});
  unit.statements.push_back({all.sql, std::move(all.params.values)});
  unit.done = [ai, back, answer, reply = std::move(reply)](persistence::pg_outcome& out) mutable {
    using status = persistence::pg_outcome::status;
    if (out.state == status::failed && out.sqlstate == "23505")
      return answer(std::move(reply), op_result::fail(error_code::conflict, "an entry with this question and language exists"));
    if (out.state != status::ok || out.results.size() < 2)
      return answer(std::move(reply), op_result::fail(error_code::unavailable, "the knowledge base was not changed; retry"));
    auto changed = persistence::parse_knowledge(out.results[0].get());
    auto rows = persistence::parse_knowledge(out.results[1].get());
    if (!changed || !rows)
      return answer(std::move(reply), op_result::fail(error_code::unavailable, "the database answered unexpectedly"));
    if (changed->empty()) return answer(std::move(reply), op_result::fail(error_code::not_found, "no such knowledge entry"));
    op_result res = op_result::ok({{"entry", entry_json((*changed)[0])}});
    std::string error;
    auto entries = ai::to_entries(std::move(*rows), error);
    if (!error.empty() || !ai || !ai->refreshes_knowledge()) {
      if (!error.empty()) reactor::log(reactor::log_level::warn, "the AI knowledge base was not refreshed: %s", error.c_str());
      return answer(std::move(reply), std::move(res));
    }
    // Answered once the new index is in use: the AI answers from it from then on.
    ai->refresh_knowledge(std::move(entries), back,
                          [reply = std::move(reply), res = std::move(res)](std::string error) mutable {
                            if (!error.empty())
                              reactor::log(reactor::log_level::warn, "the AI knowledge base was not refreshed: %s",
                                           error.c_str());
                            reply(std::move(res));
                          });
  };
  pg->submit(std::move(unit));
}

void change(rest_context& ctx, rest_request& r, persistence::query q, int ok_status) {
  reactor::shard& here = ctx.ops.shard().shard();
  const unsigned back = here.id();
  const inbox::inbox_shards& peers = ctx.peers;
  here.post_guaranteed(knowledge_owner, [&peers, ai = ctx.ai, q = std::move(q), back, ok_status,
                                          out = std::move(r.out)](reactor::shard& o) mutable {
    change_on_owner(o, peers.on(o), ai, std::move(q), back,
                    [ok_status, out = std::move(out)](op_result res) mutable { out->result(std::move(res), ok_status); });
  });
}

}  // namespace

void list_knowledge(rest_context& ctx, rest_request& r) {
  ctx.ops.run(persistence::all_knowledge(), false, [out = r.out](op_result failed) { out->result(std::move(failed)); },
              [out = r.out](const PGresult* res, inbox::op_done) {
                auto rows = persistence::parse_knowledge(res);
                if (!rows) return out->error(503, "unavailable", "the database answered unexpectedly; retry");
                boost::json::array entries;
                for (const auto& k : *rows) entries.push_back(entry_json(k));
                out->json(200, boost::json::object{{"entries", std::move(entries)}});
              });
}

void create_knowledge(rest_context& ctx, rest_request& r) {
  std::string error;
  auto row = entry_of(r.body, error);
  if (!error.empty()) return r.out->error(400, "bad_request", error);
  change(ctx, r, persistence::insert_knowledge(row), 201);
}

void replace_knowledge(rest_context& ctx, rest_request& r) {
  auto id = entry_id(r.params[0]);
  if (!id) return r.out->error(400, "bad_request", "the entry id is a positive integer");
  std::string error;
  auto row = entry_of(r.body, error);
  if (!error.empty()) return r.out->error(400, "bad_request", error);
  row.id = *id;
  change(ctx, r, persistence::update_knowledge(row), 200);
}

void delete_knowledge(rest_context& ctx, rest_request& r) {
  auto id = entry_id(r.params[0]);
  if (!id) return r.out->error(400, "bad_request", "the entry id is a positive integer");
  change(ctx, r, persistence::delete_knowledge(*id), 200);
}

}  // namespace ringcast::broker::rest
