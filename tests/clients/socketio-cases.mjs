// The conformance cases every socket.io-client transport setup must pass; websocket.test.mjs,
// polling.test.mjs and upgrade.test.mjs run them with their own client options.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe } from 'node:test';
import { Manager } from 'socket.io-client';
import {
  client, closeClients, connect, normalizeBinary, serverKind, startServer, stopServer, waitFor, withTimeout, test
} from './harness.mjs';

// Arguments of every JSON kind, nested, including the empty string / array / object.
export const MIXED_ARGS = [
  0,
  42,
  -7.25,
  1e21,
  'hello',
  '',
  'unicode: é ü 日本語 😀 \u2028 "quotes" \\ backslash \n newline',
  null,
  true,
  false,
  { a: 1, b: 'two', c: null, d: [1, 2, { e: [] }], f: {} },
  [[1, [2, [3, [4]]]], 'x', [], [null]],
  [],
  {},
];

// All 256 byte values, and a larger buffer (spans several receive buffers / base64 lines).
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const BIG = Buffer.alloc(100_000, 0);
for (let i = 0; i < BIG.length; i++) BIG[i] = (i * 7919) & 0xff;

export function socketioSuite(label, opts, checkTransport) {
  describe(`socket.io-client (${label}) against ${serverKind}`, () => {
    let server;
    before(async () => {
      server = await startServer('conformance');
    });
    afterEach(() => closeClients());
    after(async () => {
      closeClients();
      await stopServer(server);
    });

    async function connected(path = '', extra = {}) {
      const socket = await connect(server.url + path, { ...opts, ...extra });
      if (checkTransport) checkTransport(socket);
      return socket;
    }

    test('connect with auth receives "auth" with exactly that payload', async () => {
      const socket = client(server.url, { ...opts, auth: { token: 'abc' } });
      const [auth] = await waitFor(socket, 'auth');
      assert.deepStrictEqual(auth, { token: 'abc' });
      assert.equal(socket.connected, true);
      assert.equal(typeof socket.id, 'string');
      assert.ok(socket.id.length > 0);
    });

    test('connect without auth receives "auth" with {}', async () => {
      const socket = client(server.url, opts);
      const [auth] = await waitFor(socket, 'auth');
      assert.deepStrictEqual(auth, {});
    });

    test('a nested auth payload comes back unchanged', async () => {
      const auth = { token: 'abc', user: { id: 7, roles: ['staff', 'admin'] }, n: null };
      const socket = client(server.url, { ...opts, auth });
      const [got] = await waitFor(socket, 'auth');
      assert.deepStrictEqual(got, auth);
    });

    test('"message" with mixed arguments comes back as "message-back" with deep-equal arguments', async () => {
      const socket = await connected();
      const back = waitFor(socket, 'message-back');
      socket.emit('message', ...MIXED_ARGS);
      assert.deepStrictEqual(await back, MIXED_ARGS);
    });

    test('"message" without arguments comes back without arguments', async () => {
      const socket = await connected();
      const back = waitFor(socket, 'message-back');
      socket.emit('message');
      assert.deepStrictEqual(await back, []);
    });

    test('"message-with-ack" is acknowledged with the same arguments', async () => {
      const socket = await connected();
      const args = await withTimeout(
        new Promise((resolve) => socket.emit('message-with-ack', 1, '2', { 3: [true] }, [null, 'x'], (...a) => resolve(a))),
        5000,
        'ack',
      );
      assert.deepStrictEqual(args, [1, '2', { 3: [true] }, [null, 'x']]);
    });

    test('many acks in flight are each answered with their own arguments', async () => {
      const socket = await connected();
      const results = await withTimeout(
        Promise.all(
          Array.from({ length: 50 }, (_, i) => new Promise((resolve) => socket.emit('message-with-ack', i, `s${i}`, resolve))),
        ),
        5000,
        '50 acks',
      );
      assert.deepStrictEqual(results, Array.from({ length: 50 }, (_, i) => i));
    });

    test('emitWithAck resolves with the first acknowledged argument', async () => {
      const socket = await connected();
      const got = await withTimeout(socket.emitWithAck('message-with-ack', { ok: true }), 5000, 'emitWithAck');
      assert.deepStrictEqual(got, { ok: true });
    });

    test('binary attachments round-trip both ways (top-level and nested buffers)', async () => {
      const socket = await connected();
      const args = [
        Buffer.from([1, 2, 3]),
        'text between',
        { nested: { buf: Buffer.from([4, 5, 6]), list: [Buffer.from('abc'), 7, ALL_BYTES] }, plain: 'yes' },
        [Buffer.from([0xff]), null],
        BIG,
      ];
      const back = waitFor(socket, 'message-back');
      socket.emit('message', ...args);
      const got = normalizeBinary(await back);
      assert.deepStrictEqual(got, args);
    });

    test('binary arguments are acknowledged as binary (BINARY_ACK)', async () => {
      const socket = await connected();
      const args = [{ data: Buffer.from([9, 8, 7]) }, Buffer.from('ack bytes')];
      const got = await withTimeout(
        new Promise((resolve) => socket.emit('message-with-ack', ...args, (...a) => resolve(a))),
        5000,
        'binary ack',
      );
      assert.deepStrictEqual(normalizeBinary(got), args);
    });

    test('"/custom" namespace receives "auth"', async () => {
      const socket = client(server.url + '/custom', { ...opts, auth: { token: 'xyz' } });
      const [auth] = await waitFor(socket, 'auth');
      assert.deepStrictEqual(auth, { token: 'xyz' });
      assert.equal(socket.nsp, '/custom');
    });

    test('"/" and "/custom" multiplexed on one connection each receive their own "auth"', async () => {
      const manager = new Manager(server.url, { ...opts, reconnection: false, timeout: 5000 });
      const main = manager.socket('/', { auth: { token: 'main' } });
      const custom = manager.socket('/custom', { auth: { token: 'custom' } });
      try {
        const [[a], [b]] = await Promise.all([waitFor(main, 'auth'), waitFor(custom, 'auth')]);
        assert.deepStrictEqual(a, { token: 'main' });
        assert.deepStrictEqual(b, { token: 'custom' });
        // The main namespace still echoes once "/custom" is connected on the same session.
        const back = waitFor(main, 'message-back');
        main.emit('message', 'after multiplex');
        assert.deepStrictEqual(await back, ['after multiplex']);
        // Leaving "/custom" keeps the connection and "/" alive.
        custom.disconnect();
        const back2 = waitFor(main, 'message-back');
        main.emit('message', 'after leaving /custom');
        assert.deepStrictEqual(await back2, ['after leaving /custom']);
      } finally {
        main.disconnect();
        custom.disconnect();
        manager.engine?.close();
      }
    });

    test('an unknown namespace gets connect_error "Invalid namespace"', async () => {
      const socket = client(server.url + '/random', opts);
      const [err] = await waitFor(socket, 'connect_error');
      assert.ok(err instanceof Error);
      assert.equal(err.message, 'Invalid namespace');
      assert.equal(socket.connected, false);
    });

    test('200 messages in a burst come back exactly once and in order', async () => {
      const socket = await connected();
      const got = [];
      const done = new Promise((resolve) => {
        socket.on('message-back', (n) => {
          got.push(n);
          if (got.length === 200) resolve();
        });
      });
      for (let i = 0; i < 200; i++) socket.emit('message', i);
      await withTimeout(done, 10_000, '200 echoes');
      assert.deepStrictEqual(got, Array.from({ length: 200 }, (_, i) => i));
    });

    test('the connection survives several heartbeats (ping interval 300 ms)', async () => {
      const socket = await connected();
      let pings = 0;
      socket.io.engine.on('ping', () => pings++);
      await new Promise((resolve) => setTimeout(resolve, 1300));
      assert.equal(socket.connected, true);
      assert.ok(pings >= 3, `expected at least 3 pings in 1.3 s, got ${pings}`);
      const back = waitFor(socket, 'message-back');
      socket.emit('message', 'still here');
      assert.deepStrictEqual(await back, ['still here']);
    });

    test('a client disconnect is clean and a new connection works afterwards', async () => {
      const first = await connected();
      const firstId = first.id;
      first.disconnect();
      const second = await connected();
      assert.notEqual(second.id, firstId);
      const back = waitFor(second, 'message-back');
      second.emit('message', 'again');
      assert.deepStrictEqual(await back, ['again']);
    });
  });
}
