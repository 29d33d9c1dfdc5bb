#pragma once
// Batched statements for what the inbox stores often and in bulk: read and delivered watermarks
// per (conversation, participant), the unread counts that derive from them, and presence. One
// statement carries a whole batch (array parameters, as sequenced_batch does), so a shard can
// flush what piled up in a loop iteration at once. SQL text and text parameters as in queries.h.
#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "persistence/queries.h"

namespace ringcast::persistence {

// ---- read and delivered watermarks ----

enum class watermark_kind : std::uint8_t {
  read,       // moves last_read_seq, and last_delivered_seq with it (read implies delivered)
  delivered,  // moves last_delivered_seq only
};

struct watermark_update {
  std::string conversation_id;  // a uuid (is_uuid)
  reader_type reader = reader_type::customer;
  std::string reader_id;
  std::int64_t seq = 0;
};

// Moves each watermark forward to its seq, never backwards and never past the conversation's
// last_seq. Several updates of one watermark in a batch count as their highest seq; updates of
// conversations that do not exist are ignored. Returns a row per watermark that actually moved.
query advance_watermarks(watermark_kind kind, std::span<const watermark_update> updates);

struct watermark_change {
  std::string conversation_id;
  reader_type reader = reader_type::customer;
  std::string reader_id;
  std::int64_t last_read_seq = 0;
  std::int64_t last_delivered_seq = 0;
};
// The watermarks that moved, in no particular order; nullopt when the result is not that shape.
std::optional<std::vector<watermark_change>> parse_watermark_changes(const PGresult* res);

// Every participant's watermarks in one conversation (what a join shows as read and delivered
// ticks), at most `limit` of them, in the shape parse_watermark_changes reads.
query conversation_watermarks(std::string_view conversation_id, int limit = 100);

// ---- unread counts across a reader's conversations ----

// Every conversation of the reader with unread messages (from others, above the read mark;
// for staff, "others" means anyone but this staff user), ordered by id. A customer's conversations
// are those whose customer is their sub; a staff user's are those assigned to them and those they
// have a watermark in. For chosen conversations, use unread_counts (queries.h).
query reader_unread(reader_type reader, std::string_view reader_id);

struct reader_unread_counts {
  std::int64_t total = 0;
  std::vector<unread_count> conversations;  // unread > 0 only
};
std::optional<reader_unread_counts> parse_reader_unread(const PGresult* res);

// ---- presence ----

enum class presence_status : std::uint8_t { online, away, offline };
std::string_view to_string(presence_status s) noexcept;
std::optional<presence_status> parse_presence_status(std::string_view s) noexcept;

struct presence_update {
  reader_type user = reader_type::customer;
  std::string user_id;
  presence_status status = presence_status::online;
  std::optional<std::int64_t> last_seen_us;  // nullopt: the transaction's time
};

// Upserts each user's status and last_seen; for a user listed more than once the last update
// wins, and last_seen never moves backwards. Returns every user's stored row.
query upsert_presence(std::span<const presence_update> updates);

// The stored presence of these users of one type, ordered by user id; users never seen are absent.
query presence_of(reader_type user, std::span<const std::string> user_ids);

struct presence_record {
  reader_type user = reader_type::customer;
  std::string user_id;
  presence_status status = presence_status::offline;
  std::int64_t last_seen_us = 0;
};
std::optional<std::vector<presence_record>> parse_presence(const PGresult* res);

}  // namespace ringcast::persistence
