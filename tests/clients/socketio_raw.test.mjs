// The Socket.IO v5 wire format on /socket.io/, driven with a raw WebSocket and raw long-polling:
// exact packets as the official socket.io-protocol test-suite expects them (EIO=4), plus the
// connect timeout of the conformance profile (--connect-timeout 1000).
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { CONNECT_TIMEOUT, engineWs, serverKind, startServer, stopServer, withTimeout, test } from './harness.mjs';

const SEP = '\x1e';

describe(`socket.io wire format against ${serverKind}`, () => {
  let server;
  const sockets = [];
  before(async () => {
    server = await startServer('conformance');
  });
  after(async () => {
    for (const ws of sockets) ws.close();
    await stopServer(server);
  });

  async function open() {
    const { ws } = await engineWs(server, '/socket.io/');
    sockets.push(ws);
    return ws;
  }

  function sidOf(packet, prefix) {
    assert.ok(packet.startsWith(prefix), `expected ${prefix}..., got ${packet}`);
    const body = JSON.parse(packet.slice(prefix.length));
    assert.deepStrictEqual(Object.keys(body), ['sid']);
    assert.equal(typeof body.sid, 'string');
    assert.ok(body.sid.length > 0);
    return body.sid;
  }

  // A connected Socket.IO session on "/" (CONNECT reply and "auth" consumed).
  async function connected() {
    const ws = await open();
    ws.send('40');
    sidOf(await ws.nextNonPing(), '40');
    assert.equal(await ws.nextNonPing(), '42["auth",{}]');
    return ws;
  }

  describe('connect (WebSocket)', () => {
    test('"40" -> "40{sid}" then 42["auth",{}]', async () => {
      await connected();
    });

    test('"40{token}" -> auth with the payload', async () => {
      const ws = await open();
      ws.send('40{"token":"123"}');
      sidOf(await ws.nextNonPing(), '40');
      assert.equal(await ws.nextNonPing(), '42["auth",{"token":"123"}]');
    });

    test('"40/custom," -> "40/custom,{sid}" then 42/custom,["auth",{}]', async () => {
      const ws = await open();
      ws.send('40/custom,');
      sidOf(await ws.nextNonPing(), '40/custom,');
      assert.equal(await ws.nextNonPing(), '42/custom,["auth",{}]');
    });

    test('"40/custom,{token}" -> auth with the payload', async () => {
      const ws = await open();
      ws.send('40/custom,{"token":"abc"}');
      sidOf(await ws.nextNonPing(), '40/custom,');
      assert.equal(await ws.nextNonPing(), '42/custom,["auth",{"token":"abc"}]');
    });

    test('the Socket.IO sid differs from the Engine.IO sid and between namespaces', async () => {
      const { ws, open: eio } = await engineWs(server, '/socket.io/');
      sockets.push(ws);
      ws.send('40');
      const main = sidOf(await ws.nextNonPing(), '40');
      await ws.nextNonPing();
      ws.send('40/custom,');
      const custom = sidOf(await ws.nextNonPing(), '40/custom,');
      assert.notEqual(main, eio.sid);
      assert.notEqual(main, custom);
    });

    test('an unknown namespace -> 44/random,{"message":"Invalid namespace"} and the session stays usable', async () => {
      const ws = await open();
      ws.send('40/random,');
      assert.equal(await ws.nextNonPing(), '44/random,{"message":"Invalid namespace"}');
      ws.send('40');
      sidOf(await ws.nextNonPing(), '40');
      assert.equal(await ws.nextNonPing(), '42["auth",{}]');
    });

    test('an invalid CONNECT ("4abc") closes the connection', async () => {
      const ws = await open();
      ws.send('4abc');
      await withTimeout(ws.closed, 3000, 'close');
    });

    test(`no CONNECT within connectTimeout (${CONNECT_TIMEOUT} ms) closes the connection`, async () => {
      const started = performance.now();
      const ws = await open();
      // Answer pings so only the connect timeout can end the session.
      const pump = (async () => {
        try {
          for (;;) await ws.nextNonPing(5000);
        } catch {}
      })();
      await withTimeout(ws.closed, CONNECT_TIMEOUT + 2000, 'close after connect timeout');
      const elapsed = performance.now() - started;
      await pump;
      assert.ok(elapsed >= CONNECT_TIMEOUT - 100, `closed after ${elapsed.toFixed(0)} ms`);
    });
  });

  describe('disconnect', () => {
    test('"41" from the only namespace closes the connection', async () => {
      const ws = await connected();
      ws.send('41');
      await withTimeout(ws.closed, 3000, 'close');
    });

    test('"41/custom," leaves /custom; "/" keeps working on the same connection', async () => {
      const ws = await connected();
      ws.send('40/custom,');
      sidOf(await ws.nextNonPing(), '40/custom,');
      assert.equal(await ws.nextNonPing(), '42/custom,["auth",{}]');
      ws.send('41/custom,');
      ws.send('42["message","message to main namespace"]');
      assert.equal(await ws.nextNonPing(), '42["message-back","message to main namespace"]');
    });
  });

  describe('messages (WebSocket)', () => {
    test('EVENT: 42["message",1,"2",{"3":[true]}] -> 42["message-back",1,"2",{"3":[true]}]', async () => {
      const ws = await connected();
      ws.send('42["message",1,"2",{"3":[true]}]');
      assert.equal(await ws.nextNonPing(), '42["message-back",1,"2",{"3":[true]}]');
    });

    test('BINARY_EVENT with two attachments is echoed with both attachments', async () => {
      const ws = await connected();
      ws.send('452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
      ws.send(Buffer.from([1, 2, 3]));
      ws.send(Buffer.from([4, 5, 6]));
      assert.equal(await ws.nextNonPing(), '452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
      assert.deepStrictEqual(await ws.nextNonPing(), Buffer.from([1, 2, 3]));
      assert.deepStrictEqual(await ws.nextNonPing(), Buffer.from([4, 5, 6]));
    });

    test('ACK: 421["message-with-ack",1,"2",{"3":[false]}] -> 431[1,"2",{"3":[false]}]', async () => {
      const ws = await connected();
      ws.send('421["message-with-ack",1,"2",{"3":[false]}]');
      assert.equal(await ws.nextNonPing(), '431[1,"2",{"3":[false]}]');
    });

    test('BINARY_ACK: 452-1["message-with-ack",...] -> 462-1[...] with both attachments', async () => {
      const ws = await connected();
      ws.send('452-1["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
      ws.send(Buffer.from([1, 2, 3]));
      ws.send(Buffer.from([4, 5, 6]));
      assert.equal(await ws.nextNonPing(), '462-1[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
      assert.deepStrictEqual(await ws.nextNonPing(), Buffer.from([1, 2, 3]));
      assert.deepStrictEqual(await ws.nextNonPing(), Buffer.from([4, 5, 6]));
    });

    test('an event with a large ack id is acknowledged with that id', async () => {
      const ws = await connected();
      ws.send('4212345678["message-with-ack","x"]');
      assert.equal(await ws.nextNonPing(), '4312345678["x"]');
    });
  });

  describe('long-polling', () => {
    const polling = (sid) => `${server.url}/socket.io/?EIO=4&transport=polling${sid ? `&sid=${sid}` : ''}`;

    async function packetsUntil(sid, count) {
      const packets = [];
      while (packets.length < count) {
        const res = await withTimeout(fetch(polling(sid)), 3000, 'GET');
        assert.equal(res.status, 200);
        for (const p of (await res.text()).split(SEP)) {
          if (p === '2') {
            await fetch(polling(sid), { method: 'POST', body: '3' }).then((r) => r.text());
            continue;
          }
          if (p !== '6') packets.push(p);
        }
      }
      return packets;
    }

    async function post(sid, body) {
      const res = await fetch(polling(sid), { method: 'POST', body });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'ok');
    }

    test('CONNECT, auth, EVENT and ACK over long-polling, several packets per payload', async () => {
      const res = await fetch(polling());
      const sid = JSON.parse((await res.text()).slice(1)).sid;
      await post(sid, '40{"token":"p"}');
      const [connectReply, auth] = await packetsUntil(sid, 2);
      sidOf(connectReply, '40');
      assert.equal(auth, '42["auth",{"token":"p"}]');
      await post(sid, ['42["message","a"]', '421["message-with-ack","b"]', '42["message","c"]'].join(SEP));
      assert.deepStrictEqual(await packetsUntil(sid, 3), ['42["message-back","a"]', '431["b"]', '42["message-back","c"]']);
    });

    test('BINARY_EVENT over long-polling: attachments as "b" + base64 packets', async () => {
      const res = await fetch(polling());
      const sid = JSON.parse((await res.text()).slice(1)).sid;
      await post(sid, '40');
      await packetsUntil(sid, 2);
      await post(sid, ['451-["message",{"_placeholder":true,"num":0}]', 'bAQID'].join(SEP));
      assert.deepStrictEqual(await packetsUntil(sid, 2), ['451-["message-back",{"_placeholder":true,"num":0}]', 'bAQID']);
    });
  });
});
