// The browser client the server hands out, as the Node server's serveClient does: every file of
// the pinned socket.io-client dist at /socket.io/, byte for byte, with a validator that turns a
// repeat into a 304, gzip for clients that take it, HEAD without a body, and 405 for other methods.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { after, before } from 'node:test';
import { startServer, stopServer, test } from './harness.mjs';

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../web/node_modules/socket.io-client/dist');
const files = ['socket.io.js', 'socket.io.min.js', 'socket.io.esm.min.js', 'socket.io.msgpack.min.js'].flatMap(
  (f) => [f, `${f}.map`]);

let server;
before(async () => { server = await startServer(); });
after(async () => { await stopServer(server); });

// A raw request, so nothing decodes or caches on our behalf.
function request(method, urlPath, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, method, path: urlPath, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('every client file is served byte for byte with its type and a validator', async () => {
  for (const f of files) {
    const res = await request('GET', `/socket.io/${f}`);
    assert.equal(res.status, 200, f);
    assert.ok(res.body.equals(readFileSync(path.join(dist, f))), `${f}: the bytes of the pinned package`);
    assert.match(res.headers['content-type'], f.endsWith('.map') ? /^application\/json/ : /^application\/javascript/);
    assert.match(res.headers.etag, /^"[^"]+"$/, `${f}: a strong ETag`);
    assert.equal(res.headers['content-encoding'], undefined, `${f}: identity without Accept-Encoding`);
  }
});

test('If-None-Match with the current ETag answers 304 without a body; another tag gets the file', async () => {
  const first = await request('GET', '/socket.io/socket.io.min.js');
  const again = await request('GET', '/socket.io/socket.io.min.js', { 'If-None-Match': first.headers.etag });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  assert.equal(again.headers.etag, first.headers.etag);
  const weak = await request('GET', '/socket.io/socket.io.min.js', { 'If-None-Match': `"x", W/${first.headers.etag}` });
  assert.equal(weak.status, 304, 'If-None-Match compares weakly');
  const other = await request('GET', '/socket.io/socket.io.min.js', { 'If-None-Match': '"not-it"' });
  assert.equal(other.status, 200);
  assert.equal(other.body.length, first.body.length);
});

test('a client that takes gzip gets the same bytes compressed, under their own ETag', async () => {
  const plain = await request('GET', '/socket.io/socket.io.js');
  const gz = await request('GET', '/socket.io/socket.io.js', { 'Accept-Encoding': 'gzip, deflate, br' });
  assert.equal(gz.status, 200);
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.match(gz.headers.vary, /Accept-Encoding/i);
  assert.ok(gz.body.length < plain.body.length / 2, `compressed: ${gz.body.length} of ${plain.body.length} bytes`);
  assert.ok(gunzipSync(gz.body).equals(plain.body));
  assert.notEqual(gz.headers.etag, plain.headers.etag);
  const refused = await request('GET', '/socket.io/socket.io.js', { 'Accept-Encoding': 'gzip;q=0, br' });
  assert.equal(refused.headers['content-encoding'], undefined, 'gzip;q=0 means not gzip');
  const revalidated = await request('GET', '/socket.io/socket.io.js',
    { 'Accept-Encoding': 'gzip', 'If-None-Match': gz.headers.etag });
  assert.equal(revalidated.status, 304);
});

test('HEAD carries the length without the body; other methods get 405 with Allow', async () => {
  const get = await request('GET', '/socket.io/socket.io.min.js');
  const head = await request('HEAD', '/socket.io/socket.io.min.js');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.equal(Number(head.headers['content-length']), get.body.length);
  const post = await request('POST', '/socket.io/socket.io.min.js');
  assert.equal(post.status, 405);
  assert.match(post.headers.allow, /GET/);
  const missing = await request('GET', '/socket.io/socket.io.nothing.js');
  assert.notEqual(missing.status, 200);
});
