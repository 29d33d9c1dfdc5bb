// The Node peer of the inbox benchmark (bench/peers/node-inbox) answers the load generator's
// subset of docs/events.md as ringcast does: token refusals, create, join, send with its fan-out
// to everyone but the sender, duplicate clientIds and the customer access rule. It needs
// `npm ci` in bench/peers/node-inbox (deploy/test.sh does it); it does not use ringcast.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe } from 'node:test';
import { connect, refusal, sleep, startProcess, test } from './harness.mjs';
import { nowSeconds, refusedTokens, signJwt } from './jwt.mjs';
import { startPostgres, stopSuite } from './postgres.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const peer = path.resolve(here, '../../bench/peers/node-inbox/server.mjs');
const SECRET = 'node-inbox-peer-secret';
const WS = { transports: ['websocket'] };
const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const token = (sub, role, extra = {}) => signJwt({ sub, role, exp: nowSeconds() + 3600, ...extra }, { secret: SECRET });
const call = (socket, event, payload) => socket.timeout(10_000).emitWithAck(event, payload);

describe('the Node inbox peer', () => {
  let db;
  let server;
  before(async () => {
    if (!existsSync(path.join(path.dirname(peer), 'node_modules')))
      throw new Error(`run npm ci in ${path.dirname(peer)} first (deploy/test.sh does it)`);
    db = await startPostgres();
    server = await startProcess(
      process.execPath,
      [peer, '--address', '127.0.0.1', '--port', '0', '--database-url', db.url, '--jwt-secret', SECRET],
      'node-inbox peer',
    );
  });
  after(() => stopSuite(db, server));

  const as = (sub, role, extra) => connect(server.url, { ...WS, auth: { token: token(sub, role, extra) } });

  test('missing, badly signed and expired tokens are refused with their code', async () => {
    for (const [auth, code] of refusedTokens(SECRET)) {
      const err = await refusal(server.url, auth);
      assert.equal(err.message, 'unauthorized', JSON.stringify(auth));
      assert.deepEqual(err.data, { code }, JSON.stringify(auth));
    }
  });

  test('create, join, send: staff get message:new once, the sender gets the ack only, a resend is a duplicate', async () => {
    const staff = await as('agent-1', 'staff', { name: 'Sam' });
    const news = [];
    const staffGot = [];
    staff.on('conversation:new', (c) => news.push(c));
    staff.on('message:new', (m) => staffGot.push(m));
    const alice = await as('alice', 'customer', { name: 'Alice' });
    const aliceGot = [];
    alice.on('message:new', (m) => aliceGot.push(m));

    const created = await call(alice, 'conversation:create', { subject: 'Order 42' });
    assert.ok(!created.error, JSON.stringify(created));
    const c = created.conversation;
    assert.match(c.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.deepEqual(
      { ...c, createdAt: undefined },
      { id: c.id, customerId: 'alice', channel: 'website', status: 'open', priority: 3, assignedStaffId: null, requiresHuman: false, lastSeq: 0, lastMessageAt: null, createdAt: undefined, subject: 'Order 42' },
    );
    assert.match(c.createdAt, ISO_MS);

    const joined = await call(staff, 'conversation:join', { conversationId: c.id });
    assert.ok(!joined.error, JSON.stringify(joined));
    assert.equal(joined.conversation.id, c.id);
    assert.deepEqual([joined.messages, joined.typing, joined.lastReadSeq, joined.more], [[], [], 0, false]);
    assert.deepEqual(news.map((n) => n.id), [c.id]);

    const sent = await call(alice, 'message:send', { conversationId: c.id, content: 'Where is my order?', clientId: 'a-1' });
    assert.ok(!sent.error, JSON.stringify(sent));
    assert.equal(sent.seq, 1);
    assert.equal(sent.duplicate, false);
    assert.equal(sent.senderType, 'customer');
    assert.equal(sent.senderId, 'alice');
    assert.equal(sent.senderName, 'Alice');
    assert.match(sent.createdAt, ISO_MS);
    const { duplicate, ...message } = sent;
    for (let i = 0; i < 200 && staffGot.length === 0; i++) await sleep(10);
    assert.deepEqual(staffGot, [message], 'staff (in the room and the feed) get it once, as acked');

    const again = await call(alice, 'message:send', { conversationId: c.id, content: 'other text', clientId: 'a-1' });
    assert.deepEqual(again, { ...message, duplicate: true });
    // A later message arriving proves the duplicate was not fanned out before it.
    const next = await call(alice, 'message:send', { conversationId: c.id, content: 'Hello?', clientId: 'a-2' });
    assert.equal(next.seq, 2, 'the duplicate used no seq');
    for (let i = 0; i < 200 && staffGot.length < 2; i++) await sleep(10);
    assert.deepEqual(staffGot.map((m) => m.seq), [1, 2]);
    assert.deepEqual(aliceGot, [], 'the sending socket gets acks, not message:new');

    const rejoin = await call(alice, 'conversation:join', { conversationId: c.id, sinceSeq: 0 });
    assert.equal(rejoin.error?.code, 'conflict', 'the creating socket is already in the conversation');
    const history = await call(staff, 'conversation:join', { conversationId: c.id });
    assert.equal(history.error?.code, 'conflict');
  });

  test('another customer cannot join or send to the conversation; bad input is bad_request', async () => {
    const erin = await as('erin', 'customer');
    const { conversation } = await call(erin, 'conversation:create', {});
    const mallory = await as('mallory', 'customer');
    const join = await call(mallory, 'conversation:join', { conversationId: conversation.id });
    assert.deepEqual(join, { error: { code: 'forbidden', message: join.error.message, retryable: false } });
    const send = await call(mallory, 'message:send', { conversationId: conversation.id, content: 'hi', clientId: 'm-1' });
    assert.equal(send.error?.code, 'forbidden');
    const missing = await call(mallory, 'conversation:join', { conversationId: '00000000-0000-4000-8000-000000000000' });
    assert.equal(missing.error?.code, 'not_found');
    for (const [event, payload] of [
      ['conversation:join', { conversationId: 'nope' }],
      ['message:send', { conversationId: conversation.id, content: 'x' }],
      ['message:send', 'not an object'],
      ['no:such-event', {}],
    ]) {
      const ack = await call(erin, event, payload);
      assert.equal(ack.error?.code, 'bad_request', `${event}: ${JSON.stringify(ack)}`);
    }
    const rows = await db.query('SELECT count(*)::int AS n FROM node_inbox.messages WHERE conversation_id = $1', [conversation.id]);
    assert.equal(rows[0].n, 0);
  });
});
