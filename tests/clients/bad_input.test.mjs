// Bad input over raw TCP and WebSocket: malformed HTTP, oversized headers, WebSocket protocol
// violations (RFC 6455 close codes), oversized messages, invalid UTF-8, invalid Engine.IO /
// Socket.IO packets. Each case must get its precise error or close code, and a healthy
// socket.io-client connected beforehand must keep working after each one.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, afterEach, before, describe } from 'node:test';
import {
  MAX_PAYLOAD, closeClients, connect, engineWs, rawTcp, receivedUntil, serverKind, startServer, stopServer,
  waitFor, withTimeout, test
} from './harness.mjs';

// ---- WebSocket framing by hand (the `ws` client refuses to send most violations) ----

function frame(opcode, payload = Buffer.alloc(0), { mask = true, fin = true, rsv = 0 } = {}) {
  payload = Buffer.from(payload);
  const len = payload.length;
  const head = [((fin ? 0x80 : 0) | (rsv << 4) | opcode) & 0xff];
  const maskBit = mask ? 0x80 : 0;
  if (len < 126) head.push(maskBit | len);
  else if (len < 65536) head.push(maskBit | 126, len >> 8, len & 0xff);
  else {
    head.push(maskBit | 127, 0, 0, 0, 0);
    head.push((len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), payload]);
  const key = crypto.randomBytes(4);
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = payload[i] ^ key[i & 3];
  return Buffer.concat([Buffer.from(head), key, masked]);
}

// Parses the (unmasked) frames a server sent; stops at an incomplete frame.
function parseFrames(buf) {
  const frames = [];
  let off = 0;
  while (buf.length - off >= 2) {
    const b0 = buf[off];
    const b1 = buf[off + 1];
    let len = b1 & 0x7f;
    let p = off + 2;
    if (len === 126) {
      if (buf.length < p + 2) break;
      len = buf.readUInt16BE(p);
      p += 2;
    } else if (len === 127) {
      if (buf.length < p + 8) break;
      len = Number(buf.readBigUInt64BE(p));
      p += 8;
    }
    if (b1 & 0x80) p += 4; // a server must not mask, but skip a key anyway
    if (buf.length < p + len) break;
    frames.push({ fin: !!(b0 & 0x80), opcode: b0 & 0x0f, masked: !!(b1 & 0x80), payload: buf.subarray(p, p + len) });
    off = p + len;
  }
  return frames;
}

// Opens a WebSocket by hand on `path`; resolves with the raw socket once the 101 is read, with
// `socket.received` holding the bytes after the response head.
async function rawWebSocket(server, path) {
  const sock = await rawTcp(server);
  const key = crypto.randomBytes(16).toString('base64');
  sock.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const buf = await receivedUntil(sock, (b) => b.includes('\r\n\r\n'));
  const end = buf.indexOf('\r\n\r\n') + 4;
  const head = buf.subarray(0, end).toString('latin1');
  assert.match(head, /^HTTP\/1\.1 101 /, head);
  const accept = crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  assert.match(head, new RegExp(`sec-websocket-accept: ${accept.replace(/[+/=]/g, '\\$&')}\r\n`, 'i'));
  sock.received = buf.subarray(end);
  return sock;
}

// Waits for the server's close frame; returns its status code (or null when it has none), then
// answers it and expects the TCP connection to be closed by the server.
async function expectCloseFrame(sock, ms = 5000) {
  const buf = await receivedUntil(sock, (b) => parseFrames(b).some((f) => f.opcode === 8), ms);
  const close = parseFrames(buf).find((f) => f.opcode === 8);
  assert.equal(close.masked, false, 'server frames are never masked');
  const code = close.payload.length >= 2 ? close.payload.readUInt16BE(0) : null;
  if (!sock.destroyed) sock.write(frame(8, close.payload.subarray(0, 2)));
  await withTimeout(sock.ended, 3000, 'server closes the TCP connection after the close frame');
  return code;
}

