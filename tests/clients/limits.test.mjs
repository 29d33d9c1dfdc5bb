// Per-client limits: one client cannot grow the server's memory without bound. Each limit is a
// flag, refuses or drops only the client past it, and is counted in /metrics
// (ringcast_limits_hit_total{limit}). ringcast only: the flags are ringcast's.
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { closeClients, connect, isReference, serverKind, startServer, stopServer, test, withTimeout } from './harness.mjs';

function sample(text, name) {
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

// Raw Engine.IO polling requests and /metrics samples against the server `get()` returns.
function endpoints(get) {
  const scrape = async () => (await fetch(`${get().url}/metrics`)).text();
  const target = (sid) => `${get().url}/socket.io/?EIO=4&transport=polling${sid ? `&sid=${sid}` : ''}`;
  return {
    target,
    hits: async (limit) => sample(await scrape(), `ringcast_limits_hit_total{limit="${limit}"}`),
    handshake: async () => {
      const res = await fetch(target());
      const text = await res.text();
      return { status: res.status, text, sid: res.status === 200 ? JSON.parse(text.slice(1)).sid : null };
    },
    post: async (sid, body) => {
      const res = await fetch(target(sid), { method: 'POST', body });
      return { status: res.status, text: await res.text() };
    },
  };
}

async function until(what, check, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe(`per-client limits against ${serverKind}`, { skip: isReference && 'ringcast-only flags' }, () => {
  let server;
  before(async () => {
    server = await startServer('bench', [
      '--polling-buffer-limit', '65536',
      '--max-rooms-per-socket', '10',
      // Long enough that no ping is due during a test unless the test shortens it.
      '--ping-interval', '20000',
      '--connect-timeout', '20000',
    ]);
  });
  after(async () => {
    closeClients();
    await stopServer(server);
  });

  const { hits, target, handshake, post } = endpoints(() => server);

  test('a polling member of a busy room that never polls is dropped once its buffer is full', async () => {
    const before = await hits('polling_buffer');
    const { sid } = await handshake();
    assert.equal((await post(sid, '40')).text, 'ok');
    assert.equal((await post(sid, '421["join","busy"]')).text, 'ok');
    const publisher = await connect(server.url, { transports: ['websocket'] });
    await publisher.emitWithAck('join', 'busy');
    // 200 KiB into a 64 KiB buffer: the member must be dropped, the publisher must not be.
    const payload = 'x'.repeat(1024);
    let received = 0;
    publisher.on('msg', () => received++);
    for (let i = 0; i < 200; i++) publisher.emit('pub', 'busy', payload);
    await until('the publisher receiving its own 200 messages', () => received === 200);
    assert.equal(await hits('polling_buffer'), before + 1);
    const res = await fetch(target(sid));
    assert.equal(res.status, 400, 'the session is gone');
    assert.match(await res.text(), /Session ID unknown/);
    assert.ok(publisher.connected);
  });

  test('pongs POSTed without polling for the ping do not keep a session alive', async () => {
    const short = await startServer('bench', ['--ping-interval', '200', '--ping-timeout', '200']);
    try {
      const res = await fetch(`${short.url}/socket.io/?EIO=4&transport=polling`);
      const sid = JSON.parse((await res.text()).slice(1)).sid;
      const url = `${short.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`;
      // Pong every 50 ms but never poll: the ping stays undelivered, so the session times out.
      let status = 200;
      await withTimeout(
        (async () => {
          while (status === 200) {
            const r = await fetch(url, { method: 'POST', body: '3' });
            status = r.status;
            await r.text();
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        })(),
        5000,
        'the session ending by ping timeout',
      );
      assert.equal(status, 400);
    } finally {
      await stopServer(short);
    }
  });

  test('handshakes that never connect are limited per address', async () => {
    // The limit is per shard: one shard makes the count exact.
    const one = await startServer('bench', ['--shards', '1', '--max-pending-sessions', '5', '--ping-interval', '20000']);
    try {
      await pendingLimit(one);
    } finally {
      await stopServer(one);
    }
  });

  async function pendingLimit(server) {
    const { hits, handshake, post } = endpoints(() => server);
    const before = await hits('pending_sessions');
    const open = [];
    for (let i = 0; i < 5; i++) {
      const h = await handshake();
      assert.equal(h.status, 200, h.text);
      open.push(h.sid);
    }
    const refused = await handshake();
    assert.equal(refused.status, 429);
    assert.match(refused.text, /Too many sessions waiting to connect/);
    assert.equal(await hits('pending_sessions'), before + 1);
    // One of them joins a namespace: it no longer counts, so a new handshake is accepted.
    assert.equal((await post(open[0], '40')).text, 'ok');
    const again = await handshake();
    assert.equal(again.status, 200, again.text);
    // Closing the others frees their places too.
    for (const sid of [...open.slice(1), again.sid]) assert.equal((await post(sid, '1')).text, 'ok');
    for (let i = 0; i < 5; i++) assert.equal((await handshake()).status, 200);
  }

  test('a socket cannot join more than --max-rooms-per-socket rooms', async () => {
    const before = await hits('rooms_per_socket');
    const socket = await connect(server.url, { transports: ['websocket'] });
    // The namespace room counts: 9 more fit.
    for (let i = 0; i < 9; i++) assert.deepEqual(await socket.emitWithAck('join', `room-${i}`), undefined);
    const refused = await socket.emitWithAck('join', 'one-too-many');
    assert.equal(refused.error.code, 'limit');
    assert.equal(await hits('rooms_per_socket'), before + 1);
    // Joining a room it is already in is not a new room.
    assert.deepEqual(await socket.emitWithAck('join', 'room-3'), undefined);
    assert.ok(socket.connected);
  });
});
