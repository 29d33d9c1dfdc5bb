// The AI auto-responder end to end: the stock socket.io-client, the ringcast binary with 2 shards,
// a real PostgreSQL, and the two backends: `builtin` with a small knowledge base written here, and
// `openai` against the fake OpenAI-compatible endpoint (fake_openai.mjs) in each of its modes.
// A reply, a hand-over or the fallback reaches the customer within the deadline of the message's
// commit (the customer's ack is sent right after the commit), and no job is answered twice.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import { startFakeOpenAI } from './fake_openai.mjs';
import { closeClients, connect, isReference, serverKind, sleep, startServer, stopServer, test } from './harness.mjs';
import { ringcastToken } from './jwt.mjs';
import { startPostgres } from './postgres.mjs';

const SECRET = 'ai-test-secret';
const WS = { transports: ['websocket'] };
const KNOWLEDGE = [
  { question: 'How long does shipping take?', answer: 'Orders ship within 2 business days and arrive in 3 to 5 days.', intent: 'shipping', keywords: ['shipping', 'delivery', 'arrive'] },
  { question: 'How do I reset my password?', answer: 'Use "Forgot password" on the sign-in page; the link is valid for one hour.', intent: 'account', keywords: ['password', 'reset', 'login'] },
  { question: 'Can I get a refund?', answer: 'Refunds are paid to the original card within 5 business days of the return.', intent: 'billing', keywords: ['refund', 'money back'] },
];

