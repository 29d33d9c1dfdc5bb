// The inbox's durable messages when things break: the ringcast binary (inbox profile, 2 shards)
// killed with SIGKILL under a message:send load and restarted on the same PostgreSQL, and the
// PostgreSQL itself stopped while a customer and a staff member are connected. Acks mean
// committed: every acked message is stored once with the acked id and seq, seq has no gap, and a
// resend with the same clientId never stores a second row.
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { closeClients, connect, isReference, serverKind, sleep, startServer, stopServer, test, withTimeout } from './harness.mjs';
import { ringcastToken } from './jwt.mjs';
import { startPostgres } from './postgres.mjs';

const SECRET = 'inbox-durability-secret';
const WS = { transports: ['websocket'] };
const ACK_TIMEOUT_MS = 30_000;
// Under load this Node process answers pings late; long enough not to drop a busy client.
const HEARTBEAT = ['--ping-interval', '5000', '--ping-timeout', '5000'];

const call = (socket, event, payload, ms = ACK_TIMEOUT_MS) => socket.timeout(ms).emitWithAck(event, payload);
// A send retried while it is refused as retryable (docs/events.md: retry an `unavailable` send with
// the same clientId): right after a restart a shard may not have reached PostgreSQL yet, and a
// resend whose original must be read back is then refused.
async function sendRetrying(socket, payload, tries = 100) {
  for (let i = 1; ; i++) {
    const ack = await call(socket, 'message:send', payload);
    if (!ack.error?.retryable || i === tries) return ack;
    await sleep(50);
  }
}

async function until(what, check, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function metric(text, name) {
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return line ? Number(line.slice(name.length + 1)) : undefined;
}

async function metricOf(server, name) {
  return metric(await (await fetch(`${server.url}/metrics`)).text(), name);
}

// Every stored message of these conversations: clientId -> row, and per conversation the seqs,
// checked to be 1..n with no gap and no duplicate, and last_seq in step.
async function storedMessages(db, conversationIds) {
  const rows = await db.query(
    `SELECT m.conversation_id::text AS conversation, m.id::text AS id, m.seq::int AS seq, m.sender_id,
            m.client_message_id AS client_id, m.content
       FROM messages m WHERE m.conversation_id = ANY($1::uuid[]) ORDER BY m.conversation_id, m.seq`,
    [conversationIds],
  );
  const byClient = new Map();
  for (const r of rows) {
    const key = `${r.sender_id}/${r.client_id}`;
    assert.ok(!byClient.has(key), `${key} is stored twice`);
    byClient.set(key, r);
  }
  const lastSeq = new Map(
    (await db.query('SELECT id::text, last_seq::int FROM conversations WHERE id = ANY($1::uuid[])', [conversationIds])).map((r) => [
      r.id,
      r.last_seq,
    ]),
  );
  for (const c of conversationIds) {
    const seqs = rows.filter((r) => r.conversation === c).map((r) => r.seq);
    assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1), `${c}: seq has a gap or a duplicate`);
    assert.equal(lastSeq.get(c), seqs.length, `${c}: last_seq out of step with the stored messages`);
  }
  return byClient;
}

function assertAckStored(byClient, sender, clientId, ack, conversationId) {
  assert.ok(!ack.error, `${sender}/${clientId}: ${JSON.stringify(ack.error)}`);
  const row = byClient.get(`${sender}/${clientId}`);
  assert.ok(row, `${sender}/${clientId} was acked (seq ${ack.seq}) but is not in the database`);
  assert.equal(row.id, ack.id, `${sender}/${clientId}: acked id differs from the stored one`);
  assert.equal(row.seq, ack.seq, `${sender}/${clientId}: acked seq differs from the stored one`);
  assert.equal(row.conversation, conversationId, `${sender}/${clientId}: stored in another conversation`);
  assert.equal(row.content, `body of ${clientId}`);
}

