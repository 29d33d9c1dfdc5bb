#include "persistence/migrations.h"

#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ringcast::persistence {
namespace {

// Version 1: the inbox itself. Priority 1 is the most urgent, 5 the least (as in P1 incidents).
// Timestamps are timestamptz and default to the transaction time, so one group-commit batch shares
// one created_at.
constexpr const char* inbox_sql = R"sql(
CREATE TABLE customers (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  channel     text NOT NULL DEFAULT 'website'
              CHECK (channel IN ('website', 'whatsapp', 'instagram', 'email', 'sms')),
  external_id text,
  name        text,
  email       text,
  phone       text,
  metadata    jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  -- A WhatsApp number or an Instagram account is one customer per channel.
  UNIQUE (channel, external_id)
);

CREATE TABLE staff_users (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email        text NOT NULL UNIQUE,
  display_name text NOT NULL,
  role         text NOT NULL DEFAULT 'agent' CHECK (role IN ('agent', 'supervisor', 'admin')),
  active       boolean NOT NULL DEFAULT true,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE conversations (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- A name chosen by a client (the bench profile's "room-7"); NULL for inbox conversations.
  external_key      text UNIQUE,
  customer_id       uuid REFERENCES customers (id),
  assigned_staff_id uuid REFERENCES staff_users (id),
  channel           text NOT NULL DEFAULT 'website'
                    CHECK (channel IN ('website', 'whatsapp', 'instagram', 'email', 'sms')),
  status            text NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'pending', 'resolved', 'closed')),
  priority          smallint NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 5),
  requires_human    boolean NOT NULL DEFAULT false,
  ai_confidence     real,
  escalation_reason text,
  -- The highest committed message seq; the owner shard continues from it after a restart.
  last_seq          bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
-- The inbox list: conversations in a status, most urgent first, most recently active first.
CREATE INDEX conversations_by_status_priority
  ON conversations (status, priority, updated_at DESC);
CREATE INDEX conversations_by_customer ON conversations (customer_id);

CREATE TABLE messages (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  conversation_id    uuid NOT NULL REFERENCES conversations (id),
  -- Numbered from conversations.last_seq inside the storing transaction (sequenced_batch.cc).
  seq                bigint NOT NULL CHECK (seq > 0),
  sender_type        text NOT NULL CHECK (sender_type IN ('customer', 'staff', 'ai', 'system')),
  sender_id          text NOT NULL,
  content            text NOT NULL,
  -- The sender's id for this send; a retry carries the same one and gets the same row back.
  client_message_id  text,
  attachments        jsonb,
  confidence         real,
  processing_time_ms integer CHECK (processing_time_ms >= 0),
  intent             text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  -- Also the index for history by seq range, newest N and unread counts.
  CONSTRAINT messages_conversation_seq_key UNIQUE (conversation_id, seq),
  CONSTRAINT messages_sender_client_key UNIQUE (sender_type, sender_id, client_message_id)
);
)sql";

// Version 2: who has read, received and been seen.
constexpr const char* receipts_sql = R"sql(
CREATE TABLE read_receipts (
  conversation_id uuid NOT NULL REFERENCES conversations (id),
  reader_type     text NOT NULL CHECK (reader_type IN ('customer', 'staff')),
  reader_id       text NOT NULL,
  -- Everything up to and including this seq is read; unread = later messages by others.
  last_read_seq   bigint NOT NULL DEFAULT 0 CHECK (last_read_seq >= 0),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (conversation_id, reader_type, reader_id)
);
-- A reader's unread counts across all of their conversations.
CREATE INDEX read_receipts_by_reader ON read_receipts (reader_type, reader_id);

CREATE TABLE delivery_status (
  message_id          uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  recipient_type      text NOT NULL CHECK (recipient_type IN ('customer', 'staff')),
  recipient_id        text NOT NULL,
  status              text NOT NULL CHECK (status IN ('sent', 'delivered', 'read', 'failed')),
  -- The channel provider's id (a Twilio SID, a Cloud API wamid) its status webhooks refer to.
  provider_message_id text,
  error               text,
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (message_id, recipient_type, recipient_id)
);
CREATE INDEX delivery_status_by_provider_id
  ON delivery_status (provider_message_id) WHERE provider_message_id IS NOT NULL;

CREATE TABLE presence (
  user_type  text NOT NULL CHECK (user_type IN ('customer', 'staff')),
  user_id    text NOT NULL,
  status     text NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'away', 'offline')),
  last_seen  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_type, user_id)
);
)sql";

// Version 3: the AI auto-responder's queue and the metrics history.
constexpr const char* ai_jobs_sql = R"sql(
CREATE TABLE ai_jobs (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  conversation_id uuid NOT NULL REFERENCES conversations (id),
  message_id      uuid REFERENCES messages (id),
  status          text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
  priority        smallint NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 5),
  attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  started_at      timestamptz,
  completed_at    timestamptz,
  deadline_at     timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