describe(`bad input against ${serverKind}`, () => {
  let server;
  let healthy;
  let healthyCount = 0;
  const opened = [];

  before(async () => {
    server = await startServer('conformance');
    healthy = await connect(server.url, { transports: ['websocket'] });
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) s.destroy?.() ?? s.close?.();
    // The healthy client connected before the bad one still works.
    const n = ++healthyCount;
    const back = waitFor(healthy, 'message-back', 3000);
    healthy.emit('message', 'healthy', n);
    assert.deepStrictEqual(await back, ['healthy', n]);
    // And a new connection can be made.
    const fresh = await connect(server.url, { transports: ['websocket'] });
    const back2 = waitFor(fresh, 'message-back', 3000);
    fresh.emit('message', 'fresh', n);
    assert.deepStrictEqual(await back2, ['fresh', n]);
    fresh.disconnect();
  });
  after(async () => {
    for (const s of opened.splice(0)) s.destroy?.() ?? s.close?.();
    closeClients();
    await stopServer(server);
  });

  async function tcp() {
    const sock = await rawTcp(server);
    opened.push(sock);
    return sock;
  }

  async function ws(path) {
    const sock = await rawWebSocket(server, path);
    opened.push(sock);
    return sock;
  }

  function statusOf(buf) {
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(buf.toString('latin1'));
    return m ? Number(m[1]) : null;
  }

  describe('HTTP', () => {
    for (const [label, request] of [
      ['a malformed request line', 'GARBAGE\r\n\r\n'],
      ['a request line with a bad version', 'GET /socket.io/ HTPT/1.1\r\nHost: x\r\n\r\n'],
      ['a header line without a colon', 'GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n'],
    ]) {
      test(`${label} -> HTTP 400 and the connection is closed`, async () => {
        const sock = await tcp();
        sock.write(request);
        const buf = await receivedUntil(sock, (b) => b.includes('\r\n\r\n'));
        assert.equal(statusOf(buf), 400, buf.toString('latin1'));
        await withTimeout(sock.ended, 3000, 'connection closed after 400');
      });
    }

    test('a header section over 16 KiB -> HTTP 431 and the connection is closed', async () => {
      const sock = await tcp();
      sock.write(`GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`);
      const buf = await receivedUntil(sock, (b) => b.includes('\r\n\r\n'));
      assert.equal(statusOf(buf), 431, buf.toString('latin1').slice(0, 200));
      await withTimeout(sock.ended, 3000, 'connection closed after 431');
    });

    test('many headers adding up to over 16 KiB -> HTTP 431', async () => {
      const sock = await tcp();
      let req = 'GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n';
      for (let i = 0; i < 200; i++) req += `X-H${i}: ${'v'.repeat(90)}\r\n`;
      sock.write(req + '\r\n');
      const buf = await receivedUntil(sock, (b) => b.includes('\r\n\r\n'));
      assert.equal(statusOf(buf), 431, buf.toString('latin1').slice(0, 200));
      await withTimeout(sock.ended, 3000, 'connection closed after 431');
    });

    test('a header section just under the limit (12 KiB, sent in pieces) is accepted', async () => {
      const sock = await tcp();
      const req = `GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(12 * 1024)}\r\n\r\n`;
      for (let i = 0; i < req.length; i += 1000) {
        sock.write(req.slice(i, i + 1000));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const buf = await receivedUntil(sock, (b) => b.includes('\r\n\r\n'));
      assert.equal(statusOf(buf), 200, buf.toString('latin1').slice(0, 200));
    });
  });

  describe('WebSocket framing (RFC 6455)', () => {
    test('an unmasked client frame on /ws-echo -> close 1002', async () => {
      const sock = await ws('/ws-echo');
      sock.write(frame(1, 'unmasked', { mask: false }));
      assert.equal(await expectCloseFrame(sock), 1002);
    });

    test('an unmasked client frame on /socket.io/ -> close 1002', async () => {
      const sock = await ws('/socket.io/?EIO=4&transport=websocket');
      sock.write(frame(1, '40', { mask: false }));
      assert.equal(await expectCloseFrame(sock), 1002);
    });

    test('RSV1 set without a negotiated extension -> close 1002', async () => {
      const sock = await ws('/ws-echo');
      sock.write(frame(1, 'rsv', { rsv: 4 }));
      assert.equal(await expectCloseFrame(sock), 1002);
    });

    test('a reserved opcode (0x3) -> close 1002', async () => {
      const sock = await ws('/ws-echo');
      sock.write(frame(3, 'x'));
      assert.equal(await expectCloseFrame(sock), 1002);
    });

    test('a fragmented control frame -> close 1002', async () => {
      const sock = await ws('/ws-echo');
      sock.write(frame(9, 'ping', { fin: false }));
      assert.equal(await expectCloseFrame(sock), 1002);
    });

    test('a control frame with a payload over 125 bytes -> close 1002', async () => {
      const sock = await ws('/ws-echo');
      sock.write(frame(9, Buffer.alloc(126, 1)));
      assert.equal(await expectCloseFrame(sock), 1002);
    });

    test('a continuation frame without a message in progress -> close 1002', async () => {
      const sock = await ws('/ws-echo');
      sock.write(frame(0, 'orphan'));
      assert.equal(await expectCloseFrame(sock), 1002);
    });

    test('the raw /ws-echo socket echoes a well-formed fragmented message and answers a ping', async () => {
      const sock = await ws('/ws-echo');
      sock.write(Buffer.concat([frame(1, 'hel', { fin: false }), frame(9, 'p'), frame(0, 'lo')]));
      const buf = await receivedUntil(sock, (b) => parseFrames(b).filter((f) => f.opcode === 10 || f.opcode === 1).length >= 2);
      const frames = parseFrames(buf);
      const pong = frames.find((f) => f.opcode === 10);
      assert.equal(pong.payload.toString(), 'p');
      const text = frames.filter((f) => f.opcode === 1 || f.opcode === 0).map((f) => f.payload.toString()).join('');
      assert.equal(text, 'hello');
      sock.write(frame(8, Buffer.from([0x03, 0xe8])));
      assert.equal(await expectCloseFrame(sock), 1000);
    });
  });

  describe('WebSocket payloads', () => {
    test(`a message over maxPayload (${MAX_PAYLOAD} bytes) on /socket.io/ -> close 1009`, async () => {
      const { ws: client } = await engineWs(server, '/socket.io/');
      opened.push(client);
      client.send('40');
      await client.nextNonPing();
      client.send('42["message","' + 'x'.repeat(MAX_PAYLOAD) + '"]');
      const { code } = await withTimeout(client.closed, 5000, 'close 1009');
      assert.equal(code, 1009);
    });

    // The server reads and drops the rest of the message after its close frame, and closes only on
    // the client's EOF: closing with the client's bytes unread would reset the connection and
    // the client could lose the close frame (1006 instead of 1009).
    test('a ~2 MB message over maxPayload gets close 1009 every time (20 runs)', { timeout: 120_000 }, async () => {
      const big = '42["message","' + 'x'.repeat(2 * MAX_PAYLOAD) + '"]';
      const codes = [];
      for (let i = 0; i < 20; i++) {
        const { ws: client } = await engineWs(server, '/socket.io/');
        opened.push(client);
        client.send('40');
        await client.nextNonPing();
        client.send(big);
        const { code } = await withTimeout(client.closed, 10_000, `close 1009 (run ${i})`);
        codes.push(code);
      }
      assert.deepEqual(codes, Array(20).fill(1009));
    });

    test('a message of exactly maxPayload bytes on /socket.io/ is accepted', async () => {
      const { ws: client } = await engineWs(server, '/socket.io/');
      opened.push(client);
      client.send('40');
      await client.nextNonPing();
      await client.nextNonPing(); // auth
      const prefix = '42["message","';
      const suffix = '"]';
      const body = 'y'.repeat(MAX_PAYLOAD - prefix.length - suffix.length);
      client.send(prefix + body + suffix);
      const back = await client.nextNonPing(10_000);
      assert.equal(back, '42["message-back","' + body + '"]');
    });

    test('invalid UTF-8 in a text frame on /socket.io/ -> close 1007', async () => {
      const { ws: client } = await engineWs(server, '/socket.io/');
      opened.push(client);
      client.send(Buffer.from([0x34, 0x32, 0x5b, 0x22, 0xc3, 0x28, 0x22, 0x5d]), { binary: false }); // 42["\xc3("]
      const { code } = await withTimeout(client.closed, 5000, 'close 1007');
      assert.equal(code, 1007);
    });

    test('invalid UTF-8 in a text frame on /ws-echo -> close 1007', async () => {
      const sock = await ws('/ws-echo');
      sock.write(frame(1, Buffer.from([0x68, 0x69, 0xed, 0xa0, 0x80]))); // "hi" + an encoded surrogate
      assert.equal(await expectCloseFrame(sock), 1007);
    });

    test('invalid UTF-8 split across fragments on /ws-echo -> close 1007', async () => {
      const sock = await ws('/ws-echo');
      sock.write(Buffer.concat([frame(1, Buffer.from([0x61, 0xf0, 0x9f]), { fin: false }), frame(0, Buffer.from([0x41]))]));
      assert.equal(await expectCloseFrame(sock), 1007);
    });
  });

  describe('Engine.IO / Socket.IO packets', () => {
    async function connectedRaw() {
      const { ws: client } = await engineWs(server, '/socket.io/');
      opened.push(client);
      client.send('40');
      assert.match(await client.nextNonPing(), /^40\{/);
      assert.equal(await client.nextNonPing(), '42["auth",{}]');
      return client;
    }

    for (const [label, packet] of [
      ['an unknown Socket.IO packet type ("49")', '49'],
      ['an EVENT with malformed JSON ("42[")', '42["message"'],
      ['an EVENT whose payload is not an array', '42{"a":1}'],
      ['an EVENT whose name is not a string', '42[1,2]'],
      ['an unknown Engine.IO packet type ("9")', '9'],
      ['an Engine.IO ping from the client ("2"): wrong heartbeat direction', '2'],
    ]) {
      test(`${label} -> the server closes the connection`, async () => {
        const client = await connectedRaw();
        client.send(packet);
        await withTimeout(client.closed, 3000, 'close');
      });
    }

    test('a text packet where a binary attachment is expected -> the server closes the connection', async () => {
      const client = await connectedRaw();
      client.send('451-["message",{"_placeholder":true,"num":0}]');
      client.send('42["message","not binary"]');
      await withTimeout(client.closed, 3000, 'close');
    });

    test('a placeholder pointing past the attachments -> the server closes the connection', async () => {
      const client = await connectedRaw();
      client.send('451-["message",{"_placeholder":true,"num":5}]');
      client.send(Buffer.from([1, 2, 3]));
      await withTimeout(client.closed, 3000, 'close');
    });
  });
});
