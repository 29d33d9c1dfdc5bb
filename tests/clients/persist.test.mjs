// Durable writes end to end (the bench profile's `persist` event): a real PostgreSQL started by
// the test, the ringcast binary with 2 shards, socket.io-client load. Every ack must match exactly
// one committed row, seq must have no gap and no duplicate per conversation, acked messages must
// survive kill -9, and a database outage must neither lose, duplicate nor stall anything.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { closeClients, connect, isReference, serverKind, sleep, startServer, stopServer, withTimeout } from './harness.mjs';
import { startPostgres } from './postgres.mjs';
import pg from 'pg';

const ACK_TIMEOUT_MS = 30_000;
// Under load the test's own Node process answers pings late; heartbeats stay short enough to
// catch a shard that blocks for the length of a database outage.
const LOAD_HEARTBEAT = ['--ping-interval', '1000', '--ping-timeout', '1000'];

function persist(socket, body, attachments) {
  return socket.timeout(ACK_TIMEOUT_MS).emitWithAck('persist', body, ...(attachments ?? []));
}

// Sends `ids` with at most `window` acks outstanding; retries retryable errors with the same
// clientId (as a real client would); resolves with clientId -> ack.
async function persistAll(socket, conversationOf, ids, window = 64, onAck = () => {}) {
  const acks = new Map();
  let next = 0;
  async function worker() {
    while (next < ids.length) {
      const clientId = ids[next++];
      for (;;) {
        const ack = await persist(socket, { conversation: conversationOf(clientId), content: `body of ${clientId}`, clientId });
        if (ack.error?.retryable) {
          await sleep(50);
          continue;
        }
        acks.set(clientId, ack);
        onAck(clientId, ack);
        break;
      }
    }
  }
  await Promise.all(Array.from({ length: window }, worker));
  return acks;
}

function metric(text, name) {
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return line ? Number(line.slice(name.length + 1)) : undefined;
}

// Polls /metrics until `name` satisfies `pred` (a condition, not a fixed delay).
async function untilMetric(server, name, pred, ms = 20_000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = metric(await (await fetch(`${server.url}/metrics`)).text(), name);
    if (last !== undefined && pred(last)) return last;
    await sleep(10);
  }
  throw new Error(`${name} stayed at ${last}`);
}

// A transaction of its own holding the conversation's row lock: the writer's batches for it
// wait (uncommitted) until release().
async function holdConversation(db, key) {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query('BEGIN');
  const rows = (await client.query('SELECT id FROM conversations WHERE external_key = $1 FOR UPDATE', [key])).rows;
  assert.equal(rows.length, 1, `conversation ${key} does not exist yet`);
  return {
    async release() {
      await client.query('COMMIT');
      await client.end();
    },
  };
}

async function assertGapless(db) {
  const rows = await db.query(
    `SELECT c.external_key, count(*)::int AS n, count(DISTINCT m.seq)::int AS distinct_seqs,
            min(m.seq)::int AS lo, max(m.seq)::int AS hi, c.last_seq::int AS last_seq
       FROM messages m JOIN conversations c ON c.id = m.conversation_id GROUP BY c.id`);
  for (const r of rows) {
    assert.equal(r.distinct_seqs, r.n, `${r.external_key}: duplicate seq`);
    assert.equal(r.lo, 1, `${r.external_key}: seq does not start at 1`);
    assert.equal(r.hi, r.n, `${r.external_key}: gap in seq`);
    assert.equal(r.last_seq, r.n, `${r.external_key}: last_seq out of step`);
  }
  return rows;
}

async function assertAcksStored(db, acks) {
  const stored = new Map(
    (await db.query('SELECT client_message_id, id::text, seq::int FROM messages')).map((r) => [r.client_message_id, r]),
  );
  for (const [clientId, ack] of acks) {
    assert.ok(!ack.error, `${clientId}: ${JSON.stringify(ack.error)}`);
    const row = stored.get(clientId);
    assert.ok(row, `${clientId} was acked but is not in the database`);
    assert.equal(row.id, ack.id, `${clientId}: acked id differs from the stored one`);
    assert.equal(row.seq, ack.seq, `${clientId}: acked seq differs from the stored one`);
  }
  return stored;
}