-- The next job to run: most urgent, then oldest, among the pending ones only.
CREATE INDEX ai_jobs_pending ON ai_jobs (priority, created_at) WHERE status = 'pending';
CREATE INDEX ai_jobs_by_conversation ON ai_jobs (conversation_id);

CREATE TABLE metrics (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name        text NOT NULL,
  labels      jsonb NOT NULL DEFAULT '{}',
  value       double precision NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX metrics_by_name_time ON metrics (name, recorded_at);
)sql";

// Version 4: the inbox event API. Identities come from JWTs (sub, role): a staff user is found by
// the sub (created on first sight, nothing else known yet, so e-mail and name become optional), a
// customer by (channel website, external_id = sub). Conversations get a subject and the time of
// their last message; activity_at (the last message, else the creation) orders the inbox list and
// its keyset cursor. A delivered watermark sits next to the read one. Messages keep the sender's
// display name as it was when sent.
constexpr const char* inbox_api_sql = R"sql(
ALTER TABLE staff_users ADD COLUMN external_id text UNIQUE;
ALTER TABLE staff_users ALTER COLUMN email DROP NOT NULL;
ALTER TABLE staff_users ALTER COLUMN display_name DROP NOT NULL;

ALTER TABLE conversations ADD COLUMN subject text;
ALTER TABLE conversations ADD COLUMN last_message_at timestamptz;
ALTER TABLE conversations
  ADD COLUMN activity_at timestamptz GENERATED ALWAYS AS (coalesce(last_message_at, created_at)) STORED;
-- The inbox list and its cursor: (priority, activity_at DESC, id), for staff (all, or by status)
-- and for one customer.
CREATE INDEX conversations_inbox ON conversations (priority, activity_at DESC, id);
CREATE INDEX conversations_inbox_by_status ON conversations (status, priority, activity_at DESC, id);
CREATE INDEX conversations_inbox_by_customer
  ON conversations (customer_id, priority, activity_at DESC, id);
CREATE INDEX conversations_by_assigned_staff ON conversations (assigned_staff_id)
  WHERE assigned_staff_id IS NOT NULL;

ALTER TABLE messages ADD COLUMN sender_name text;

-- Everything up to and including this seq reached the participant's device. Never below
-- last_read_seq: a read message was delivered.
ALTER TABLE read_receipts
  ADD COLUMN last_delivered_seq bigint NOT NULL DEFAULT 0 CHECK (last_delivered_seq >= 0);
UPDATE read_receipts SET last_delivered_seq = last_read_seq;
ALTER TABLE read_receipts ADD CONSTRAINT read_receipts_delivered_covers_read
  CHECK (last_delivered_seq >= last_read_seq);
)sql";

// Version 5: the AI auto-responder at work. A job's outcome and response time (commit of the
// customer's message to the reply's commit); a conversation's escalation is requires_human plus
// escalation_reason (version 1). The knowledge base of the builtin backend, one entry per
// (language, question), so a file loaded at every start updates its entries in place.
constexpr const char* ai_sql = R"sql(
ALTER TABLE ai_jobs ADD COLUMN outcome text
  CHECK (outcome IN ('answered', 'escalated', 'fallback', 'failed', 'cancelled'));
ALTER TABLE ai_jobs ADD COLUMN response_ms integer CHECK (response_ms >= 0);
CREATE UNIQUE INDEX ai_jobs_by_message ON ai_jobs (message_id);
-- Taken up again at start: the jobs a crash left open.
CREATE INDEX ai_jobs_open ON ai_jobs (id) WHERE status IN ('pending', 'processing');
-- The background clean-up of finished jobs.
CREATE INDEX ai_jobs_finished ON ai_jobs (completed_at) WHERE status IN ('completed', 'failed');

CREATE TABLE knowledge_entries (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  question   text NOT NULL,
  answer     text NOT NULL,
  intent     text,
  keywords   text[] NOT NULL DEFAULT '{}',
  language   text NOT NULL DEFAULT 'en',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (language, question)
);
)sql";

// Version 6: room on each conversations page for HOT updates (the group commit updates a busy
// conversation's last_seq once per batch; see sequenced_batch.cc).
constexpr const char* hot_sql = R"sql(
ALTER TABLE conversations SET (fillfactor = 50);
)sql";

