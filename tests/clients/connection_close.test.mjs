// RFC 9112 section 9.6: when the server closes the connection after a response, that response
// says `Connection: close`, on every path: a polling handshake, a poll answered at once, a poll
// held and answered later, and requests in HTTP/1.0 (which closes by default). Without the header
// a keep-alive client sends its next request on a dying socket ("socket hang up").
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import http from 'node:http';
import { rawTcp, receivedUntil, serverKind, startServer, stopServer, test, withTimeout } from './harness.mjs';

function parseResponse(buf) {
  const text = buf.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = text.slice(0, end);
  const m = /content-length:\s*(\d+)/i.exec(head);
  const len = m ? Number(m[1]) : 0;
  if (text.length < end + 4 + len) return null;
  return { status: Number(head.split(' ')[1]), head, body: text.slice(end + 4, end + 4 + len) };
}

describe(`Connection: close on every response path against ${serverKind}`, () => {
  let server;
  before(async () => {
    server = await startServer('conformance', ['--ping-interval', '20000']);
  });
  after(async () => {
    await stopServer(server);
  });

  const target = (sid) => `/socket.io/?EIO=4&transport=polling${sid ? `&sid=${sid}` : ''}`;

  // Sends one raw request and resolves with its response once the server has closed the socket.
  async function once(request) {
    const socket = await rawTcp(server);
    socket.write(request);
    await withTimeout(socket.ended, 5000, `the server closing after: ${request.split('\r\n')[0]}`);
    const res = parseResponse(socket.received);
    assert.ok(res, `a complete response: ${socket.received.toString('latin1')}`);
    return res;
  }

  async function handshake() {
    const res = await fetch(`${server.url}${target()}`);
    const text = await res.text();
    return JSON.parse(text.slice(1)).sid;
  }

  for (const [name, line, extra] of [
    ['HTTP/1.1 with Connection: close', 'HTTP/1.1', 'Connection: close\r\n'],
    ['HTTP/1.0', 'HTTP/1.0', ''],
  ]) {
    test(`${name}: the polling handshake`, async () => {
      const res = await once(`GET ${target()} ${line}\r\nHost: x\r\n${extra}\r\n`);
      assert.equal(res.status, 200);
      assert.match(res.body, /^0\{/);
      assert.match(res.head, /\r\nConnection: close(\r\n|$)/i);
    });

    test(`${name}: a poll answered at once`, async () => {
      const sid = await handshake();
      // The CONNECT answer waits in the session, so the next GET is answered at once.
      const post = await fetch(`${server.url}${target(sid)}`, { method: 'POST', body: '40' });
      assert.equal(await post.text(), 'ok');
      const res = await once(`GET ${target(sid)} ${line}\r\nHost: x\r\n${extra}\r\n`);
      assert.equal(res.status, 200);
      assert.match(res.body, /^40\{/);
      assert.match(res.head, /\r\nConnection: close(\r\n|$)/i);
    });

    test(`${name}: a poll held, then answered`, async () => {
      const sid = await handshake();
      const socket = await rawTcp(server);
      socket.write(`GET ${target(sid)} ${line}\r\nHost: x\r\n${extra}\r\n`);
      // Proves the GET was read and is held: the answer can only come from this later POST.
      const post = await fetch(`${server.url}${target(sid)}`, { method: 'POST', body: '40' });
      assert.equal(await post.text(), 'ok');
      await receivedUntil(socket, (buf) => parseResponse(buf) !== null);
      await withTimeout(socket.ended, 5000, 'the server closing the held poll connection');
      const res = parseResponse(socket.received);
      assert.match(res.body, /^40\{/);
      assert.match(res.head, /\r\nConnection: close(\r\n|$)/i);
    });
  }

  test('a keep-alive agent reuses a connection only while the server keeps it', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const request = (path, headers = {}) =>
      new Promise((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: server.port, path, agent, headers }, (res) => {
          let body = '';
          res.setEncoding('latin1');
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode, body, connection: res.headers.connection }));
        });
        req.on('error', reject);
      });
    for (let i = 0; i < 20; i++) {
      const first = await request(target(), { Connection: 'close' });
      assert.equal(first.status, 200);
      assert.equal(first.connection, 'close');
      const second = await request(target());
      assert.equal(second.status, 200, 'no "socket hang up" on the next request');
    }
    agent.destroy();
  });
});
