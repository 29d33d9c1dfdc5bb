// Requests pipelined behind a held long-poll GET on one keep-alive connection. When another
// connection's packet answers the held GET, the requests behind it are parsed only after that
// packet's handling is over (they may end the very session it is using), and they are answered in
// order on their connection. Against the ASan build these were use-after-frees: a pipelined close
// ("1") freed the Socket.IO client while the CONNECT answer, or a binary echo's attachment loop,
// was still running on it.
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { connect, isReference, rawTcp, receivedUntil, serverKind, startServer, stopServer, test, withTimeout } from './harness.mjs';

const SEP = '\x1e';

// Splits raw HTTP/1.1 responses (Content-Length bodies only, as both servers send them here).
function responses(buf) {
  const out = [];
  let text = buf.toString('latin1');
  for (;;) {
    const end = text.indexOf('\r\n\r\n');
    if (end < 0) break;
    const head = text.slice(0, end);
    const m = /content-length:\s*(\d+)/i.exec(head);
    const len = m ? Number(m[1]) : 0;
    if (text.length < end + 4 + len) break;
    out.push({ status: Number(head.split(' ')[1]), head, body: text.slice(end + 4, end + 4 + len) });
    text = text.slice(end + 4 + len);
  }
  return out;
}

// Node's HTTP server handles pipelined requests as they arrive (the pipelined close ends the session
// before the held GET is answered), so the ordering checked here is ringcast's own.
const skip = isReference && 'the reference handles pipelined requests concurrently';

describe(`pipelined requests behind a held poll against ${serverKind}`, { skip }, () => {
  let server;
  before(async () => {
    // One shard, so the order in which the server reads the connections is the order we write them
    // (a round trip on a third connection proves the first one was read); no ping meanwhile.
    server = await startServer('conformance', ['--shards', '1', '--ping-interval', '20000']);
  });
  after(async () => {
    await stopServer(server);
  });

  const target = (sid) => `/socket.io/?EIO=4&transport=polling${sid ? `&sid=${sid}` : ''}`;
  const get = (sid) => `GET ${target(sid)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
  const post = (sid, body) =>
    `POST ${target(sid)} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain;charset=UTF-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

  async function handshake() {
    const res = await fetch(`${server.url}${target()}`);
    const text = await res.text();
    assert.equal(res.status, 200, text);
    return JSON.parse(text.slice(1)).sid;
  }

  async function roundTrip() {
    const res = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling&sid=nosuchsession`);
    await res.text();
  }

  // Holds a GET for `sid` on a raw connection with a POST of `behind` pipelined after it, makes sure
  // the server has read both, then has `trigger` POSTed on another connection. Returns the raw
  // connection's responses once it has two.
  async function heldThenTrigger(sid, behind, trigger) {
    const a = await rawTcp(server);
    a.write(get(sid) + post(sid, behind));
    await roundTrip();
    const res = await fetch(`${server.url}${target(sid)}`, { method: 'POST', body: trigger });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok');
    await receivedUntil(a, (buf) => responses(buf).length >= 2);
    const got = responses(a.received);
    a.destroy();
    return got;
  }

  test('a CONNECT answering the held GET, then a pipelined close: both answered in order', async () => {
    for (let round = 0; round < 5; round++) {
      const sid = await handshake();
      const [first, second] = await heldThenTrigger(sid, '1', '40');
      assert.equal(first.status, 200, first.body);
      assert.match(first.body, /^40\{"sid":"[^"]+"\}$/, 'the held GET carries the CONNECT answer');
      assert.equal(second.status, 200, second.body);
      assert.equal(second.body, 'ok', 'the pipelined POST is answered after the GET');
      // The pipelined "1" ended the session.
      const res = await fetch(`${server.url}${target(sid)}`);
      assert.equal(res.status, 400);
      await res.text();
    }
  });

  test('a binary echo answering the held GET, then a pipelined close', async () => {
    for (let round = 0; round < 5; round++) {
      const sid = await handshake();
      // Connect the namespace first and take the CONNECT answer.
      let res = await fetch(`${server.url}${target(sid)}`, { method: 'POST', body: '40' });
      assert.equal(await res.text(), 'ok');
      res = await fetch(`${server.url}${target(sid)}`);
      assert.match(await res.text(), /^40/);
      // message(<3 bytes>) -> message-back with the same attachment: a text frame, then a binary one.
      const event = `451-["message",{"_placeholder":true,"num":0}]${SEP}b${Buffer.from([1, 2, 3]).toString('base64')}`;
      const [first, second] = await heldThenTrigger(sid, '1', event);
      assert.equal(first.status, 200, first.body);
      assert.ok(first.body.startsWith('451-["message-back"'), first.body);
      assert.equal(second.body, 'ok');
    }
  });

  test('the server still serves new clients afterwards', async () => {
    const socket = await connect(server.url, { transports: ['polling'] });
    assert.ok(socket.connected);
    socket.disconnect();
  });
});
