// The inbox's main flow from a second client library: tests/clients/python/inbox_client.py on
// Debian's python3-socketio 5.x (polling, then the upgrade to WebSocket) as the customer, a
// socket.io-client staff socket in this process, the ringcast binary and a real PostgreSQL.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe } from 'node:test';
import { connect, isReference, serverKind, sleep, startServer, test, withTimeout } from './harness.mjs';
import { ringcastToken } from './jwt.mjs';
import { startPostgres, stopSuite } from './postgres.mjs';

const SECRET = 'inbox-python-secret';
const here = path.dirname(fileURLToPath(import.meta.url));
const script = path.join(here, 'python', 'inbox_client.py');
// Debian's interpreter, where apt installs python3-socketio (another python3 may come first in PATH).
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const hasSocketio = spawnSync(python, ['-c', 'import socketio, websocket'], { timeout: 10_000 }).status === 0;
const skip =
  (isReference && 'the inbox profile is ringcast-only') ||
  (!hasSocketio && `${python} has no socketio/websocket module: apt-get install python3-socketio python3-websocket python3-requests`);

async function until(what, check, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe(`the inbox from python-socketio against ${serverKind}`, { skip }, () => {
  let db;
  let server;
  before(async () => {
    db = await startPostgres();
    server = await startServer('inbox', ['--ai-backend', 'off', '--jwt-secret', SECRET, '--database-url', db.url, '--ping-interval', '5000', '--ping-timeout', '5000']);
  });
  after(() => stopSuite(db, server));

  test('a Python customer creates, receives the staff reply, sends, retries and reads history', async () => {
    const staff = await connect(server.url, { transports: ['websocket'], auth: { token: ringcastToken(SECRET, 'py-agent', 'staff') } });
    const news = [];
    staff.on('conversation:new', (c) => news.push(c));
    const messages = [];
    staff.on('message:new', (m) => messages.push(m));

    const child = spawn(python, [script, server.url, ringcastToken(SECRET, 'py-cus', 'customer')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = [];
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const out = () => `stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`;
    try {
      const reader = readline.createInterface({ input: child.stdout });
      reader.on('line', (line) => lines.push(line));
      await until('the Python client creating its conversation', () => lines.some((l) => l.startsWith('created ')) || child.exitCode !== null, 20_000).catch(
        (err) => {
          throw new Error(`${err.message}\n${out()}`);
        },
      );
      const created = lines.find((l) => l.startsWith('created '));
      assert.ok(created, out());
      const conversationId = created.slice('created '.length);
      await until('conversation:new and the first message on the staff feed', () => news.length === 1 && messages.length === 1);
      assert.equal(news[0].id, conversationId);
      assert.equal(news[0].customerId, 'py-cus');
      assert.equal(messages[0].content, 'first from python');

      const joined = await staff.timeout(10_000).emitWithAck('conversation:join', { conversationId });
      assert.deepEqual(joined.messages.map((m) => m.seq), [1]);
      const reply = await staff.timeout(10_000).emitWithAck('message:send', { conversationId, content: 'Hello from the staff', clientId: 'staff-1' });
      assert.equal(reply.seq, 2, JSON.stringify(reply));

      const { code, signal } = await withTimeout(exited, 30_000, () => `the Python client exiting\n${out()}`);
      assert.equal(code, 0, `exit ${code} ${signal}\n${out()}`);
      assert.deepEqual(lines, [`created ${conversationId}`, 'got staff message', 'sent 3 4 5 6 7', 'ok'], out());
      // What the Python client sent reached the staff socket live, in seq order, once.
      await until('the Python messages on the staff socket', () => messages.length === 6);
      assert.deepEqual(messages.map((m) => m.seq), [1, 3, 4, 5, 6, 7]);
      assert.deepEqual(messages.slice(1).map((m) => m.content), ['python 1', 'python 2', 'python 3', 'python 4', 'python 5']);
      const rows = await db.query('SELECT seq::int, client_message_id FROM messages WHERE conversation_id = $1 ORDER BY seq', [conversationId]);
      assert.deepEqual(rows.map((r) => r.client_message_id), ['py-0', 'staff-1', 'py-1', 'py-2', 'py-3', 'py-4', 'py-5']);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