describe(`inbox durability against ${serverKind}`, { skip: isReference && 'the inbox profile is ringcast-only' }, () => {
  let db;
  before(async () => {
    db = await startPostgres();
  });
  after(() => {
    closeClients();
    db?.destroy();
  });

  const serverFlags = (extra = []) => ['--ai-backend', 'off', '--jwt-secret', SECRET, '--database-url', db.url, ...HEARTBEAT, ...extra];
  const tokens = new Map();
  const tokenOf = (sub, role) => {
    const key = `${role}/${sub}`;
    if (!tokens.has(key)) tokens.set(key, ringcastToken(SECRET, sub, role));
    return tokens.get(key);
  };
  const as = (server, sub, role) => connect(server.url, { ...WS, auth: { token: tokenOf(sub, role) } });

  test('kill -9 under a message:send load: every acked message is stored once, seq has no gap, resends double nothing', { timeout: 120_000 }, async (t) => {
    let server = await startServer('inbox', serverFlags());
    let killed = false;  // between the kill and the restart: nothing to stop cleanly
    try {
      // Three customers with one conversation each, two tabs (sockets) per customer.
      const customers = ['k9-ann', 'k9-ben', 'k9-cid'];
      const conversationOf = new Map();
      for (const sub of customers) {
        const s = await as(server, sub, 'customer');
        const created = await call(s, 'conversation:create', { subject: `kill -9 ${sub}` });
        assert.ok(!created.error, JSON.stringify(created.error));
        conversationOf.set(sub, created.conversation.id);
        s.disconnect();
      }
      const senders = [];
      for (const sub of customers)
        for (const tab of ['t0', 't1']) senders.push({ sub, tab, ids: Array.from({ length: 4000 }, (_, k) => `${tab}-${k}`) });

      // Per sender: sent clientIds and acks (clientId -> ack).
      const sent = new Map(senders.map((x) => [x, new Set()]));
      const acked = new Map(senders.map((x) => [x, new Map()]));
      let ackedTotal = 0;
      const sockets = await Promise.all(senders.map((x) => as(server, x.sub, 'customer')));
      for (const [i, x] of senders.entries()) {
        const joined = await call(sockets[i], 'conversation:join', { conversationId: conversationOf.get(x.sub) });
        assert.ok(!joined.error, JSON.stringify(joined.error));
      }
      // Each socket keeps 16 sends outstanding, a new one as soon as an ack comes back; a send
      // that fails (the broker died) ends that worker.
      const loads = senders.map((x, i) => {
        let next = 0;
        const worker = async () => {
          while (next < x.ids.length) {
            const clientId = x.ids[next++];
            sent.get(x).add(clientId);
            let ack;
            try {
              ack = await call(sockets[i], 'message:send', { conversationId: conversationOf.get(x.sub), content: `body of ${clientId}`, clientId });
            } catch {
              return;
            }
            if (ack.error) {
              assert.equal(ack.error.retryable, true, JSON.stringify(ack.error));
              continue; // refused, so not stored: resent after the restart like any unacked one
            }
            assert.equal(ack.duplicate, false);
            acked.get(x).set(clientId, ack);
            ackedTotal++;
          }
        };
        return Promise.all(Array.from({ length: 16 }, worker));
      });
      await until('3,000 acks before the kill', () => ackedTotal >= 3000, 60_000);
      process.kill(server.pid, 'SIGKILL');
      killed = true;
      const { signal } = await server.stop();
      assert.equal(signal, 'SIGKILL');
      // socket.io-client fails the outstanding acks when the connection goes: the loads end.
      await withTimeout(Promise.all(loads), 15_000, 'the load ending after the kill');
      // The killed broker's PostgreSQL sessions may still be finishing a batch it had sent whole
      // (its COMMIT included): that batch commits after the kill. Read the tables once they are gone.
      const sessions = 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()' +
        " AND backend_type = 'client backend' AND pid <> pg_backend_pid()";
      await until("the killed broker's database sessions to end", async () => (await db.query(sessions))[0].n === 0);
      closeClients();
      const totalSent = [...sent.values()].reduce((n, s) => n + s.size, 0);
      assert.ok(ackedTotal < totalSent, 'everything sent was acked before the kill: the kill came too late to test anything');

      const conversations = [...conversationOf.values()];
      let stored = await storedMessages(db, conversations);
      for (const x of senders)
        for (const [clientId, ack] of acked.get(x)) assertAckStored(stored, x.sub, clientId, ack, conversationOf.get(x.sub));
      // Nothing stored that was never sent.
      for (const key of stored.keys()) {
        const [sub, clientId] = key.split('/');
        assert.ok(senders.some((x) => x.sub === sub && sent.get(x).has(clientId)), `${key} is stored but was never sent`);
      }

      // Restart on the same database; each tab resends what it has no ack for, with the same clientIds.
      server = await startServer('inbox', serverFlags());
      killed = false;
      const again = await Promise.all(senders.map((x) => as(server, x.sub, 'customer')));
      let duplicates = 0;
      await Promise.all(
        senders.map(async (x, i) => {
          const missing = [...sent.get(x)].filter((id) => !acked.get(x).has(id));
          for (const clientId of missing) {
            const ack = await sendRetrying(again[i], { conversationId: conversationOf.get(x.sub), content: `body of ${clientId}`, clientId });
            assert.ok(!ack.error, `${x.sub}/${clientId}: ${JSON.stringify(ack.error)}`);
            // Stored before the kill but never acked: the original comes back.
            if (ack.duplicate) {
              duplicates++;
              assert.equal(ack.id, stored.get(`${x.sub}/${clientId}`)?.id, `${x.sub}/${clientId}: a duplicate names another row`);
              assert.equal(ack.content, `body of ${clientId}`);
            } else {
              assert.ok(!stored.has(`${x.sub}/${clientId}`), `${x.sub}/${clientId} was stored before the kill yet not found as a duplicate`);
            }
            acked.get(x).set(clientId, ack);
          }
          // Resending some that were acked before the kill answers with the original row.
          for (const clientId of [...acked.get(x).keys()].slice(0, 5)) {
            const original = acked.get(x).get(clientId);
            const ack = await sendRetrying(again[i], { conversationId: conversationOf.get(x.sub), content: 'a retry', clientId });
            assert.equal(ack.duplicate, true, `${x.sub}/${clientId}: ${JSON.stringify(ack)}`);
            assert.equal(ack.id, original.id);
            assert.equal(ack.seq, original.seq);
            assert.equal(ack.content, `body of ${clientId}`);
          }
        }),
      );
      const storedBeforeRestart = stored.size;
      stored = await storedMessages(db, conversations);
      assert.equal(stored.size, totalSent, 'every sent clientId is stored exactly once after the resends');
      t.diagnostic(`${ackedTotal} acked before the kill, ${storedBeforeRestart} stored, ${totalSent} sent; ${duplicates} resends found stored`);
      for (const x of senders)
        for (const [clientId, ack] of acked.get(x)) assertAckStored(stored, x.sub, clientId, ack, conversationOf.get(x.sub));
      // The history the broker serves agrees with the table after the restart.
      const reader = await as(server, customers[0], 'customer');
      const page = await call(reader, 'message:history', { conversationId: conversationOf.get(customers[0]), limit: 5 });
      const n = [...stored.values()].filter((r) => r.conversation === conversationOf.get(customers[0])).length;
      assert.deepEqual(page.messages.map((m) => m.seq), [n - 4, n - 3, n - 2, n - 1, n]);
    } finally {
      closeClients();
      // A failure between the kill and the restart must not be hidden by the killed server's exit.
      if (killed) await server.stop();
      else await stopServer(server);
    }
  });

  test('PostgreSQL away: typing goes on, sends wait in the bounded backlog and are acked only after the commit, reads fail fast', { timeout: 90_000 }, async () => {
    const BACKLOG = 8;
    const server = await startServer('inbox', serverFlags(['--db-backlog', String(BACKLOG)]));
    let restarted = true;
    try {
      const customer = await as(server, 'pg-cus', 'customer');
      const staff = await as(server, 'pg-agent', 'staff');
      const created = await call(customer, 'conversation:create', { subject: 'outage', content: 'body of o-0', clientId: 'o-0' });
      assert.ok(!created.error, JSON.stringify(created.error));
      const conversationId = created.conversation.id;
      const joined = await call(staff, 'conversation:join', { conversationId });
      assert.deepEqual(joined.messages.map((m) => m.seq), [1]);
      const staffMessages = [];
      staff.on('message:new', (m) => staffMessages.push(m.seq));
      const staffTyping = [];
      staff.on('typing', (e) => staffTyping.push(e));
      const customerTyping = [];
      customer.on('typing', (e) => customerTyping.push(e));
      const disconnects = [];
      for (const s of [customer, staff]) s.on('disconnect', (reason) => disconnects.push(reason));

      db.stop();
      restarted = false;
      let down = true;
      // The broker learns of the outage when its connections drop: reads (and receipts) then fail
      // with unavailable.
      for (const s of [customer, staff])
        await until('reads failing with unavailable', async () => (await call(s, 'message:history', { conversationId }, 10_000)).error?.code === 'unavailable');
      for (const s of [customer, staff]) {
        for (const [event, payload] of [
          ['message:history', { conversationId }],
          ['conversation:list', {}],
          ['unread:get', {}],
          ['message:read', { conversationId, seq: 1 }],
          ['message:delivered', { conversationId, seq: 1 }],
        ]) {
          const started = Date.now();
          const ack = await call(s, event, payload, 10_000);
          assert.equal(ack.error?.code, 'unavailable', `${event}: ${JSON.stringify(ack)}`);
          assert.equal(ack.error.retryable, true);
          assert.ok(Date.now() - started < 1000, `${event} took ${Date.now() - started} ms to fail with the database away`);
        }
      }

      // Live features go on.
      assert.deepEqual(await call(customer, 'typing:start', { conversationId }), {});
      await until('the staff seeing the customer type', () => staffTyping.some((e) => e.userId === 'pg-cus' && e.isTyping));
      assert.deepEqual(await call(staff, 'typing:start', { conversationId }), {});
      await until('the customer seeing the staff type', () => customerTyping.some((e) => e.userId === 'pg-agent' && e.isTyping));

      // Sends are accepted into the writer's backlog and not acked while nothing can commit.
      const acks = new Map();
      const ackedWhileDown = [];
      const pending = Array.from({ length: BACKLOG }, (_, i) => {
        const clientId = `o-${i + 1}`;
        return call(customer, 'message:send', { conversationId, content: `body of ${clientId}`, clientId }, 60_000).then(async (ack) => {
          if (down) ackedWhileDown.push(clientId);
          acks.set(clientId, ack);
          // An ack means committed: the row is visible to any new transaction by now.
          if (!ack.error) {
            const rows = await db.query('SELECT seq::int FROM messages WHERE id = $1', [ack.id]);
            assert.deepEqual(rows, [{ seq: ack.seq }], `${clientId} acked before its row was committed`);
          }
          return ack;
        });
      });
      await until(`${BACKLOG} sends held in the backlog`, async () => (await metricOf(server, 'ringcast_db_backlog_rows')) === BACKLOG);
      const refused = await call(customer, 'message:send', { conversationId, content: 'body of o-9', clientId: 'o-9' }, 10_000);
      assert.equal(refused.error?.code, 'unavailable', JSON.stringify(refused));
      assert.equal(refused.error.retryable, true);
      assert.deepEqual(ackedWhileDown, [], 'messages were acked while the database was away');
      assert.deepEqual(staffMessages, [], 'message:new went out for messages not committed');
      assert.deepEqual(disconnects, [], 'a socket lost its connection during the outage');

      db.start();
      down = false;
      restarted = true;
      const results = await withTimeout(Promise.all(pending), 60_000, 'acks after PostgreSQL came back');
      for (const [i, ack] of results.entries()) {
        assert.ok(!ack.error, `o-${i + 1}: ${JSON.stringify(ack.error)}`);
        assert.equal(ack.duplicate, false);
        // One socket's sends to one conversation are numbered in the order sent.
        assert.equal(ack.seq, i + 2, `o-${i + 1}`);
      }
      await until('the staff receiving the held messages', () => staffMessages.length === BACKLOG);
      assert.deepEqual(staffMessages, Array.from({ length: BACKLOG }, (_, i) => i + 2));
      // The refused one was not stored: resent, it gets the next seq.
      const retried = await call(customer, 'message:send', { conversationId, content: 'body of o-9', clientId: 'o-9' });
      assert.equal(retried.duplicate, false, JSON.stringify(retried));
      assert.equal(retried.seq, BACKLOG + 2);
      acks.set('o-9', retried);
      const history = await call(staff, 'message:history', { conversationId });
      assert.deepEqual(history.messages.map((m) => m.seq), Array.from({ length: BACKLOG + 2 }, (_, i) => i + 1));
      const list = await call(customer, 'conversation:list', {});
      assert.ok(list.conversations.some((c) => c.id === conversationId), JSON.stringify(list));

      const stored = await storedMessages(db, [conversationId]);
      assert.equal(stored.size, BACKLOG + 2);
      assertAckStored(stored, 'pg-cus', 'o-0', created.message, conversationId);
      for (const [clientId, ack] of acks) assertAckStored(stored, 'pg-cus', clientId, ack, conversationId);
      assert.deepEqual(disconnects, []);
    } finally {
      if (!restarted) db.start();
      closeClients();
      await stopServer(server);
    }
  });
});
