// permessage-deflate (RFC 7692) on /ws-echo: ringcast accepts a client's offer and inflates what
// the client compresses, capping the inflated size (a small "bomb" gets close code 1009). The
// reference `ws` server declines the extension by default, so these run against ringcast only.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { RawWs, isReference, serverKind, startServer, stopServer, withTimeout, MAX_PAYLOAD } from './harness.mjs';

describe(`permessage-deflate against ${serverKind}`, { skip: isReference && 'the reference declines permessage-deflate' }, () => {
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

  async function open() {
    // threshold 0: the client compresses every message once the extension is agreed.
    const ws = new RawWs(`${server.wsUrl}/ws-echo`, { perMessageDeflate: { threshold: 0 } });
    sockets.push(ws);
    await withTimeout(ws.opened, 5000, 'open');
    return ws;
  }

  test('the offer is accepted and compressed messages arrive intact', async () => {
    const ws = await open();
    assert.match(ws.ws.extensions, /permessage-deflate/);
    const text = 'compressible '.repeat(10_000) + '✓';
    ws.send(text);
    assert.equal(await ws.next(), text);
    const bytes = Buffer.alloc(200_000, 0xab);
    ws.send(bytes);
    assert.deepStrictEqual(await ws.next(), bytes);
  });

  test('a message that inflates past the cap is refused with 1009 and the connection closes', async () => {
    const healthy = await open();
    const ws = await open();
    // About 2 KB on the wire, twice the cap once inflated.
    ws.send(Buffer.alloc(2 * MAX_PAYLOAD, 0));
    const closed = await withTimeout(ws.closed, 5000, 'close after the bomb');
    assert.equal(closed.code, 1009);
    healthy.send('still here');
    assert.equal(await healthy.next(), 'still here');
  });
});
