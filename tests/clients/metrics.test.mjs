// Prometheus /metrics: bad input is counted, connections and sessions are visible. ringcast only
// (the reference server has no such endpoint).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, closeClients, isReference, rawTcp, serverKind, startServer, stopServer, withTimeout } from './harness.mjs';

function sample(text, name) {
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

describe(`/metrics against ${serverKind}`, { skip: isReference && 'ringcast-only endpoint' }, () => {
  let server;
  before(async () => {
    server = await startServer('conformance');
  });
  after(async () => {
    closeClients();
    await stopServer(server);
  });
  const scrape = async () => (await fetch(`${server.url}/metrics`)).text();

  test('a malformed request and an unknown transport are counted as HTTP 400s', async () => {
    const before = sample(await scrape(), 'ringcast_http_errors_total{status="400"}');
    const sock = await rawTcp(server);
    sock.write('NOT AN HTTP REQUEST\r\n\r\n');
    await withTimeout(sock.ended, 5000, 'server closes the malformed connection');
    const res = await fetch(`${server.url}/socket.io/?EIO=4&transport=carrier-pigeon`);
    assert.equal(res.status, 400);
    const after = sample(await scrape(), 'ringcast_http_errors_total{status="400"}');
    assert.equal(after - before, 2);
  });

  test('/readyz answers 200 while the server serves', async () => {
    const res = await fetch(`${server.url}/readyz`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ready\n');
  });

  test('a client past a limit is counted by limit', async () => {
    const text = await scrape();
    for (const limit of ['polling_buffer', 'pending_sessions', 'rooms_per_socket'])
      assert.match(text, new RegExp(`^ringcast_limits_hit_total\\{limit="${limit}"\\} \\d+$`, 'm'));
  });

  test('connected Socket.IO clients show as sockets and sessions', async () => {
    const before = await scrape();
    const clients = await Promise.all([0, 1, 2].map(() => connect(server.url, { transports: ['websocket'] })));
    const during = await scrape();
    assert.equal(sample(during, 'ringcast_socketio_sockets') - sample(before, 'ringcast_socketio_sockets'), 3);
    assert.ok(sample(during, 'ringcast_engineio_sessions') >= 3);
    for (const c of clients) c.close();
  });
});
