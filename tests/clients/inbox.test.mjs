// The inbox event API end to end: the stock socket.io-client with customer and staff tokens, the
// ringcast binary with 2 shards, a real PostgreSQL. Conversations, durable messages in seq order,
// joins with sinceSeq that have no gap and no duplicate at the seam, history, typing, presence,
// receipts and unread counts, and the authorization rules between tenants.
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { connect, isReference, serverKind, sleep, startServer, test, waitFor, withTimeout, until, collect } from './harness.mjs';
import { ringcastToken } from './jwt.mjs';
import { startPostgres, stopSuite } from './postgres.mjs';

const SECRET = 'inbox-test-secret';
const WS = { transports: ['websocket'] };

// Collects every event of `name` a socket gets.
// The shard that owns a conversation in the 2-shard server (inbox_shard.cc: FNV-1a 64 of the id).
function ownerShard(id, shards = 2) {
  let h = 1469598103934665603n;
  for (const c of Buffer.from(id)) h = ((h ^ BigInt(c)) * 1099511628211n) & 0xffffffffffffffffn;
  return Number(h % BigInt(shards));
}

describe(`inbox events against ${serverKind}`, { skip: isReference && 'the inbox profile is ringcast-only' }, () => {
  let db;
  let server;
  before(async () => {
    db = await startPostgres();
    server = await startServer('inbox', [
      '--ai-backend', 'off',  // the AI's replies are tested in ai.test.mjs
      '--jwt-secret', SECRET,
      '--database-url', db.url,
      '--typing-ttl', '300',
      '--presence-grace', '200',
      '--ping-interval', '5000', '--ping-timeout', '5000',
    ]);
  });
  after(() => stopSuite(db, server));

  const as = (sub, role, name) =>
    connect(server.url, { ...WS, auth: { token: ringcastToken(SECRET, sub, role, name ? ['--name', name] : []) } });
  const call = (socket, event, payload) => socket.timeout(10_000).emitWithAck(event, payload);

  test('a customer creates a conversation with a first message; staff get conversation:new and message:new', async () => {
    const staff = await as('agent-1', 'staff', 'Sam');
    const news = collect(staff, 'conversation:new');
    const messages = collect(staff, 'message:new');
    const alice = await as('alice', 'customer', 'Alice');
    const created = await call(alice, 'conversation:create', { subject: 'Order 42', content: 'Where is my order?', clientId: 'a-1' });
    assert.ok(!created.error, JSON.stringify(created.error));
    const c = created.conversation;
    assert.match(c.id, /^[0-9a-f-]{36}$/);
    assert.equal(c.customerId, 'alice');
    assert.equal(c.status, 'open');
    assert.equal(c.subject, 'Order 42');
    assert.equal(created.message.seq, 1);
    assert.equal(created.message.content, 'Where is my order?');
    assert.equal(created.message.senderName, 'Alice');
    assert.match(created.message.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    await until('staff seeing the new conversation and its message', () => news.length === 1 && messages.length === 1);
    assert.equal(news[0].id, c.id);
    assert.equal(messages[0].seq, 1);
    assert.equal(messages[0].conversationId, c.id);
    // The inbox row: the customer's name and the last message come with the list.
    const { conversations } = await call(staff, 'conversation:list', { limit: 100 });
    const row = conversations.find((r) => r.id === c.id);
    assert.equal(row.customerName, 'Alice');
    assert.deepEqual(row.lastMessage, { senderType: 'customer', senderName: 'Alice', preview: 'Where is my order?' });
    const long = 'é'.repeat(300);
    await call(alice, 'message:send', { conversationId: c.id, content: long, clientId: 'a-2' });
    const again = (await call(alice, 'conversation:list', {})).conversations.find((r) => r.id === c.id);
    assert.equal(again.lastMessage.preview, 'é'.repeat(200), 'a preview is the first 200 characters');
  });

  test('messages are acked once committed, fanned out in seq order, never to the sending socket', async () => {
    const bob = await as('bob', 'customer', 'Bob');
    const { conversation } = await call(bob, 'conversation:create', {});
    const bobTab2 = await as('bob', 'customer', 'Bob');
    const staff = await as('agent-2', 'staff');
    for (const s of [bobTab2, staff]) assert.equal((await call(s, 'conversation:join', { conversationId: conversation.id })).more, false);
    const sender = collect(bob, 'message:new');
    const tab = collect(bobTab2, 'message:new');
    const watcher = collect(staff, 'message:new');
    const acks = await Promise.all(
      Array.from({ length: 40 }, (_, i) => call(bob, 'message:send', { conversationId: conversation.id, content: `m${i}`, clientId: `b-${i}` })),
    );
    assert.deepEqual(acks.map((a) => a.seq).sort((x, y) => x - y), Array.from({ length: 40 }, (_, i) => i + 1));
    await until('both other sockets receiving all 40', () => tab.length === 40 && watcher.length === 40);
    for (const got of [tab, watcher]) assert.deepEqual(got.map((m) => m.seq), Array.from({ length: 40 }, (_, i) => i + 1));
    assert.equal(sender.length, 0, 'the sending socket has the ack, not the event');
    // A retry with the same clientId returns the original; the same clientId elsewhere is a conflict.
    const again = await call(bob, 'message:send', { conversationId: conversation.id, content: 'other text', clientId: 'b-7' });
    assert.equal(again.duplicate, true);
    assert.equal(again.id, acks[7].id);
    assert.equal(again.content, 'm7');
    const other = await call(bob, 'conversation:create', {});
    const clash = await call(bob, 'message:send', { conversationId: other.conversation.id, content: 'x', clientId: 'b-7' });
    assert.equal(clash.error.code, 'conflict');
  });

  test('a join with sinceSeq while messages are being sent has no gap and no duplicate at the seam', async () => {
    const carol = await as('carol', 'customer');
    const { conversation } = await call(carol, 'conversation:create', {});
    let sent = 0;
    const sending = (async () => {
      for (; sent < 300; sent++) await call(carol, 'message:send', { conversationId: conversation.id, content: `s${sent}`, clientId: `c-${sent}` });
    })();
    await until('some messages sent', () => sent >= 30);
    // Another tab of the customer (not in the staff feed): it gets message:new only once joined.
    const tab = await as('carol', 'customer');
    const live = [];
    tab.on('message:new', (m) => live.push(m.seq));
    let since = 10;
    const seqs = [];
    for (;;) {
      // The ack callback runs as its packet is read, so `live` then holds what came before it
      // (a promise would resolve only after later packets of the same read were handled).
      const [joined, liveBefore] = await withTimeout(
        new Promise((resolve) =>
          tab.emit('conversation:join', { conversationId: conversation.id, sinceSeq: since }, (ack) => resolve([ack, live.length])),
        ),
        10_000,
        'conversation:join',
      );
      assert.ok(!joined.error, JSON.stringify(joined.error));
      assert.equal(liveBefore, 0, 'nothing live before the join is answered');
      seqs.push(...joined.messages.map((m) => m.seq));
      if (!joined.more) break;
      since = seqs.at(-1);
    }
    await sending;
    await until('every message live or in the join', () => (live.at(-1) ?? seqs.at(-1)) === 300);
    const all = [...seqs, ...live];
    assert.deepEqual(all, Array.from({ length: 290 }, (_, i) => i + 11));
  });

  test('history pages backwards, oldest first within a page', async () => {
    const dan = await as('dan', 'customer');
    const { conversation } = await call(dan, 'conversation:create', {});
    for (let i = 0; i < 25; i++) await call(dan, 'message:send', { conversationId: conversation.id, content: `h${i}`, clientId: `d-${i}` });
    const page = await call(dan, 'message:history', { conversationId: conversation.id, limit: 10 });
    assert.deepEqual(page.messages.map((m) => m.seq), [16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    const older = await call(dan, 'message:history', { conversationId: conversation.id, beforeSeq: 16, limit: 10 });
    assert.deepEqual(older.messages.map((m) => m.seq), [6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  });

  test('a customer cannot see, join, send to or list another customer\'s conversation', async () => {
    const erin = await as('erin', 'customer');
    const { conversation } = await call(erin, 'conversation:create', { content: 'private', clientId: 'e-1' });
    const mallory = await as('mallory', 'customer');
    const heard = [];
    for (const e of ['message:new', 'typing', 'message:status', 'conversation:updated']) mallory.on(e, (p) => heard.push([e, p]));
    for (const [event, payload] of [
      ['conversation:join', { conversationId: conversation.id }],
      ['message:send', { conversationId: conversation.id, content: 'hi', clientId: 'm-1' }],
      ['message:history', { conversationId: conversation.id }],
      ['typing:start', { conversationId: conversation.id }],
      ['message:read', { conversationId: conversation.id, seq: 1 }],
      ['conversation:update', { conversationId: conversation.id, status: 'closed' }],
    ]) {
      const ack = await call(mallory, event, payload);
      assert.equal(ack.error?.code, 'forbidden', `${event}: ${JSON.stringify(ack)}`);
    }
    const list = await call(mallory, 'conversation:list', {});
    assert.ok(list.conversations.every((c) => c.customerId === 'mallory'));
    await call(erin, 'message:send', { conversationId: conversation.id, content: 'still private', clientId: 'e-2' });
    await call(erin, 'typing:start', { conversationId: conversation.id });
    // A later event of mallory's own arriving proves nothing of erin's was sent before it.
    const own = await call(mallory, 'conversation:create', { content: 'mine', clientId: 'm-2' });
    assert.ok(!own.error);
    assert.deepEqual(heard, []);
  });

  test('typing shows to the others, expires after --typing-ttl, and is rate limited', async () => {
    const fay = await as('fay', 'customer', 'Fay');
    const { conversation } = await call(fay, 'conversation:create', {});
    const agent = await as('agent-4', 'staff');
    await call(agent, 'conversation:join', { conversationId: conversation.id });
    const seen = collect(agent, 'typing');
    const own = collect(fay, 'typing');
    assert.deepEqual(await call(fay, 'typing:start', { conversationId: conversation.id }), {});
    await until('typing true then false after the ttl', () => seen.length === 2);
    assert.equal(seen[0].isTyping, true);
    assert.equal(seen[0].userId, 'fay');
    assert.equal(seen[0].name, 'Fay');
    assert.ok(seen[0].expiresAt);
    assert.equal(seen[1].isTyping, false);
    assert.deepEqual(own, [], 'the typist does not get their own typing');
    let limited;
    for (let i = 0; i < 12 && !limited; i++) {
      const ack = await call(fay, 'typing:start', { conversationId: conversation.id });
      if (ack.error) limited = ack.error;
    }
    assert.equal(limited?.code, 'rate_limited');
    assert.equal(limited.retryable, true);
    assert.ok(limited.retryAfterMs > 0);
  });

  test('read receipts move forward only, produce message:status, and unread counts follow', async () => {
    const gus = await as('gus', 'customer');
    const { conversation } = await call(gus, 'conversation:create', {});
    const agent = await as('agent-5', 'staff');
    await call(agent, 'conversation:join', { conversationId: conversation.id });
    for (let i = 0; i < 5; i++) await call(agent, 'message:send', { conversationId: conversation.id, content: `r${i}`, clientId: `g-${i}` });
    assert.equal((await call(gus, 'unread:get', {})).conversations[conversation.id], 5);
    const statuses = collect(agent, 'message:status');
    const unreadPushes = collect(gus, 'unread');
    // A new message from staff pushes the customer's new count.
    await call(agent, 'message:send', { conversationId: conversation.id, content: 'r5', clientId: 'g-5' });
    await until('the unread push for a new message', () => unreadPushes.some((u) => u.count === 6));
    unreadPushes.length = 0;
    assert.deepEqual(await call(gus, 'message:read', { conversationId: conversation.id, seq: 3 }), { unread: 3 });
    assert.deepEqual(await call(gus, 'message:read', { conversationId: conversation.id, seq: 2 }), { unread: 3 });
    await until('one status for the one move', () => statuses.length === 1);
    assert.equal(statuses[0].status, 'read');
    assert.equal(statuses[0].seq, 3);
    assert.equal(statuses[0].readerId, 'gus');
    await until('the unread push', () => unreadPushes.length >= 1);
    assert.equal(unreadPushes[0].conversationId, conversation.id);
    assert.equal(unreadPushes[0].count, 3);
    assert.deepEqual(await call(gus, 'message:delivered', { conversationId: conversation.id, seq: 6 }), {});
    await until('a delivered status', () => statuses.some((s) => s.status === 'delivered' && s.seq === 6));
    // A page that opens the conversation now starts its ticks from everyone's marks, and its
    // presence dot from the customer's stored state (stored after the change it announced).
    const late = await as('agent-5b', 'staff');
    let joined;
    await until('a join snapshot with gus online', async () => {
      if (joined) await call(late, 'conversation:leave', { conversationId: conversation.id });
      joined = await call(late, 'conversation:join', { conversationId: conversation.id });
      return joined.presence.some((p) => p.userType === 'customer' && p.userId === 'gus' && p.status === 'online');
    });
    assert.ok(!Number.isNaN(Date.parse(joined.presence[0].lastSeenAt)));
    assert.deepEqual(joined.readMarks.filter((m) => m.readerId === 'gus'),
      [{ readerType: 'customer', readerId: 'gus', lastReadSeq: 3, lastDeliveredSeq: 6 }]);
    assert.equal(joined.lastReadSeq, 0, 'the late agent has read nothing');
  });

  test('presence: online with the first socket, offline only after the grace period, once', async () => {
    const agent = await as('agent-6', 'staff');
    const seen = collect(agent, 'presence');
    const hal = await as('hal', 'customer');
    await until('hal online', () => seen.some((p) => p.userId === 'hal' && p.status === 'online'));
    const tab = await as('hal', 'customer');
    hal.disconnect();
    // Absence is the claim: wait out twice --presence-grace (200 ms), the timer under test, then
    // check no offline was sent (the later away shows the owner is still processing hal).
    await sleep(400);
    assert.equal(seen.filter((p) => p.userId === 'hal').length, 1, 'a second tab keeps hal online');
    assert.deepEqual(await call(tab, 'presence:set', { status: 'away' }), {});
    await until('hal away', () => seen.some((p) => p.userId === 'hal' && p.status === 'away'));
    tab.disconnect();
    await until('hal offline after the grace', () => seen.some((p) => p.userId === 'hal' && p.status === 'offline'));
    assert.deepEqual(seen.filter((p) => p.userId === 'hal').map((p) => p.status), ['online', 'away', 'offline']);
  });

  test('staff update a conversation; the list filters and pages with a cursor', async () => {
    const ivy = await as('ivy', 'customer');
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await call(ivy, 'conversation:create', { subject: `t${i}` })).conversation.id);
    const agent = await as('agent-7', 'staff');
    const updated = await call(agent, 'conversation:update', { conversationId: ids[0], status: 'pending', priority: 1, assignedStaffId: 'agent-7' });
    assert.equal(updated.conversation.status, 'pending');
    assert.equal(updated.conversation.priority, 1);
    assert.equal(updated.conversation.assignedStaffId, 'agent-7');
    const mine = await call(agent, 'conversation:list', { assignedToMe: true });
    assert.deepEqual(mine.conversations.map((c) => c.id), [ids[0]]);
    const first = await call(ivy, 'conversation:list', { limit: 2 });
    assert.equal(first.conversations.length, 2);
    assert.ok(first.nextCursor);
    const rest = await call(ivy, 'conversation:list', { limit: 2, cursor: first.nextCursor });
    const seen = [...first.conversations, ...rest.conversations].map((c) => c.id);
    assert.equal(new Set(seen).size, seen.length);
    assert.ok(ids.every((id) => seen.includes(id)));
    assert.equal((await call(ivy, 'conversation:update', { conversationId: ids[1], status: 'closed' })).error.code, 'forbidden');
  });

  test('connection state recovery: a cut customer socket comes back recovered with the messages it missed', async () => {
    const kim = await as('kim', 'customer');
    const { conversation } = await call(kim, 'conversation:create', {});
    const tab = await connect(server.url, {
      ...WS,
      reconnection: false,
      auth: { token: ringcastToken(SECRET, 'kim', 'customer') },
    });
    await call(tab, 'conversation:join', { conversationId: conversation.id });
    const got = collect(tab, 'message:new');
    const agent = await as('agent-8', 'staff');
    await call(agent, 'message:send', { conversationId: conversation.id, content: 'first', clientId: 'k-0' });
    await until('the first message (it carries the offset to recover from)', () => got.length === 1);
    const id = tab.id;
    const scrape = async () => (await fetch(`${server.url}/metrics`)).text();
    const saved = async () => Number(/^ringcast_recovery_sessions (\d+)$/m.exec(await scrape())[1]);
    const before = await saved();
    const gone = waitFor(tab, 'disconnect');
    tab.io.engine.close();
    await gone;
    // The server keeps the socket once it has seen the transport go.
    const deadline = Date.now() + 5000;
    while ((await saved()) <= before && Date.now() < deadline) await sleep(10);
    for (let i = 1; i <= 5; i++)
      await call(agent, 'message:send', { conversationId: conversation.id, content: `missed ${i}`, clientId: `k-${i}` });
    const back = waitFor(tab, 'connect');
    tab.connect();
    await back;
    assert.equal(tab.recovered, true);
    assert.equal(tab.id, id);
    await until('the missed messages', () => got.length === 6);
    assert.deepEqual(got.map((m) => m.seq), [1, 2, 3, 4, 5, 6]);
    // Still joined: live messages keep coming, and it may act in the conversation.
    await call(agent, 'message:send', { conversationId: conversation.id, content: 'live', clientId: 'k-6' });
    await until('a live message after the recovery', () => got.length === 7);
    assert.equal((await call(tab, 'message:send', { conversationId: conversation.id, content: 'hi', clientId: 'k-t' })).seq, 8);
  });

  test('bad input is refused with bad_request and the connection keeps working', async () => {
    const jo = await as('jo', 'customer');
    const { conversation } = await call(jo, 'conversation:create', {});
    for (const [event, payload] of [
      ['message:send', { conversationId: conversation.id, content: 'x'.repeat(70_000), clientId: 'j-1' }],
      ['message:send', { conversationId: conversation.id, content: 42, clientId: 'j-2' }],
      ['message:send', { conversationId: 'not-a-uuid', content: 'x', clientId: 'j-3' }],
      ['message:send', { conversationId: conversation.id, content: 'a\u0000b', clientId: 'j-4' }],
      ['conversation:list', { limit: 1000 }],
      ['conversation:join', { conversationId: conversation.id, sinceSeq: -1 }],
      ['message:read', { conversationId: conversation.id, seq: 0 }],
      ['presence:set', { status: 'busy' }],
      ['no:such', {}],
    ]) {
      const ack = await call(jo, event, payload);
      assert.equal(ack.error?.code, 'bad_request', `${event} ${JSON.stringify(payload).slice(0, 80)}: ${JSON.stringify(ack)}`);
    }
    const ok = await call(jo, 'message:send', { conversationId: conversation.id, content: 'fine', clientId: 'j-5' });
    assert.equal(ok.seq, 1);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(text, /^ringcast_events_rejected_total\{code="bad_request"\} [1-9]\d*$/m);
    for (const name of ['inbox_messages_stored_total', 'inbox_typing_events_total', 'inbox_presence_events_total',
      'inbox_receipts_total', 'inbox_ack_latency_seconds_count', 'inbox_ack_latency_seconds_bucket{le="+Inf"}'])
      assert.match(text, new RegExp(`^ringcast_${name.replace(/[{}+]/g, '\\$&')} [1-9]\\d*$`, 'm'), name);
    assert.match(text, /^ringcast_inbox_ack_latency_seconds_sum \d+(\.\d+)?$/m);
    assert.match(text, /^ringcast_inbox_joined_conversations \d+$/m);
  });

  test('a conversation created with a first message is committed before the ack: the message and other connections see it', async () => {
    // Each create runs on the socket's shard, its first message through the owner's writer on
    // another connection; the owner must see the committed conversation row every time.
    const nia = await as('nia', 'customer');
    const agent = await as('agent-10', 'staff');
    for (let i = 0; i < 30; i++) {
      const created = await call(nia, 'conversation:create', { content: `first ${i}`, clientId: `n-${i}` });
      assert.equal(created.message?.seq, 1, `create ${i}: ${JSON.stringify(created.message)}`);
      const joined = await call(agent, 'conversation:join', { conversationId: created.conversation.id });
      assert.deepEqual(joined.messages.map((m) => m.content), [`first ${i}`]);
      assert.deepEqual(await call(agent, 'conversation:leave', { conversationId: created.conversation.id }), {});
    }
  });

  // Events of conversations with one owner reach a socket in the order the owner sent them, so an
  // event of a second conversation with the same owner proves the earlier ones had their chance.
  async function sameOwnerConversation(customer, first) {
    for (let i = 0; i < 40; i++) {
      const { conversation } = await call(customer, 'conversation:create', {});
      if (ownerShard(conversation.id) === ownerShard(first)) return conversation.id;
    }
    throw new Error('no conversation with the same owner in 40 tries');
  }

  test('a burst of joins cannot pass --max-joined-conversations (100) or join one conversation twice', async () => {
    // Creating joins the creating socket: three creators of 35 each stay under the limit.
    const ids = [];
    for (let k = 0; k < 3; k++) {
      const creator = await as(`agent-burst-creator-${k}`, 'staff');
      for (let i = 0; i < 35; i++) {
        const { conversation, error } = await call(creator, 'conversation:create', { customerId: `burst-${i % 5}` });
        assert.ok(!error, JSON.stringify(error));
        ids.push(conversation.id);
      }
    }
    const watcher = await as('agent-burst-2', 'staff');
    const acks = await Promise.all(ids.map((id) => call(watcher, 'conversation:join', { conversationId: id })));
    const joined = acks.filter((a) => !a.error).length;
    const refused = acks.filter((a) => a.error?.code === 'bad_request').length;
    assert.equal(joined, 100, `${joined} joined`);
    assert.equal(refused, 5);
    const other = await as('agent-burst-3', 'staff');
    const same = await Promise.all([1, 2, 3].map(() => call(other, 'conversation:join', { conversationId: ids[0] })));
    assert.equal(same.filter((a) => !a.error).length, 1, JSON.stringify(same));
    assert.equal(same.filter((a) => a.error?.code === 'conflict').length, 2);
  });

  test('a create retried after a reconnect (same first clientId) gets the conversation it made, not a second one', async () => {
    const agent = await as('agent-retry-feed', 'staff');
    const news = collect(agent, 'conversation:new');
    const tab = await as('rita', 'customer');
    const made = await call(tab, 'conversation:create', { content: 'My parcel is late', clientId: 'rita-1' });
    assert.equal(made.message.seq, 1);
    // The same socket again, and a new socket (a reload whose first attempt's ack was lost).
    const same = await call(tab, 'conversation:create', { content: 'My parcel is late', clientId: 'rita-1' });
    const reloaded = await as('rita', 'customer');
    const retried = await call(reloaded, 'conversation:create', { content: 'My parcel is late', clientId: 'rita-1' });
    for (const r of [same, retried]) {
      assert.ok(!r.error, JSON.stringify(r));
      assert.equal(r.conversation.id, made.conversation.id);
      assert.equal(r.message.id, made.message.id);
      assert.equal(r.message.duplicate, true);
    }
    // The retrying socket joined it: it gets the conversation's live messages.
    const live = collect(reloaded, 'message:new');
    await call(agent, 'message:send', { conversationId: made.conversation.id, content: 'On its way', clientId: 'rita-a1' });
    await until('the reloaded tab getting the reply', () => live.some((m) => m.content === 'On its way'));
    await until('conversation:new for rita', () => news.some((c) => c.customerId === 'rita'));
    assert.equal(news.filter((c) => c.customerId === 'rita').length, 1);
  });

  test('a burst of creates cannot pass --max-joined-conversations either: each holds its slot until it joins', async () => {
    const maker = await as('burst-maker', 'customer');
    const acks = await Promise.all(Array.from({ length: 110 }, () => call(maker, 'conversation:create', {})));
    const made = acks.filter((a) => !a.error && a.conversation);
    const refused = acks.filter((a) => a.error?.code === 'bad_request' && !a.conversation);
    assert.equal(made.length, 100, JSON.stringify(acks.find((a) => a.error)));
    assert.equal(refused.length, 10);
    const other = await as('burst-maker-agent', 'staff');
    const { conversation } = await call(other, 'conversation:create', { customerId: 'burst-maker' });
    const extra = await call(maker, 'conversation:join', { conversationId: conversation.id });
    assert.equal(extra.error?.code, 'bad_request', JSON.stringify(extra));
    // Leaving one frees one.
    assert.deepEqual(await call(maker, 'conversation:leave', { conversationId: made[0].conversation.id }), {});
    assert.ok(!(await call(maker, 'conversation:join', { conversationId: conversation.id })).error);
  });

  test('conversation:leave stops the live events of that conversation, for a customer tab and for staff', async () => {
    const leo = await as('leo', 'customer', 'Leo');
    const { conversation } = await call(leo, 'conversation:create', {});
    const c = conversation.id;
    const marker = await sameOwnerConversation(leo, c);
    const tab = await as('leo', 'customer', 'Leo');
    const agent = await as('agent-8', 'staff');
    for (const s of [tab, agent])
      for (const id of [c, marker]) assert.equal((await call(s, 'conversation:join', { conversationId: id })).more, false);
    const heard = new Map([[tab, []], [agent, []]]);
    for (const [s, got] of heard)
      for (const e of ['message:new', 'typing', 'message:status']) s.on(e, (p) => got.push([e, p.conversationId, p.seq ?? p.isTyping]));
    // Joined: both hear the conversation.
    const m1 = await call(leo, 'message:send', { conversationId: c, content: 'before', clientId: 'l-1' });
    await until('both hearing the message', () => [...heard.values()].every((got) => got.some(([e, id]) => e === 'message:new' && id === c)));

    assert.deepEqual(await call(tab, 'conversation:leave', { conversationId: c }), {});
    assert.deepEqual(await call(agent, 'conversation:leave', { conversationId: c }), {});
    for (const got of heard.values()) got.length = 0;
    await call(leo, 'message:send', { conversationId: c, content: 'after', clientId: 'l-2' });
    await call(leo, 'typing:start', { conversationId: c });
    await call(agent, 'message:read', { conversationId: c, seq: m1.seq });
    // Then the marker conversation, same owner: once it is heard, anything of `c` would have been.
    await call(leo, 'message:send', { conversationId: marker, content: 'marker', clientId: 'l-3' });
    await until('the marker message', () => [...heard.values()].every((got) => got.some(([e, id]) => e === 'message:new' && id === marker)));
    assert.deepEqual(heard.get(tab), [['message:new', marker, 1]], 'the customer tab still hears the conversation it left');
    // Staff keep the staff feed (every new message) but not the conversation's typing or receipts.
    assert.deepEqual(heard.get(agent), [['message:new', c, 2], ['message:new', marker, 1]]);
    // Leaving twice, or a conversation never joined, is answered alike.
    assert.deepEqual(await call(tab, 'conversation:leave', { conversationId: c }), {});
    // And joining again works, with what was missed in the join's answer.
    const again = await call(tab, 'conversation:join', { conversationId: c, sinceSeq: 1 });
    assert.deepEqual(again.messages.map((m) => m.content), ['after']);
  });

  test('two staff and a customer: receipts reach the others, each one\'s unread counts are their own', async () => {
    const kim = await as('kim', 'customer', 'Kim');
    const created = await call(kim, 'conversation:create', { content: 'k1', clientId: 'k-1' });
    const c = created.conversation.id;
    const ann = await as('agent-ann', 'staff', 'Ann');
    const bo = await as('agent-bo', 'staff', 'Bo');
    assert.ok(!(await call(ann, 'conversation:update', { conversationId: c, assignedStaffId: 'agent-ann' })).error);
    for (const s of [ann, bo]) assert.equal((await call(s, 'conversation:join', { conversationId: c })).more, false);
    for (let i = 2; i <= 4; i++) {
      const ack = await call(kim, 'message:send', { conversationId: c, content: `k${i}`, clientId: `k-${i}` });
      assert.equal(ack.seq, i, JSON.stringify(ack));
    }
    const a1 = await call(ann, 'message:send', { conversationId: c, content: 'a1', clientId: 'a-1' });
    assert.equal(a1.seq, 5, JSON.stringify(a1));
    const unreadOf = async (s) => (await call(s, 'unread:get', {})).conversations[c] ?? 0;

    // Ann (assigned) has the customer's 4 unread, not her own; Bo has no stake until he reads;
    // Kim has Ann's one.
    assert.equal(await unreadOf(ann), 4);
    assert.equal(await unreadOf(bo), 0);
    assert.equal(await unreadOf(kim), 1);
    const statuses = new Map([[kim, collect(kim, 'message:status')], [ann, collect(ann, 'message:status')], [bo, collect(bo, 'message:status')]]);
    const pushes = new Map([[kim, collect(kim, 'unread')], [ann, collect(ann, 'unread')], [bo, collect(bo, 'unread')]]);

    assert.deepEqual(await call(bo, 'message:read', { conversationId: c, seq: 2 }), { unread: 3 });
    assert.equal(await unreadOf(ann), 4, 'Bo\'s read changed Ann\'s count');
    assert.equal(await unreadOf(kim), 1, 'Bo\'s read changed Kim\'s count');
    assert.equal(await unreadOf(bo), 3);
    assert.deepEqual(await call(ann, 'message:read', { conversationId: c, seq: 5 }), { unread: 0 });
    assert.equal(await unreadOf(bo), 3, 'Ann\'s read changed Bo\'s count');
    assert.deepEqual(await call(kim, 'message:read', { conversationId: c, seq: 5 }), { unread: 0 });
    assert.equal(await unreadOf(ann), 0);
    assert.equal(await unreadOf(bo), 3);

    const reads = (s) => statuses.get(s).filter((x) => x.status === 'read').map((x) => `${x.readerId}@${x.seq}`).sort();
    const all = ['agent-ann@5', 'agent-bo@2', 'kim@5'];
    await until('every reader\'s receipt in the room', () => [kim, ann, bo].every((s) => reads(s).length === 3));
    for (const s of [kim, ann, bo]) assert.deepEqual(reads(s), all);
    // The unread pushes go to the reader only, with the reader's own count.
    await until('each reader\'s push', () => [kim, ann, bo].every((s) => pushes.get(s).length >= 1));
    assert.deepEqual(pushes.get(bo).map((p) => p.count), [3]);
    assert.deepEqual(pushes.get(ann).map((p) => p.count), [0]);
    assert.deepEqual(pushes.get(kim).map((p) => p.count), [0]);
  });

  test('receipts sent at once share transactions; each mark is stored and announced once', async () => {
    const lea = await as('lea', 'customer');
    const { conversation } = await call(lea, 'conversation:create', { content: 'l1', clientId: 'l-1' });
    const c = conversation.id;
    const agents = Array.from({ length: 40 }, (_, i) => `agent-batch-${i}`);
    const sockets = await Promise.all(agents.map((a) => as(a, 'staff')));
    const statuses = collect(lea, 'message:status');
    const batches = async () =>
      Number(/^ringcast_inbox_receipt_batches_total (\d+)$/m.exec(await (await fetch(`${server.url}/metrics`)).text())[1]);
    const before = await batches();
    // 40 marks in one tick, on both shards: each shard sends the first at once and the rest
    // gather while it is in the database.
    const acks = await Promise.all(sockets.map((s) => call(s, 'message:delivered', { conversationId: c, seq: 1 })));
    for (const ack of acks) assert.deepEqual(ack, {});
    const transactions = (await batches()) - before;
    // One transaction per mark would be 40; on this machine it takes 5 to 7.
    assert.ok(transactions >= 1 && transactions < agents.length, `${transactions} transactions for 40 marks`);
    await until('a delivered status per agent', () => statuses.length >= 40);
    assert.deepEqual(statuses.map((x) => `${x.status}:${x.readerId}@${x.seq}`).sort(),
      agents.map((a) => `delivered:${a}@1`).sort());
    const joined = await call(await as('agent-batch-reader', 'staff'), 'conversation:join', { conversationId: c });
    assert.deepEqual(joined.readMarks.filter((m) => m.readerType === 'staff').map((m) => `${m.readerId}@${m.lastDeliveredSeq}`).sort(),
      agents.map((a) => `${a}@1`).sort());
  });

  test('presence through a reload: the last socket goes and a new one comes within the grace, no offline', async () => {
    const agent = await as('agent-9', 'staff');
    const seen = collect(agent, 'presence');
    const statusesOf = (user) => seen.filter((p) => p.userId === user).map((p) => p.status);
    // A probe identity with the same presence owner: its offline timer, started after the reload,
    // fires after the reloading user's would have; its offline proves the grace has passed.
    const presenceOwner = (sub) => ownerShard(`customer:${sub}`);
    const probeName = Array.from({ length: 40 }, (_, i) => `probe-${i}`).find((p) => presenceOwner(p) === presenceOwner('ola'));
    let ola = await as('ola', 'customer');
    const probe = await as(probeName, 'customer');
    await until('ola and the probe online', () => statusesOf('ola').length === 1 && statusesOf(probeName).length === 1);

    // The reload: the token is made first, so the new socket follows the old one at once.
    const token = ringcastToken(SECRET, 'ola', 'customer');
    ola.disconnect();
    ola = await connect(server.url, { ...WS, auth: { token } });
    probe.disconnect();
    await until('the probe offline after the grace', () => statusesOf(probeName).includes('offline'));
    assert.deepEqual(statusesOf('ola'), ['online'], 'a reload within --presence-grace showed the user offline (or online twice)');
    ola.disconnect();
    await until('ola offline once the grace passes with no socket', () => statusesOf('ola').includes('offline'));
    assert.deepEqual(statusesOf('ola'), ['online', 'offline']);
  });
});
