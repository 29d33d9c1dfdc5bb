// The plain WebSocket echo endpoint /ws-echo of the conformance profile, with the `ws` client.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe } from 'node:test';
import { RawWs, serverKind, startServer, stopServer, withTimeout, test } from './harness.mjs';

describe(`/ws-echo against ${serverKind}`, () => {
  let server;
  const sockets = [];
  before(async () => {
    server = await startServer('conformance');
  });
  afterEach(() => {
    for (const ws of sockets.splice(0)) ws.close();
  });
  after(async () => {
    await stopServer(server);
  });

  async function open(options) {
    const ws = new RawWs(`${server.wsUrl}/ws-echo`, options);
    sockets.push(ws);
    await withTimeout(ws.opened, 5000, 'open');
    return ws;
  }

  test('text and binary messages are echoed with their type', async () => {
    const ws = await open();
    ws.send('hello ✓ 日本');
    assert.equal(await ws.next(), 'hello ✓ 日本');
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    ws.send(bytes);
    assert.deepStrictEqual(await ws.next(), bytes);
    ws.send('');
    assert.equal(await ws.next(), '');
  });

  test('large messages (64 KiB + 1 and 900 kB) are echoed intact', async () => {
    const ws = await open();
    const a = Buffer.alloc(65_537, 7);
    const b = 'z'.repeat(900_000);
    ws.send(a);
    ws.send(b);
    assert.deepStrictEqual(await ws.next(), a);
    assert.equal(await ws.next(10_000), b);
  });

  test('a fragmented message is echoed as one message', async () => {
    const ws = await open();
    ws.ws.send('frag', { fin: false });
    ws.ws.send('men', { fin: false });
    ws.ws.send('ted', { fin: true });
    assert.equal(await ws.next(), 'fragmented');
  });

  test('1,000 messages in a burst are echoed in order', async () => {
    const ws = await open();
    for (let i = 0; i < 1000; i++) ws.send(`m${i}`);
    for (let i = 0; i < 1000; i++) assert.equal(await ws.next(), `m${i}`);
  });

  test('a ping is answered with a pong carrying the same payload', async () => {
    const ws = await open();
    const pong = new Promise((resolve) => ws.ws.once('pong', (data) => resolve(data.toString())));
    ws.ws.ping('are you there');
    assert.equal(await withTimeout(pong, 3000, 'pong'), 'are you there');
  });

  test('a client offering permessage-deflate still gets its messages echoed', async () => {
    const ws = await open({ perMessageDeflate: true });
    const text = 'compress me '.repeat(1000);
    ws.send(text);
    assert.equal(await ws.next(), text);
  });

  test('the close handshake echoes the status code', async () => {
    const ws = await open();
    ws.ws.close(4000, 'bye');
    const { code } = await withTimeout(ws.closed, 3000, 'close');
    assert.equal(code, 4000);
  });
});
