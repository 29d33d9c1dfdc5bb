// The peer's PostgreSQL side: its own schema (so it never touches ringcast's tables in the same
// database), the statements the events run, and rows turned into the wire objects of
// docs/events.md. Every statement runs on its own through the pool, in autocommit.
import pg from "pg";

// seq and last_seq are bigint; a conversation never gets near 2^53 messages.
pg.types.setTypeParser(pg.types.builtins.INT8, Number);

const SCHEMA = `
CREATE SCHEMA IF NOT EXISTS node_inbox;
CREATE TABLE IF NOT EXISTS node_inbox.conversations (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  customer_id       text NOT NULL,
  channel           text NOT NULL DEFAULT 'website',
  subject           text,
  status            text NOT NULL DEFAULT 'open',
  priority          smallint NOT NULL DEFAULT 3,
  assigned_staff_id text,
  requires_human    boolean NOT NULL DEFAULT false,
  last_seq          bigint NOT NULL DEFAULT 0,
  last_message_at   timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS node_inbox.messages (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  conversation_id uuid NOT NULL REFERENCES node_inbox.conversations (id),
  seq             bigint NOT NULL,
  sender_type     text NOT NULL,
  sender_id       text NOT NULL,
  sender_name     text,
  content         text NOT NULL,
  client_id       text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (conversation_id, seq),
  UNIQUE (conversation_id, sender_id, client_id)
);`;

const MESSAGE_COLUMNS = "id, seq, sender_type, sender_id, sender_name, content, client_id, created_at";

// One round trip per send. A retry seen by `dup` stores nothing. Otherwise the UPDATE checks
// access (staff, or the conversation's customer), takes the conversation's row lock and numbers
// the message; the INSERT has no ON CONFLICT on purpose: if a concurrent retry with the same
// clientId committed first, the unique violation aborts the whole statement, the last_seq bump
// included, so seq keeps no gap (the caller then reads the original back).
const SEND = `
WITH dup AS (
  SELECT ${MESSAGE_COLUMNS} FROM node_inbox.messages
  WHERE conversation_id = $1 AND sender_id = $2 AND client_id = $3
), bump AS (
  UPDATE node_inbox.conversations SET last_seq = last_seq + 1, last_message_at = now()
  WHERE id = $1 AND ($4 = 'staff' OR customer_id = $2) AND NOT EXISTS (SELECT 1 FROM dup)
  RETURNING last_seq
), ins AS (
  INSERT INTO node_inbox.messages (conversation_id, seq, sender_type, sender_id, sender_name, content, client_id)
  SELECT $1, last_seq, $4, $2, $5, $6, $3 FROM bump
  RETURNING ${MESSAGE_COLUMNS}
)
SELECT ${MESSAGE_COLUMNS}, false AS duplicate FROM ins
UNION ALL
SELECT ${MESSAGE_COLUMNS}, true AS duplicate FROM dup`;

const iso = (t) => (t ? t.toISOString() : null);

export function conversationObject(row) {
  return {
    id: row.id,
    customerId: row.customer_id,
    channel: row.channel,
    status: row.status,
    priority: row.priority,
    assignedStaffId: row.assigned_staff_id,
    requiresHuman: row.requires_human,
    lastSeq: row.last_seq,
    lastMessageAt: iso(row.last_message_at),
    createdAt: iso(row.created_at),
    subject: row.subject,
  };
}

export function messageObject(row, conversationId) {
  const m = { id: row.id, conversationId, seq: row.seq, senderType: row.sender_type, senderId: row.sender_id };
  if (row.sender_name !== null) m.senderName = row.sender_name;
  m.content = row.content;
  m.clientId = row.client_id;
  m.createdAt = iso(row.created_at);
  return m;
}

export class Store {
  constructor(connectionString, max) {
    this.pool = new pg.Pool({ connectionString, max });
    // An idle client losing its connection must not take the process down; the next query
    // gets a fresh one.
    this.pool.on("error", (err) => console.error(`pg pool: ${err.message}`));
  }

  // Creates the schema; the advisory lock lets two peers start against one database at once.
  async migrate() {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock(hashtext('node_inbox'))");
      await client.query(SCHEMA);
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async createConversation(customerId, channel, subject) {
    const { rows } = await this.pool.query(
      "INSERT INTO node_inbox.conversations (customer_id, channel, subject) VALUES ($1, $2, $3) RETURNING *",
      [customerId, channel, subject],
    );
    return rows[0];
  }

  async conversation(id) {
    const { rows } = await this.pool.query("SELECT * FROM node_inbox.conversations WHERE id = $1", [id]);
    return rows[0] ?? null;
  }

  // Ascending seq: after sinceSeq (up to `limit`), or the newest `limit`.
  async messages(conversationId, sinceSeq, limit) {
    const { rows } =
      sinceSeq === undefined
        ? await this.pool.query(
            `SELECT * FROM (SELECT ${MESSAGE_COLUMNS} FROM node_inbox.messages WHERE conversation_id = $1
             ORDER BY seq DESC LIMIT $2) newest ORDER BY seq`,
            [conversationId, limit],
          )
        : await this.pool.query(
            `SELECT ${MESSAGE_COLUMNS} FROM node_inbox.messages WHERE conversation_id = $1 AND seq > $2
             ORDER BY seq LIMIT $3`,
            [conversationId, sinceSeq, limit],
          );
    return rows;
  }

  // The stored message with `duplicate`, or null when the sender may not write there (or the
  // conversation does not exist).
  async send(conversationId, user, content, clientId) {
    try {
      const { rows } = await this.pool.query(SEND, [conversationId, user.sub, clientId, user.role, user.name ?? null, content]);
      return rows[0] ?? null;
    } catch (err) {
      if (err.code !== "23505" || !err.constraint?.includes("client_id")) throw err;
      const { rows } = await this.pool.query(
        `SELECT ${MESSAGE_COLUMNS}, true AS duplicate FROM node_inbox.messages
         WHERE conversation_id = $1 AND sender_id = $2 AND client_id = $3`,
        [conversationId, user.sub, clientId],
      );
      if (!rows[0]) throw err;
      return rows[0];
    }
  }

  end() {
    return this.pool.end();
  }
}
