// The load generator's AI mode (ringcast-load --scenario inbox --ai-replies, bench/loadgen/
// ai_replies.cc) against the inbox with the builtin backend and the sample knowledge base, on a
// throw-away PostgreSQL, briefly and at a low rate, so the AI benchmark (bench/ai.sh) keeps
// working: every stored question gets exactly one AI reply, an answer (no hand-over, no
// fallback), well within the deadline of its commit.
//
//   RINGCAST_LOAD_BINARY   path of ringcast-load (set by ctest; defaults to build/release)
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe } from 'node:test';
import { isReference, serverKind, startServer, test } from './harness.mjs';
import { startPostgres, stopSuite } from './postgres.mjs';

const SECRET = 'ai-load-secret';
const here = path.dirname(fileURLToPath(import.meta.url));
const loadBinary = process.env.RINGCAST_LOAD_BINARY ?? path.resolve(here, '../../build/release/bench/ringcast-load');
const knowledge = path.resolve(here, '../../deploy/knowledge.json');
const DEADLINE_MS = 5500;

function runLoad(server, flags) {
  const args = ['--url', `127.0.0.1:${server.port}`, '--scenario', 'inbox', '--ai-replies', '--jwt-secret', SECRET,
    '--server-pid', String(server.pid), '--warmup', '0.5', '--drain', '8', '--json', ...flags];
  return new Promise((resolve, reject) => {
    execFile(loadBinary, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`ringcast-load failed (${err.code ?? err.signal}): ${stderr}\n${stdout}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()));
    });
  });
}

describe(`ringcast-load AI replies against ${serverKind}`, { skip: isReference && 'the inbox profile is ringcast-only' }, () => {
  let db;
  let server;
  const aiMessages = async () =>
    Number((await db.query("SELECT count(*)::int AS n FROM messages WHERE sender_type = 'ai'"))[0].n);
  before(async () => {
    assert.ok(existsSync(loadBinary), `ringcast-load not found at ${loadBinary}; set RINGCAST_LOAD_BINARY`);
    db = await startPostgres();
    server = await startServer('inbox', ['--ai-backend', 'builtin', '--ai-knowledge', knowledge,
      '--ai-deadline-ms', String(DEADLINE_MS), '--jwt-secret', SECRET, '--database-url', db.url,
      '--ping-interval', '5000', '--ping-timeout', '5000']);
  });
  after(() => stopSuite(db, server));

  test('50 questions/s into 5 conversations: one answer per stored question, timed from its ack, none missing or doubled', async () => {
    const r = await runLoad(server, ['--conversations', '5', '--rate', '50', '--duration', '2']);
    const summary = JSON.stringify(r);
    assert.equal(r.ready, r.sessions, `not every session was ready: ${summary}`);
    assert.equal(r.sessions, 6, `5 customers and the staff feed socket: ${summary}`);
    for (const k of ['failed', 'disconnects', 'ack_errors', 'unanswered', 'unexpected_acks', 'replies_missing',
      'reply_duplicates', 'replies_before_ack', 'reply_seq_errors', 'replies_unparsed', 'replies_handover',
      'replies_fallback', 'escalated_conversations', 'feed_missing'])
      assert.equal(r[k], 0, `${k}: ${summary}`);
    assert.equal(r.stalled, false, summary);
    assert.ok(r.acked_total > 50, summary);
    assert.equal(r.replies_total, r.acked_total, summary);
    assert.equal(r.replies_answered, r.replies_total, summary);
    assert.ok(r.reply_latency_us.count > 0 && r.reply_latency_us.count <= r.replies_total, summary);
    assert.ok(r.reply_latency_us.max < 6_000_000, `slowest reply ${r.reply_latency_us.max} us: ${summary}`);
    assert.ok(r.send_reply_latency_us.max >= r.reply_latency_us.max, summary);
    assert.equal(await aiMessages(), r.replies_total, 'every reply the generator counted is stored once');
  });
});
