// socket.io-client with the default transports: HTTP long-polling first, then the upgrade to
// WebSocket. Runs the shared conformance cases, then checks that messages sent across the upgrade
// moment arrive exactly once and in order.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe } from 'node:test';
import { socketioSuite } from './socketio-cases.mjs';
import { client, closeClients, serverKind, sleep, startServer, stopServer, waitFor, withTimeout, test } from './harness.mjs';

socketioSuite('polling then websocket', {});

describe(`upgrade from polling to websocket against ${serverKind}`, () => {
  let server;
  before(async () => {
    server = await startServer('conformance');
  });
  afterEach(() => closeClients());
  after(async () => {
    closeClients();
    await stopServer(server);
  });

  function collect(socket, count) {
    const got = [];
    const done = new Promise((resolve) => {
      socket.on('message-back', (n) => {
        got.push(n);
        if (got.length === count) resolve();
      });
    });
    return { got, done };
  }

  const expected = Array.from({ length: 200 }, (_, i) => i);

  // The upgrade normally completes before the Socket.IO CONNECT reply arrives, so to have traffic
  // on both sides of it the probe is held back: the engine.io-client internal `_probe` (pinned
  // engine.io-client 6.6) is wrapped so the WebSocket probe starts only once 60 messages went out
  // over long-polling. Messages 60.. are sent every millisecond while the probe, the pause of the
  // polling transport and the switch happen, and after it.
  test('200 numbered messages spanning the upgrade come back exactly once, in order', async (t) => {
    const socket = client(server.url, {});
    const engine = socket.io.engine;
    assert.equal(typeof engine._probe, 'function', 'engine.io-client internals changed: no Socket#_probe');
    let releaseProbe;
    const gate = new Promise((resolve) => (releaseProbe = resolve));
    const probe = engine._probe;
    engine._probe = function (name) {
      gate.then(() => probe.call(this, name));
    };
    let sent = 0;
    let upgradingAt = -1;
    let upgradedAt = -1;
    engine.on('upgrading', () => (upgradingAt = sent));
    engine.on('upgrade', () => (upgradedAt = sent));

    await withTimeout(new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    }), 5000, 'connect');
    assert.equal(engine.transport.name, 'polling');

    const { got, done } = collect(socket, 200);
    for (let i = 0; i < 200; i++) {
      if (i === 60) releaseProbe();
      if (i === 180 && upgradedAt < 0) await waitFor(engine, 'upgrade', 5000);
      socket.emit('message', i);
      sent++;
      if (i >= 50) await sleep(1);
    }
    await withTimeout(done, 10_000, `200 echoes (got ${got.length})`);
    await sleep(100); // nothing extra may trail in
    t.diagnostic(`probe released after 60 messages; upgrading at ${upgradingAt}, upgraded at ${upgradedAt}`);
    assert.deepStrictEqual(got, expected);
    assert.equal(engine.transport.name, 'websocket');
    assert.ok(upgradingAt >= 60 && upgradedAt >= upgradingAt && upgradedAt < 200,
      `upgrade should happen mid-stream (upgrading at ${upgradingAt}, upgraded at ${upgradedAt})`);
    // And the session keeps working over WebSocket.
    const back = waitFor(socket, 'message-back');
    socket.emit('message', 'after upgrade');
    assert.deepStrictEqual(await back, ['after upgrade']);
  });

  test('without interference: 200 messages from connect on arrive in order and the transport ends as websocket', async () => {
    const socket = client(server.url, {});
    const { got, done } = collect(socket, 200);
    await waitFor(socket, 'connect');
    for (let i = 0; i < 200; i++) {
      socket.emit('message', i);
      if (i % 10 === 9) await sleep(1);
    }
    await withTimeout(done, 10_000, `200 echoes (got ${got.length})`);
    await sleep(100);
    assert.deepStrictEqual(got, expected);
    if (socket.io.engine.transport.name !== 'websocket') await waitFor(socket.io.engine, 'upgrade', 3000);
    assert.equal(socket.io.engine.transport.name, 'websocket');
  });

  test('messages emitted before the connection is established are delivered in order after it', async () => {
    const socket = client(server.url, {});
    const { got, done } = collect(socket, 50);
    for (let i = 0; i < 50; i++) socket.emit('message', i);
    await withTimeout(done, 10_000, `50 echoes (got ${got.length})`);
    assert.deepStrictEqual(got, expected.slice(0, 50));
  });
});