// Version 7: the outbox of replies to channel customers (WhatsApp, SMS, Instagram, e-mail). A
// staff or AI message in such a conversation gets its row in the transaction that stores it
// (sequenced_batch.cc); the delivery threads claim it (pending -> sending) before they call the
// provider, so no message goes out twice for one send, and record what happened (sent, or
// pending again with the next attempt's time, or failed with the reason). The provider's status
// callbacks move it forward only: sent -> delivered -> read.
constexpr const char* deliveries_sql = R"sql(
CREATE TABLE outbound_deliveries (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_id          uuid NOT NULL UNIQUE REFERENCES messages (id) ON DELETE CASCADE,
  conversation_id     uuid NOT NULL REFERENCES conversations (id),
  channel             text NOT NULL CHECK (channel IN ('whatsapp', 'instagram', 'email', 'sms')),
  status              text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'sending', 'sent', 'delivered', 'read', 'failed')),
  -- twilio | whatsapp | instagram | smtp: who took it, and whose ids provider_message_id holds.
  provider            text,
  provider_message_id text,
  attempts            integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at     timestamptz NOT NULL DEFAULT now(),
  error               text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  sent_at             timestamptz,
  updated_at          timestamptz NOT NULL DEFAULT now()
);
-- Status callbacks find their delivery by the provider's id.
CREATE UNIQUE INDEX outbound_deliveries_by_provider_id
  ON outbound_deliveries (provider, provider_message_id) WHERE provider_message_id IS NOT NULL;
-- Taken up again at start: the deliveries not finished.
CREATE INDEX outbound_deliveries_open ON outbound_deliveries (next_attempt_at)
  WHERE status IN ('pending', 'sending');
CREATE INDEX outbound_deliveries_by_conversation ON outbound_deliveries (conversation_id);
)sql";

constexpr migration all_migrations[] = {
    {1, "inbox: customers, staff users, conversations, messages", inbox_sql},
    {2, "read receipts, delivery status, presence", receipts_sql},
    {3, "ai jobs, metrics", ai_jobs_sql},
    {4, "inbox api: identities by JWT sub, subjects, activity, delivered watermarks", inbox_api_sql},
    {5, "ai: job outcomes, knowledge base", ai_sql},
    {6, "conversations: fillfactor 50 for HOT updates", hot_sql},
    {7, "outbound deliveries: the outbox of channel replies", deliveries_sql},
};

struct result_deleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

std::string server_message(PGconn* conn, const PGresult* res) {
  const char* m = res ? PQresultErrorMessage(res) : "";
  if (m == nullptr || *m == '\0') m = PQerrorMessage(conn);
  std::string s = m ? m : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

result_ptr exec(PGconn* conn, const std::string& sql, const std::string& what) {
  result_ptr res(PQexec(conn, sql.c_str()));
  auto status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    throw std::runtime_error(what + ": " + server_message(conn, res.get()));
  return res;
}

}  // namespace

std::span<const migration> migrations() noexcept { return all_migrations; }

int latest_schema_version() noexcept { return all_migrations[std::size(all_migrations) - 1].version; }

void apply_migrations(PGconn* conn) { apply_migrations(conn, latest_schema_version()); }

void apply_migrations(PGconn* conn, int up_to) {
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK)
    throw std::runtime_error("apply_migrations: not connected: " + server_message(conn, nullptr));
  exec(conn, "BEGIN", "apply_migrations: BEGIN");
  try {
    // Held until COMMIT or ROLLBACK, so it can never outlive a failed start-up.
    exec(conn, "SELECT pg_advisory_xact_lock(" + std::to_string(migration_lock_key) + ")",
         "apply_migrations: advisory lock");
    // Read after the lock: under READ COMMITTED each statement sees what a broker that held the
    // lock before us committed.
    // Checked rather than IF NOT EXISTS, which prints a NOTICE on every start.
    auto exists = exec(conn, "SELECT to_regclass('schema_migrations') IS NOT NULL",
                       "apply_migrations: schema_migrations");
    if (std::string_view(PQgetvalue(exists.get(), 0, 0)) != "t")
      exec(conn,
           "CREATE TABLE schema_migrations ("
           " version integer PRIMARY KEY,"
           " applied_at timestamptz NOT NULL DEFAULT now())",
           "apply_migrations: schema_migrations");
    auto applied_res = exec(conn, "SELECT version FROM schema_migrations", "apply_migrations");
    std::set<int> applied;
    for (int i = 0; i < PQntuples(applied_res.get()); ++i)
      applied.insert(std::stoi(PQgetvalue(applied_res.get(), i, 0)));
    for (const auto& m : all_migrations) {
      if (m.version > up_to || applied.count(m.version)) continue;
      std::string what = "migration " + std::to_string(m.version) + " (" + m.name + ")";
      exec(conn, m.sql, what);
      exec(conn, "INSERT INTO schema_migrations (version) VALUES (" + std::to_string(m.version) + ")",
           what);
    }
    exec(conn, "COMMIT", "apply_migrations: COMMIT");
  } catch (...) {
    // Best effort: on a broken connection the server rolls back by itself.
    PQclear(PQexec(conn, "ROLLBACK"));
    throw;
  }
}

int schema_version(PGconn* conn) {
  auto exists = exec(conn, "SELECT to_regclass('schema_migrations') IS NOT NULL", "schema_version");
  if (std::string_view(PQgetvalue(exists.get(), 0, 0)) != "t") return 0;
  auto res = exec(conn, "SELECT coalesce(max(version), 0) FROM schema_migrations", "schema_version");
  return std::stoi(PQgetvalue(res.get(), 0, 0));
}

}  // namespace ringcast::persistence