describe(`persist against ${serverKind}`, { skip: isReference && 'the reference server has no database' }, () => {
  let db;
  before(async () => {
    db = await startPostgres();
  });
  after(() => {
    closeClients();
    db?.destroy();
  });

  test('bad input gets a clear error in the ack, nothing is written, the connection stays usable', async () => {
    const server = await startServer('bench', ['--database-url', db.url]);
    try {
      const s = await connect(server.url, { transports: ['websocket'], auth: { userId: 'bad-input' } });
      const cases = [
        [{ conversation: 'bad', content: 'x'.repeat(65 * 1024), clientId: 'big' }, 'too_large'],
        [{ conversation: 'bad', content: 42, clientId: 'num' }, 'invalid_argument'],
        [{ conversation: 'bad', clientId: 'missing-content' }, 'invalid_argument'],
        [{ content: 'no conversation', clientId: 'nc' }, 'invalid_argument'],
        [{ conversation: 'bad', content: 'no client id' }, 'invalid_argument'],
        ['not an object', 'invalid_argument'],
        [{ conversation: 'bad', content: 'a\u0000b', clientId: 'nul' }, 'invalid_argument'],
      ];
      for (const [body, code] of cases) {
        const ack = await persist(s, body);
        assert.equal(ack.error?.code, code, `for ${JSON.stringify(body).slice(0, 80)}`);
        assert.equal(ack.error.retryable, false);
      }
      // Invalid UTF-8 can only arrive as bytes: a binary attachment.
      const bytes = await persist(s, { conversation: 'bad', content: Buffer.from([0x66, 0xff, 0xfe]), clientId: 'utf8' });
      assert.equal(bytes.error?.code, 'invalid_argument');
      const ok = await persist(s, { conversation: 'bad', content: Buffer.from('fine ✓'), clientId: 'good' });
      assert.equal(ok.seq, 1);
      const rows = await db.query("SELECT client_message_id, content FROM messages WHERE sender_id = 'bad-input'");
      assert.deepEqual(rows, [{ client_message_id: 'good', content: 'fine ✓' }]);
    } finally {
      closeClients();
      await stopServer(server);
    }
  });

  test('a clientId reused in another conversation is a conflict; in the same conversation a duplicate', async () => {
    const server = await startServer('bench', ['--database-url', db.url]);
    try {
      const s = await connect(server.url, { transports: ['websocket'], auth: { userId: 'reuser' } });
      const first = await persist(s, { conversation: 'conflict-a', content: 'original', clientId: 'same-id' });
      assert.equal(first.seq, 1);
      const again = await persist(s, { conversation: 'conflict-a', content: 'original', clientId: 'same-id' });
      assert.equal(again.duplicate, true);
      assert.equal(again.id, first.id);
      const other = await persist(s, { conversation: 'conflict-b', content: 'new content', clientId: 'same-id' });
      assert.equal(other.error?.code, 'conflict', JSON.stringify(other));
      assert.equal(other.error.retryable, false);
      assert.equal(typeof other.error.message, 'string');
      assert.equal(other.id, undefined);
      // Nothing was stored for it, and conflict-b's numbering is untouched.
      const next = await persist(s, { conversation: 'conflict-b', content: 'later', clientId: 'other-id' });
      assert.equal(next.seq, 1);
      const rows = await db.query("SELECT content FROM messages WHERE sender_id = 'reuser' ORDER BY content");
      assert.deepEqual(rows.map((r) => r.content), ['later', 'original']);
      // Another sender may use the same clientId anywhere.
      const t = await connect(server.url, { transports: ['websocket'], auth: { userId: 'someone-else' } });
      assert.equal((await persist(t, { conversation: 'conflict-b', content: 'x', clientId: 'same-id' })).seq, 2);
      const text = await (await fetch(`${server.url}/metrics`)).text();
      assert.equal(metric(text, 'ringcast_db_conflicts_total'), 1);
    } finally {
      closeClients();
      await stopServer(server);
    }
  });

  test('/metrics shows the writer: batches, rows, backlog gauges, refusals by cause', async () => {
    // A backlog of 2,000 bytes: the third held 700-byte write is refused by bytes, not rows.
    const server = await startServer('bench', ['--database-url', db.url, '--db-backlog-bytes', '2000', ...LOAD_HEARTBEAT]);
    let held;
    try {
      const s = await connect(server.url, { transports: ['websocket'], auth: { userId: 'metered' } });
      assert.equal((await persist(s, { conversation: 'metered', content: 'first', clientId: 'm-0' })).seq, 1);
      let text = await (await fetch(`${server.url}/metrics`)).text();
      assert.ok(metric(text, 'ringcast_db_batches_total') >= 1);
      assert.equal(metric(text, 'ringcast_db_rows_total'), 1);
      assert.equal(metric(text, 'ringcast_db_backlog_rows'), 0);
      assert.equal(metric(text, 'ringcast_db_backlog_bytes'), 0);
      assert.equal(metric(text, 'ringcast_db_resent_batches_total'), 0);
      assert.equal(metric(text, 'ringcast_db_refused_total{cause="rows"}'), 0);
      assert.equal(metric(text, 'ringcast_db_refused_total{cause="bytes"}'), 0);

      held = await holdConversation(db, 'metered');
      const body = (id) => ({ conversation: 'metered', content: 'x'.repeat(700 - 'metered'.length - 'customer'.length - 'metered'.length - id.length), clientId: id });
      const pending = [persist(s, body('m-1')), persist(s, body('m-2'))];
      await untilMetric(server, 'ringcast_db_backlog_rows', (v) => v === 2);
      text = await (await fetch(`${server.url}/metrics`)).text();
      assert.equal(metric(text, 'ringcast_db_backlog_bytes'), 1400);
      const refused = await persist(s, body('m-3'));
      assert.equal(refused.error?.code, 'overloaded');
      assert.equal(refused.error.retryable, true);
      text = await (await fetch(`${server.url}/metrics`)).text();
      assert.equal(metric(text, 'ringcast_db_refused_total{cause="bytes"}'), 1);
      assert.equal(metric(text, 'ringcast_db_refused_total{cause="rows"}'), 0);
      await held.release();
      held = undefined;
      const acks = await Promise.all(pending);
      assert.deepEqual(acks.map((a) => a.seq), [2, 3]);
      await untilMetric(server, 'ringcast_db_backlog_rows', (v) => v === 0);
      text = await (await fetch(`${server.url}/metrics`)).text();
      assert.equal(metric(text, 'ringcast_db_backlog_bytes'), 0);
      assert.equal(metric(text, 'ringcast_db_rows_total'), 3);
    } finally {
      await held?.release();
      closeClients();
      await stopServer(server);
    }
  });

  test('SIGTERM drains the writer: every accepted write is committed, then the process exits 0', async () => {
    const server = await startServer('bench', ['--database-url', db.url, '--db-batch-max', '10', '--db-drain-timeout', '30000', ...LOAD_HEARTBEAT]);
    let held;
    try {
      const s = await connect(server.url, { transports: ['websocket'], auth: { userId: 'drainer' } });
      assert.equal((await persist(s, { conversation: 'drain-room', content: 'first', clientId: 'd-first' })).seq, 1);
      // Hold the writer's batches on the conversation's lock, so that many writes are accepted
      // and none committed when the stop comes.
      held = await holdConversation(db, 'drain-room');
      const n = 500;
      for (let i = 0; i < n; i++) persist(s, { conversation: 'drain-room', content: `drain ${i}`, clientId: `d-${i}` }).catch(() => {});
      await untilMetric(server, 'ringcast_db_backlog_rows', (v) => v === n);
      const closed = new Promise((resolve) => s.once('disconnect', resolve));
      process.kill(server.pid, 'SIGTERM');
      // The server closes the connections on SIGTERM; only then may the batches go through.
      await withTimeout(closed, 10_000, 'the server closing the connection on SIGTERM');
      await held.release();
      held = undefined;
      const { code, signal, killed } = await server.stop();
      assert.equal(killed, false, server.output());
      assert.equal(code, 0, `exit ${code} ${signal}\n${server.output()}`);
      const stored = await db.query("SELECT count(*)::int AS n FROM messages WHERE sender_id = 'drainer'");
      assert.equal(stored[0].n, n + 1, 'accepted writes were lost on SIGTERM');
      const order = await db.query(
        "SELECT m.client_message_id FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.external_key = 'drain-room' ORDER BY m.seq");
      assert.deepEqual(order.map((r) => r.client_message_id), ['d-first', ...Array.from({ length: n }, (_, i) => `d-${i}`)]);
      await assertGapless(db);
    } finally {
      await held?.release();
      closeClients();
      await stopServer(server);
    }
  });

  test('SIGTERM with the database held: the drain gives up after --db-drain-timeout and exits 0', async () => {
    const server = await startServer('bench', ['--database-url', db.url, '--db-drain-timeout', '300', ...LOAD_HEARTBEAT]);
    let held;
    try {
      const s = await connect(server.url, { transports: ['websocket'], auth: { userId: 'stuck' } });
      assert.equal((await persist(s, { conversation: 'stuck-room', content: 'first', clientId: 's-first' })).seq, 1);
      held = await holdConversation(db, 'stuck-room');
      for (let i = 0; i < 20; i++) persist(s, { conversation: 'stuck-room', content: `stuck ${i}`, clientId: `s-${i}` }).catch(() => {});
      await untilMetric(server, 'ringcast_db_backlog_rows', (v) => v === 20);
      const { code, killed } = await server.stop();
      assert.equal(killed, false);
      assert.equal(code, 0, server.output());
      assert.match(server.output(), /drain timeout: \d+ accepted writes not committed/);
    } finally {
      await held?.release();
      closeClients();
      await stopServer(server);
    }
  });

  test('readers: history by range and newest N, read marks and unread counts, the conversation list', async () => {
    const server = await startServer('bench', ['--database-url', db.url]);
    try {
      const alice = await connect(server.url, { transports: ['websocket'], auth: { userId: 'alice' } });
      const bob = await connect(server.url, { transports: ['websocket'], auth: { userId: 'bob' } });
      for (let i = 1; i <= 10; i++) {
        const ack = await persist(alice, { conversation: 'readers-room', content: `line ${i}`, clientId: `r-${i}` });
        assert.equal(ack.seq, i);
      }
      const ask = (s, event, body) => s.timeout(ACK_TIMEOUT_MS).emitWithAck(event, body);
      const newest = await ask(bob, 'history', { conversation: 'readers-room', newest: 3 });
      assert.deepEqual(newest.messages.map((m) => m.seq), [8, 9, 10]);
      assert.deepEqual(newest.messages.map((m) => m.content), ['line 8', 'line 9', 'line 10']);
      assert.equal(newest.messages[0].senderId, 'alice');
      assert.equal(newest.messages[0].clientId, 'r-8');
      const range = await ask(bob, 'history', { conversation: 'readers-room', from: 2, to: 4 });
      assert.deepEqual(range.messages.map((m) => m.seq), [2, 3, 4]);

      assert.deepEqual((await ask(bob, 'unread', { conversations: ['readers-room'] })).counts, { 'readers-room': 10 });
      assert.deepEqual(await ask(bob, 'markRead', { conversation: 'readers-room', seq: 7 }), { ok: true });
      assert.deepEqual((await ask(bob, 'unread', { conversations: ['readers-room'] })).counts, { 'readers-room': 3 });
      // Alice wrote everything: none of it is unread for her.
      assert.deepEqual((await ask(alice, 'unread', { conversations: ['readers-room'] })).counts, { 'readers-room': 0 });

      const list = await ask(bob, 'conversations', { status: 'open', limit: 500 });
      const mine = list.conversations.find((c) => c.key === 'readers-room');
      assert.deepEqual(mine, { key: 'readers-room', status: 'open', priority: 3, lastSeq: 10 });
      assert.equal((await ask(bob, 'history', { conversation: 'no-such-room', newest: 5 })).error?.code, 'not_found');
    } finally {
      closeClients();
      await stopServer(server);
    }
  });

  test('100,000 persists from 40 connections over 2 shards: one row per ack, no gap, no duplicate', async () => {
    const server = await startServer('bench', ['--database-url', db.url, ...LOAD_HEARTBEAT]);
    try {
      const clients = 40;
      const perClient = 2500;
      const sockets = await Promise.all(
        Array.from({ length: clients }, (_, i) => connect(server.url, { transports: ['websocket'], auth: { userId: `load-${i}` } })),
      );
      const all = new Map();
      await Promise.all(
        sockets.map(async (s, i) => {
          const ids = Array.from({ length: perClient }, (_, k) => `c${i}-m${k}`);
          // Clients share 25 conversations, so every conversation gets writes from many connections.
          const acks = await persistAll(s, (id) => `load-room-${Number(id.split('-m')[1]) % 25}`, ids, 32);
          for (const [k, v] of acks) all.set(k, v);
        }),
      );
      assert.equal(all.size, clients * perClient);
      assert.equal(new Set([...all.values()].map((a) => a.id)).size, all.size, 'two acks name the same row');
      const stored = await assertAcksStored(db, all);
      const mine = [...stored.keys()].filter((k) => /^c\d+-m\d+$/.test(k));
      assert.equal(mine.length, clients * perClient);
      const conversations = await assertGapless(db);
      assert.ok(conversations.filter((c) => c.external_key.startsWith('load-room-')).length === 25);
    } finally {
      closeClients();
      await stopServer(server);
    }
  });

  test('kill -9 during a load: every acked message is in the database after a restart', async () => {
    const extra = ['--database-url', db.url, ...LOAD_HEARTBEAT];
    let server = await startServer('bench', extra);
    const acked = new Map();
    const ids = Array.from({ length: 20_000 }, (_, k) => `k9-${k}`);
    const conversationOf = (id) => `k9-room-${Number(id.slice(3)) % 7}`;
    try {
      const s = await connect(server.url, { transports: ['websocket'], auth: { userId: 'kill9' } });
      const load = persistAll(s, conversationOf, ids, 64, (id, ack) => acked.set(id, ack)).catch(() => {});
      while (acked.size < 2000) await sleep(5);
      process.kill(server.pid, 'SIGKILL');
      await server.stop();
      await withTimeout(Promise.race([load, sleep(2000)]), 10_000, 'load after the kill');
      closeClients();
      assert.ok(acked.size >= 2000);
      await assertAcksStored(db, acked);

      // The client resends everything it has no ack for, with the same clientIds: nothing doubles.
      server = await startServer('bench', extra);
      const s2 = await connect(server.url, { transports: ['websocket'], auth: { userId: 'kill9' } });
      const rest = await persistAll(s2, conversationOf, ids.filter((id) => !acked.has(id)), 64);
      for (const [k, v] of rest) acked.set(k, v);
      // Re-sending an acked one answers with the original row.
      const again = await persist(s2, { conversation: conversationOf('k9-0'), content: 'body of k9-0', clientId: 'k9-0' });
      assert.equal(again.id, acked.get('k9-0').id);
      assert.equal(again.duplicate, true);
      await assertAcksStored(db, acked);
      await assertGapless(db);
    } finally {
      closeClients();
      await stopServer(server);
    }
  });

  test('PostgreSQL stopped for 3 s under load: nothing lost or doubled, retryable errors, heartbeats flow', async () => {
    // A small backlog, so the outage fills it and new sends are refused as retryable.
    const server = await startServer('bench', ['--database-url', db.url, '--db-backlog', '50', ...LOAD_HEARTBEAT]);
    let restarted = false;
    try {
      const idle = await connect(server.url, { transports: ['websocket'] });
      let idleDisconnected = false;
      idle.on('disconnect', () => {
        idleDisconnected = true;
      });
      const sockets = await Promise.all(
        Array.from({ length: 8 }, (_, i) => connect(server.url, { transports: ['websocket'], auth: { userId: `outage-${i}` } })),
      );
      let retryable = 0;
      const acked = new Map();
      const loads = sockets.map((s, i) => {
        const ids = Array.from({ length: 3000 }, (_, k) => `out-${i}-${k}`);
        return (async () => {
          let next = 0;
          const worker = async () => {
            while (next < ids.length) {
              const clientId = ids[next++];
              for (;;) {
                const ack = await persist(s, { conversation: `outage-room-${next % 5}`, content: clientId, clientId });
                if (ack.error?.retryable) {
                  retryable++;
                  await sleep(100);
                  continue;
                }
                assert.ok(!ack.error, JSON.stringify(ack.error));
                acked.set(clientId, ack);
                break;
              }
            }
          };
          await Promise.all(Array.from({ length: 16 }, worker));
        })();
      });
      while (acked.size < 1000) await sleep(5);
      db.stop();
      await sleep(3000);
      const ackedDuringOutage = acked.size;
      db.start();
      restarted = true;
      await withTimeout(Promise.all(loads), 60_000, 'load after the database came back');
      assert.ok(retryable > 0, 'the backlog never filled: no retryable error was seen');
      assert.ok(ackedDuringOutage < 8 * 3000, 'everything was acked before the outage: test too weak');
      assert.equal(acked.size, 8 * 3000);
      await assertAcksStored(db, acked);
      await assertGapless(db);
      assert.equal(idleDisconnected, false, 'an idle client lost its connection: a shard blocked on the database');
      assert.equal(idle.connected, true);
    } finally {
      if (!restarted) db.start();
      closeClients();
      await stopServer(server);
    }
  });
});
