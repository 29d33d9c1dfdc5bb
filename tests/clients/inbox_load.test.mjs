// The load generator's inbox scenario (bench/loadgen/inbox.cc) against the inbox on a throw-away
// PostgreSQL, briefly and at a low rate, so the benchmark keeps working: every message is acked
// and stored, and reaches every staff socket once, in seq order.
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

const SECRET = 'inbox-load-secret';
const here = path.dirname(fileURLToPath(import.meta.url));
const loadBinary = process.env.RINGCAST_LOAD_BINARY ?? path.resolve(here, '../../build/release/bench/ringcast-load');

// Runs ringcast-load --scenario inbox --json and returns its result line.
function runLoad(server, flags) {
  const args = ['--url', `127.0.0.1:${server.port}`, '--scenario', 'inbox', '--jwt-secret', SECRET,
    '--server-pid', String(server.pid), '--warmup', '0.5', '--drain', '10', '--json', ...flags];
  return new Promise((resolve, reject) => {
    execFile(loadBinary, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`ringcast-load failed (${err.code ?? err.signal}): ${stderr}\n${stdout}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()));
    });
  });
}

function assertClean(r, staffSockets) {
  const summary = JSON.stringify(r);
  assert.equal(r.ready, r.sessions, `not every session was ready: ${summary}`);
  assert.equal(r.failed, 0, summary);
  assert.equal(r.disconnects, 0, summary);
  assert.equal(r.stalled, false, summary);
  assert.equal(r.staff_sockets, staffSockets, summary);
  assert.ok(r.acks > 0, `no message was acked in the measured window: ${summary}`);
  assert.ok(r.deliveries > 0, summary);
  assert.equal(r.ack_errors, 0, `ack errors ${JSON.stringify(r.ack_errors_by_code)}`);
  for (const k of ['unanswered', 'unexpected_acks', 'missing_deliveries', 'gaps', 'duplicates', 'misrouted', 'unparsed'])
    assert.equal(r[k], 0, `${k}: ${summary}`);
  assert.equal(r.acked_total, r.sent_total, summary);
}

describe(`ringcast-load inbox scenario against ${serverKind}`, { skip: isReference && 'the inbox profile is ringcast-only' }, () => {
  let db;
  let server;
  const stored = async () => Number((await db.query('SELECT count(*)::int AS n FROM messages'))[0].n);
  before(async () => {
    assert.ok(existsSync(loadBinary), `ringcast-load not found at ${loadBinary}; set RINGCAST_LOAD_BINARY`);
    db = await startPostgres();
    // The test servers' 300 ms ping interval is for the heartbeat tests; this load needs none.
    server = await startServer('inbox', ['--ai-backend', 'off', '--jwt-secret', SECRET, '--database-url', db.url,
      '--ping-interval', '5000', '--ping-timeout', '5000']);
  });
  after(() => stopSuite(db, server));

  test('fixed rate, 2 watchers per conversation and a feed socket: every acked message is stored and delivered once to every staff socket', async () => {
    const before = await stored();
    const r = await runLoad(server, ['--conversations', '5', '--rate', '200', '--duration', '2']);
    assertClean(r, 11);
    assert.equal(r.mode, 'fixed-rate');
    assert.equal(r.expected_deliveries, r.acked_total * 11);
    assert.equal((await stored()) - before, r.acked_total);
  });

  test('closed loop with a shared staff pool on 2 generator threads: the same, with conversation ids handed across threads', async () => {
    const before = await stored();
    const r = await runLoad(server, ['--conversations', '6', '--staff-pool', '3', '--rate', '0', '--window', '4',
      '--threads', '2', '--duration', '1']);
    assertClean(r, 4);
    assert.equal(r.mode, 'closed-loop');
    assert.equal((await stored()) - before, r.acked_total);
  });
});