async function until(what, check, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

function collect(socket, name) {
  const got = [];
  socket.on(name, (payload) => got.push({ payload, at: Date.now() }));
  return got;
}

async function metric(server, line) {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const m = text.match(new RegExp(`^ringcast_${line.replace(/[{}"]/g, '\\$&')} (\\d+(?:\\.\\d+)?)$`, 'm'));
  return m ? Number(m[1]) : NaN;
}

describe(`AI auto-replies against ${serverKind}`, { skip: isReference && 'the inbox profile is ringcast-only' }, () => {
  let db;
  let dir;
  before(async () => {
    db = await startPostgres();
    dir = mkdtempSync(path.join(os.tmpdir(), 'ringcast-ai-'));
    writeFileSync(path.join(dir, 'knowledge.json'), JSON.stringify(KNOWLEDGE));
  });
  after(async () => {
    closeClients();
    db?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const flags = (extra) => ['--jwt-secret', SECRET, '--database-url', db.url, '--shards', '2', ...extra];
  const as = (server, sub, role) => connect(server.url, { ...WS, auth: { token: ringcastToken(SECRET, sub, role) } });
  const call = (socket, event, payload) => socket.timeout(10_000).emitWithAck(event, payload);
  // A customer with a fresh conversation; the socket is joined to it (create joins).
  async function customer(server, sub) {
    const socket = await as(server, sub, 'customer');
    const { conversation, error } = await call(socket, 'conversation:create', {});
    assert.ok(!error, JSON.stringify(error));
    return { socket, conversation, messages: collect(socket, 'message:new'), typing: collect(socket, 'typing') };
  }
  const aiMessages = (got) => got.filter((m) => m.payload.senderType === 'ai');

  describe('builtin backend', () => {
    let server;
    before(async () => {
      server = await startServer('inbox', flags(['--ai-knowledge', path.join(dir, 'knowledge.json')]));
    });
    after(async () => {
      closeClients();
      await stopServer(server);
    });

    test('a question the knowledge base answers gets the AI reply, seen by the customer and the staff feed', async () => {
      const staff = await as(server, 'agent-1', 'staff');
      const feed = collect(staff, 'message:new');
      const c = await customer(server, 'cust-ship');
      const sent = await call(c.socket, 'message:send', { conversationId: c.conversation.id, content: 'How long does shipping take to arrive?', clientId: 'q-1' });
      const ackedAt = Date.now();
      assert.equal(sent.seq, 1);
      await until('the AI reply', () => aiMessages(c.messages).length === 1, 6000);
      const reply = aiMessages(c.messages)[0];
      assert.ok(reply.at - ackedAt < 6000, `the reply came ${reply.at - ackedAt} ms after the ack`);
      assert.equal(reply.payload.seq, 2);
      assert.equal(reply.payload.content, KNOWLEDGE[0].answer);
      assert.equal(reply.payload.senderId, 'assistant');
      assert.equal(reply.payload.ai.intent, 'shipping');
      assert.ok(reply.payload.ai.confidence >= 0.7, `confidence ${reply.payload.ai.confidence}`);
      assert.ok(Number.isInteger(reply.payload.ai.processingTimeMs));
      // The assistant was shown typing to the customer before the reply (and stopped with it).
      const aiTyping = c.typing.filter((t) => t.payload.userType === 'ai');
      assert.ok(aiTyping.some((t) => t.payload.isTyping), JSON.stringify(aiTyping));
      await until('the staff feed getting the reply', () => aiMessages(feed).some((m) => m.payload.conversationId === c.conversation.id));
      const [job] = await db.query('SELECT status, outcome, response_ms FROM ai_jobs j JOIN messages m ON m.id = j.message_id WHERE m.conversation_id = $1', [c.conversation.id]);
      assert.equal(job.status, 'completed');
      assert.equal(job.outcome, 'answered');
      assert.ok(job.response_ms >= 0 && job.response_ms < 6000);
      // The history shows the AI fields too.
      const joined = await call(staff, 'conversation:join', { conversationId: c.conversation.id });
      assert.equal(joined.messages[1].ai.intent, 'shipping');
    });

    test('a question the knowledge base cannot answer is handed to staff (low confidence)', async () => {
      const staff = await as(server, 'agent-2', 'staff');
      const escalations = collect(staff, 'escalation');
      const updates = collect(staff, 'conversation:updated');
      const c = await customer(server, 'cust-vague');
      await call(c.socket, 'message:send', { conversationId: c.conversation.id, content: 'My blender makes a strange noise when the moon is full', clientId: 'v-1' });
      await until('the hand-over message', () => aiMessages(c.messages).length === 1, 6000);
      assert.match(aiMessages(c.messages)[0].payload.content, /team/);
      await until('the escalation on the staff feed', () => escalations.some((e) => e.payload.conversationId === c.conversation.id));
      const e = escalations.find((x) => x.payload.conversationId === c.conversation.id).payload;
      assert.equal(e.reason, 'low_confidence');
      assert.ok(e.confidence < 0.7);
      await until('conversation:updated', () => updates.some((u) => u.payload.id === c.conversation.id && u.payload.requiresHuman));
      const u = updates.find((x) => x.payload.id === c.conversation.id && x.payload.requiresHuman).payload;
      assert.equal(u.escalationReason, 'low_confidence');
      assert.equal(u.priority, 2);  // one step more urgent than the default 3
      // Requiring a human, the conversation gets no AI job for the next message.
      await call(c.socket, 'message:send', { conversationId: c.conversation.id, content: 'Hello?', clientId: 'v-2' });
      const jobs = await db.query('SELECT count(*)::int AS n FROM ai_jobs WHERE conversation_id = $1', [c.conversation.id]);
      assert.equal(jobs[0].n, 1);
    });

    test('"I want to talk to a human" escalates at once with reason customer_request', async () => {
      const staff = await as(server, 'agent-3', 'staff');
      const escalations = collect(staff, 'escalation');
      const c = await customer(server, 'cust-human');
      await call(c.socket, 'message:send', { conversationId: c.conversation.id, content: 'I want to talk to a human, please', clientId: 'h-1' });
      await until('the escalation', () => escalations.some((e) => e.payload.conversationId === c.conversation.id), 6000);
      assert.equal(escalations.find((e) => e.payload.conversationId === c.conversation.id).payload.reason, 'customer_request');
      await until('the hand-over message', () => aiMessages(c.messages).length === 1);
      const [job] = await db.query('SELECT outcome FROM ai_jobs WHERE conversation_id = $1', [c.conversation.id]);
      assert.equal(job.outcome, 'escalated');
    });

    test('a staff reply claims the conversation and the assistant stays quiet', async () => {
      const staff = await as(server, 'agent-4', 'staff');
      const c = await customer(server, 'cust-claimed');
      const updates = collect(c.socket, 'conversation:updated');
      await call(staff, 'conversation:join', { conversationId: c.conversation.id });
      const reply = await call(staff, 'message:send', { conversationId: c.conversation.id, content: 'Hi, I am Sam from support.', clientId: 's-1' });
      assert.equal(reply.seq, 1);
      await until('the claim', () => updates.some((u) => u.payload.assignedStaffId === 'agent-4'));
      const sent = await call(c.socket, 'message:send', { conversationId: c.conversation.id, content: 'How long does shipping take?', clientId: 'c-1' });
      assert.equal(sent.seq, 2);
      // The job would have been created in the message's own transaction: there is none.
      const jobs = await db.query('SELECT count(*)::int AS n FROM ai_jobs WHERE conversation_id = $1', [c.conversation.id]);
      assert.equal(jobs[0].n, 0);
      // Staff can hand it back to the assistant.
      const back = await call(staff, 'conversation:update', { conversationId: c.conversation.id, assignedStaffId: null, requiresHuman: false });
      assert.equal(back.conversation.assignedStaffId, null);
      await call(c.socket, 'message:send', { conversationId: c.conversation.id, content: 'How do I reset my password?', clientId: 'c-2' });
      await until('the AI answering again', () => aiMessages(c.messages).length === 1, 6000);
      assert.equal(aiMessages(c.messages)[0].payload.content, KNOWLEDGE[1].answer);
    });

    test('/metrics shows the AI response time, outcomes, the queue and the resolution rate', async () => {
      // A conversation the AI answered is resolved with no staff message: it counts for the AI.
      const staff = await as(server, 'agent-5', 'staff');
      const c = await customer(server, 'cust-resolved');
      await call(c.socket, 'message:send', { conversationId: c.conversation.id, content: 'Can I get a refund?', clientId: 'r-1' });
      await until('the answer', () => aiMessages(c.messages).length === 1, 6000);
      const byAi = await metric(server, 'ai_resolved_conversations{by="ai"}');
      const resolved = await call(staff, 'conversation:update', { conversationId: c.conversation.id, status: 'resolved' });
      assert.equal(resolved.conversation.status, 'resolved');
      const deadline = Date.now() + 10_000;
      while (await metric(server, 'ai_resolved_conversations{by="ai"}') !== byAi + 1) {
        assert.ok(Date.now() < deadline, 'the resolution rate did not count the conversation');
        await sleep(100);
      }
      assert.ok(await metric(server, 'ai_resolved_conversations{by="anyone"}') >= byAi + 1);
      assert.ok(await metric(server, 'ai_jobs_total{outcome="answered"}') >= 2);
      assert.ok(await metric(server, 'ai_jobs_total{outcome="escalated"}') >= 2);
      assert.ok(await metric(server, 'ai_response_seconds_count') >= 4);
      assert.equal(await metric(server, 'ai_queue_depth{priority="1"}'), 0);
      assert.equal(await metric(server, 'ai_in_flight'), 0);
    });
  });

  describe('overload and crashes', () => {
    let fake;
    before(async () => {
      fake = await startFakeOpenAI({ mode: 'slow', delayMs: 2000 });
    });
    after(async () => {
      closeClients();
      await fake?.close();
    });
    const openaiFlags = () => flags(['--ai-backend', 'openai', '--ai-url', fake.url]);

    test('1,000 customer messages in 10 s against a backend taking 2 s each: every one gets its reply or the fallback within 6 s, once', { timeout: 90_000 }, async () => {
      fake.setMode('slow', { delayMs: 2000, answer: () => ({ answer: 'Here is your answer.', confidence: 0.95, intent: 'billing', escalate: false }) });
      const server = await startServer('inbox', openaiFlags());
      try {
        // 100 customers with 10 conversations each (creating joins the customer's socket to it).
        const conversations = [];
        const replyAt = new Map();
        const replies = new Map();
        for (let i = 0; i < 100; i++) {
          const socket = await as(server, `load-${i}`, 'customer');
          socket.on('message:new', (m) => {
            if (m.senderType !== 'ai') return;
            replies.set(m.conversationId, (replies.get(m.conversationId) ?? 0) + 1);
            if (!replyAt.has(m.conversationId)) replyAt.set(m.conversationId, Date.now());
          });
          for (let k = 0; k < 10; k++) {
            const { conversation } = await call(socket, 'conversation:create', {});
            conversations.push({ socket, id: conversation.id });
          }
        }
        // One message per conversation, 100 a second for 10 s.
        const ackedAt = new Map();
        const sends = [];
        const start = Date.now();
        for (const [n, c] of conversations.entries()) {
          const due = start + n * 10;
          if (due > Date.now()) await sleep(due - Date.now());
          sends.push(call(c.socket, 'message:send', { conversationId: c.id, content: `Question number ${n}`, clientId: `load-${n}` })
            .then((ack) => {
              assert.ok(!ack.error, JSON.stringify(ack.error));
              ackedAt.set(c.id, Date.now());
            }));
        }
        await Promise.all(sends);
        await until('a reply or fallback for all 1,000', () => replyAt.size === conversations.length, 15_000);
        let worst = 0;
        for (const c of conversations) worst = Math.max(worst, replyAt.get(c.id) - ackedAt.get(c.id));
        console.log(`# overload: the slowest of 1,000 replies came ${worst} ms after its ack`);
        assert.ok(worst < 6000, `a reply came ${worst} ms after its ack`);
        const stored = await db.query(
          "SELECT count(*)::int AS n, count(DISTINCT m.conversation_id)::int AS conversations FROM messages m WHERE m.sender_type = 'ai' AND m.conversation_id = ANY($1)",
          [conversations.map((c) => c.id)]);
        assert.deepEqual(stored[0], { n: 1000, conversations: 1000 }, 'one AI message per customer message');
        for (const c of conversations) assert.equal(replies.get(c.id), 1, `conversation ${c.id} got ${replies.get(c.id)} AI messages`);
        const outcomes = await db.query(
          'SELECT outcome, count(*)::int AS n FROM ai_jobs WHERE conversation_id = ANY($1) GROUP BY outcome ORDER BY outcome',
          [conversations.map((c) => c.id)]);
        console.log(`# overload outcomes: ${JSON.stringify(outcomes)}`);
        assert.equal(outcomes.reduce((sum, o) => sum + o.n, 0), 1000);
        assert.ok(outcomes.every((o) => ['answered', 'fallback'].includes(o.outcome)), JSON.stringify(outcomes));
      } finally {
        closeClients();
        await stopServer(server);
      }
    });

    test('kill -9 with jobs pending: after the restart every job is answered or given the fallback, none twice', { timeout: 60_000 }, async () => {
      fake.setMode('hang');
      const requestsBefore = fake.requests.length;
      let server = await startServer('inbox', [...openaiFlags(), '--ai-deadline-ms', '4000']);
      const ids = [];
      try {
        const socket = await as(server, 'crash-customer', 'customer');
        for (let k = 0; k < 20; k++) {
          const { conversation } = await call(socket, 'conversation:create', {});
          const ack = await call(socket, 'message:send', { conversationId: conversation.id, content: `Help ${k}`, clientId: `crash-${k}` });
          assert.ok(!ack.error);
          ids.push(conversation.id);
        }
        await until('the backend holding calls', () => fake.requests.length - requestsBefore >= 3);
        const open = await db.query("SELECT count(*)::int AS n FROM ai_jobs WHERE conversation_id = ANY($1) AND status = 'pending'", [ids]);
        assert.equal(open[0].n, 20, 'every job still open at the kill');
        process.kill(server.pid, 'SIGKILL');
        await server.stop();
      } finally {
        closeClients();
      }
      fake.setMode('answer', { answer: () => ({ answer: 'Answered after the restart.', confidence: 0.9, intent: 'account', escalate: false }) });
      server = await startServer('inbox', [...openaiFlags(), '--ai-deadline-ms', '4000']);
      try {
        const finished = async () => (await db.query(
          "SELECT count(*)::int AS n FROM ai_jobs WHERE conversation_id = ANY($1) AND status IN ('completed', 'failed')", [ids]))[0].n;
        const deadline = Date.now() + 15_000;
        while (await finished() < 20) {
          assert.ok(Date.now() < deadline, 'jobs still open 15 s after the restart');
          await sleep(50);
        }
        const perJob = await db.query(
          "SELECT j.id, j.outcome, count(m.id)::int AS replies FROM ai_jobs j LEFT JOIN messages m ON m.conversation_id = j.conversation_id AND m.sender_type = 'ai' WHERE j.conversation_id = ANY($1) GROUP BY j.id, j.outcome",
          [ids]);
        assert.equal(perJob.length, 20);
        for (const j of perJob) {
          assert.equal(j.replies, 1, `job ${j.id} (${j.outcome}) has ${j.replies} AI messages`);
          assert.ok(['answered', 'fallback'].includes(j.outcome), j.outcome);
        }
      } finally {
        await stopServer(server);
      }
    });
  });

  describe('openai backend', () => {
    let server;
    let fake;
    before(async () => {
      fake = await startFakeOpenAI({ mode: 'answer' });
      server = await startServer('inbox', flags([
        '--ai-backend', 'openai', '--ai-url', fake.url, '--ai-model', 'test-model',
        '--ai-concurrency', '2', '--ai-deadline-ms', '1500',
      ]));
    });
    after(async () => {
      closeClients();
      await stopServer(server);
      await fake?.close();
    });

    test('the endpoint\'s answer is sent, with the customer\'s message and the knowledge in the prompt', async () => {
      fake.setMode('answer', { answer: () => ({ answer: 'Your parcel arrives Tuesday.', confidence: 0.92, intent: 'shipping', escalate: false }) });
      const before = fake.requests.length;
      const c = await customer(server, 'oa-answer');
      await call(c.socket, 'message:send', { conversationId: c.conversation.id, content: 'When will my parcel arrive?', clientId: 'o-1' });
      await until('the reply', () => aiMessages(c.messages).length === 1, 3000);
      assert.equal(aiMessages(c.messages)[0].payload.content, 'Your parcel arrives Tuesday.');
      assert.equal(aiMessages(c.messages)[0].payload.ai.intent, 'shipping');
      const body = fake.requests[before];
      assert.equal(body.model, 'test-model');
      assert.ok(JSON.stringify(body.messages).includes('When will my parcel arrive?'));
      // The next question goes with the conversation so far.
      await call(c.socket, 'message:send', { conversationId: c.conversation.id, content: 'And to Lisbon?', clientId: 'o-1b' });
      await until('the second reply', () => aiMessages(c.messages).length === 2, 3000);
      const prompt = JSON.stringify(fake.requests[fake.requests.length - 1].messages);
      assert.ok(prompt.includes('When will my parcel arrive?') && prompt.includes('Your parcel arrives Tuesday.') &&
        prompt.includes('And to Lisbon?'), prompt);
    });

    test('errors are retried, then the fallback arrives within the deadline', async () => {
      fake.setMode('error500');
      const before = fake.requests.length;
      const c = await customer(server, 'oa-500');
      await call(c.socket, 'message:send', { conversationId: c.conversation.id, content: 'Hello there', clientId: 'o-2' });
      const ackedAt = Date.now();
      await until('the fallback', () => aiMessages(c.messages).length === 1, 3000);
      assert.ok(aiMessages(c.messages)[0].at - ackedAt < 1500 + 300);
      assert.equal(fake.requests.length - before, 3, 'three attempts');
      const [job] = await db.query('SELECT outcome FROM ai_jobs WHERE conversation_id = $1', [c.conversation.id]);
      assert.equal(job.outcome, 'failed');
      const [conv] = await db.query('SELECT requires_human, escalation_reason FROM conversations WHERE id = $1', [c.conversation.id]);
      assert.deepEqual(conv, { requires_human: true, escalation_reason: 'ai_failed' });
    });

    test('malformed answers are failures and retried', async () => {
      fake.setMode('answer', { answer: () => 'this is not JSON at all' });
      const before = fake.requests.length;
      const c = await customer(server, 'oa-bad');
      await call(c.socket, 'message:send', { conversationId: c.conversation.id, content: 'Hello?', clientId: 'o-3' });
      await until('the fallback', () => aiMessages(c.messages).length === 1, 3000);
      assert.equal(fake.requests.length - before, 3);
    });

    test('a hanging endpoint holds at most --ai-concurrency workers; every message still gets the fallback in time', async () => {
      fake.setMode('hang');
      const before = fake.requests.length;
      const customers = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => customer(server, `oa-hang-${i}`)));
      const acked = await Promise.all(customers.map(async (c, i) => {
        await call(c.socket, 'message:send', { conversationId: c.conversation.id, content: `Are you there? ${i}`, clientId: `h-${i}` });
        return Date.now();
      }));
      for (const [i, c] of customers.entries()) {
        await until(`fallback ${i}`, () => aiMessages(c.messages).length === 1, 3000);
        const late = aiMessages(c.messages)[0].at - acked[i];
        assert.ok(late < 1500 + 300, `fallback ${i} came ${late} ms after the ack`);
      }
      // Two workers: two calls hung until their deadline; the other jobs never got a worker in time.
      assert.equal(fake.requests.length - before, 2);
      fake.setMode('answer');
    });

    test('an endpoint slower than the deadline: the fallback goes out in time, once, as a timeout', async () => {
      fake.setMode('slow', { delayMs: 3000, answer: () => ({ answer: 'Too late!', confidence: 0.99, intent: 'greeting', escalate: false }) });
      const before = fake.requests.length;
      const c = await customer(server, 'oa-slow');
      await call(c.socket, 'message:send', { conversationId: c.conversation.id, content: 'Hi', clientId: 's-1' });
      const ackedAt = Date.now();
      await until('the fallback', () => aiMessages(c.messages).length === 1, 3000);
      assert.ok(aiMessages(c.messages)[0].at - ackedAt < 1500 + 300);
      assert.notEqual(aiMessages(c.messages)[0].payload.content, 'Too late!');
      // One call, cut at its deadline (no time was left for a second).
      assert.equal(fake.requests.length - before, 1);
      const [job] = await db.query('SELECT outcome FROM ai_jobs WHERE conversation_id = $1', [c.conversation.id]);
      assert.equal(job.outcome, 'fallback');
      const [conv] = await db.query('SELECT escalation_reason FROM conversations WHERE id = $1', [c.conversation.id]);
      assert.equal(conv.escalation_reason, 'ai_timeout');
      fake.setMode('answer');
    });
  });
});
