// Automatic reconnection after the connection is lost. The conformance profile has no event that
// makes the server disconnect a client, so the loss is produced two deterministic ways:
//  1. client side: the client's TCP socket is destroyed abruptly (no close frame, no FIN
//     handshake first) through the `ws` WebSocket the engine.io-client transport holds;
//  2. server side: the client stops answering pings (engine.io-client's internal `_sendPacket`,
//     pinned engine.io-client 6.6, drops "pong"), so the server must close the session after
//     pingInterval + pingTimeout (300 + 200 ms). The client's own heartbeat check would fire only
//     later (it waits pingInterval + pingTimeout after the last ping it got, i.e. >= 800 ms), so
//     the reason seen by the client shows that the server closed it ("transport close"), not the
//     client ("ping timeout").
// In every case the client reconnects by itself and can emit again.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe } from 'node:test';
import { client, closeClients, serverKind, startServer, stopServer, waitFor, withTimeout, test } from './harness.mjs';

const RECONNECT = { reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 100, randomizationFactor: 0 };

describe(`reconnection against ${serverKind}`, () => {
  let server;
  before(async () => {
    server = await startServer('conformance');
  });
  afterEach(() => closeClients());
  after(async () => {
    closeClients();
    await stopServer(server);
  });

  async function echo(socket, value) {
    const back = waitFor(socket, 'message-back');
    socket.emit('message', value);
    assert.deepStrictEqual(await back, [value]);
  }

  test('an abruptly destroyed TCP connection (websocket) reconnects and emits again', async () => {
    const socket = client(server.url, { transports: ['websocket'], ...RECONNECT, auth: { token: 'abc' } });
    await waitFor(socket, 'auth');
    await echo(socket, 'before');
    const firstId = socket.id;
    const tcp = socket.io.engine.transport.ws?._socket;
    assert.ok(tcp && typeof tcp.destroy === 'function', 'engine.io-client/ws internals changed: no transport.ws._socket');

    const disconnected = waitFor(socket, 'disconnect', 3000);
    const reconnected = waitFor(socket.io, 'reconnect', 5000);
    const auth = waitFor(socket, 'auth', 5000);
    tcp.destroy();
    const [reason] = await disconnected;
    assert.equal(reason, 'transport close');
    await reconnected;
    assert.deepStrictEqual((await auth)[0], { token: 'abc' }, 'the auth payload is sent again on reconnection');
    assert.equal(socket.connected, true);
    assert.notEqual(socket.id, firstId);
    await echo(socket, 'after');
  });

  for (const [label, transports] of [['websocket', ['websocket']], ['polling', ['polling']]]) {
    test(`the server closes a ${label} session whose pongs stop; the client reconnects and emits again`, async (t) => {
      const socket = client(server.url, { transports, ...RECONNECT });
      await waitFor(socket, 'connect');
      await echo(socket, 'before');
      const engine = socket.io.engine;
      assert.equal(typeof engine._sendPacket, 'function', 'engine.io-client internals changed: no Socket#_sendPacket');
      const send = engine._sendPacket;
      let pingsIgnored = 0;
      engine._sendPacket = function (type, ...rest) {
        if (type === 'pong') {
          pingsIgnored++;
          return;
        }
        return send.call(this, type, ...rest);
      };
      const started = performance.now();
      const [reason] = await waitFor(socket, 'disconnect', 3000);
      const elapsed = performance.now() - started;
      t.diagnostic(`disconnect reason "${reason}" ${elapsed.toFixed(0)} ms after pongs stopped`);
      assert.ok(pingsIgnored >= 1, 'a ping arrived and was not answered');
      assert.notEqual(reason, 'ping timeout', 'the server, not the client, must end the session');
      assert.ok(['transport close', 'transport error'].includes(reason), `unexpected reason ${reason}`);
      assert.ok(elapsed < 1500, `server closed the session after ${elapsed.toFixed(0)} ms`);
      await withTimeout(new Promise((resolve) => socket.once('connect', resolve)), 5000, 'reconnect');
      await echo(socket, 'after');
    });
  }

  test('a client that keeps answering pings is never disconnected (2 s, websocket and polling)', async () => {
    const ws = client(server.url, { transports: ['websocket'], ...RECONNECT });
    const polling = client(server.url, { transports: ['polling'], ...RECONNECT });
    await Promise.all([waitFor(ws, 'connect'), waitFor(polling, 'connect')]);
    let disconnects = 0;
    ws.on('disconnect', () => disconnects++);
    polling.on('disconnect', () => disconnects++);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.equal(disconnects, 0);
    await echo(ws, 'ws ok');
    await echo(polling, 'polling ok');
  });
});
