// Socket.IO connection state recovery on the bench profile (--shards 2), with the stock
// socket.io-client: the server answers CONNECT with {sid, pid}, appends an offset to every room
// broadcast, and a client that lost its connection comes back with {pid, offset} in its CONNECT
// data and gets its id, its rooms and the broadcasts it missed (socket.recovered === true).
//
// The reference runs socket.io with connectionStateRecovery {maxDisconnectionDuration:
// --recovery-window}. A client only sends an offset once it got a broadcast (socket.io-client
// takes the last string argument of an event as the offset), so every client here first gets one.
// Replayed packets may arrive before CONNECT (socket.io) or after it (ringcast): the client emits
// them in order either way, so the tests only look at what arrived, in what order.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe } from 'node:test';
import { closeClients, connect, isReference, serverKind, sleep, startServer, stopServer, waitFor, withTimeout, test } from './harness.mjs';

const WS = { transports: ['websocket'] };
const POLLING = { transports: ['polling'] };
const SHORT_WINDOW = 300;

// Resolves once check() is true, looking every 10 ms.
function until(check, what, ms = 5000) {
  return withTimeout(
    new Promise((resolve) => {
      const look = () => {
        if (!check()) return false;
        clearInterval(timer);
        resolve();
        return true;
      };
      const timer = setInterval(look, 10);
      look();
    }),
    ms,
    what,
  );
}

function join(socket, room) {
  return withTimeout(new Promise((resolve) => socket.emit('join', room, resolve)), 5000, `join ${room}`);
}

// A round trip: everything the server sent this socket before the ack has arrived.
function echo(socket) {
  return withTimeout(new Promise((resolve) => socket.emit('echo', 'x', resolve)), 5000, 'echo');
}

// Every "msg" payload the socket gets, in order (the offset argument is left out).
function collect(socket) {
  const got = [];
  socket.on('msg', (data) => got.push(data));
  return got;
}

// Polls /metrics until pred(value) holds.
async function untilMetric(server, name, pred, ms = 5000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await metric(server, name);
    if (pred(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${name} (last ${v})`);
    await sleep(20);
  }
}

async function metric(server, name) {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const m = new RegExp(`^ringcast_${name} (\\d+)$`, 'm').exec(text);
  assert.ok(m, `metric ${name} in /metrics`);
  return Number(m[1]);
}

// Cuts the client's connection the way a network failure looks to the server (the Engine.IO
// transport goes away), without the client asking to leave; resolves on "disconnect".
async function cut(socket) {
  const gone = waitFor(socket, 'disconnect');
  socket.io.engine.close();
  const [reason] = await gone;
  assert.notEqual(reason, 'io client disconnect');
}

// ringcast: resolves once `fn` (which cuts clients) has had n more sockets saved. The client sees
// its own cut at once, while the shard that held the socket may see it a moment later: a reconnect
// that reached another shard first would find nothing saved (as socket.io finds a socket still
// connected). The reference handles both in arrival order on one thread.
async function whileSaving(server, n, fn) {
  const before = isReference ? 0 : await metric(server, 'recovery_sessions');
  await fn();
  if (!isReference) await untilMetric(server, 'recovery_sessions', (v) => v >= before + n);
}

async function reconnect(socket) {
  const connected = waitFor(socket, 'connect');
  socket.connect();
  await connected;
}

// A member `a` of `room` that got one broadcast (so it has an offset), a publisher, and a watcher
// that stays in the room: the watcher's copy shows when a broadcast has gone out.
async function scene(server, room, transport) {
  const a = await connect(server.url, transport);
  const publisher = await connect(server.url, WS);
  const watcher = await connect(server.url, WS);
  await Promise.all([join(a, room), join(watcher, room)]);
  const got = collect(a);
  const seen = collect(watcher);
  publisher.emit('pub', room, 'before');
  await until(() => got.length === 1 && seen.length === 1, 'the first broadcast');
  return { a, publisher, got, seen };
}

describe(`connection state recovery (bench profile) against ${serverKind}`, () => {
  let server;
  let shortServer;
  before(async () => {
    [server, shortServer] = await Promise.all([
      startServer('bench'),
      startServer('bench', ['--recovery-window', String(SHORT_WINDOW)]),
    ]);
  });
  afterEach(() => closeClients());
  after(async () => {
    closeClients();
    await Promise.all([stopServer(server), stopServer(shortServer)]);
  });

  for (const [name, transport] of [['websocket', WS], ['polling', POLLING]]) {
    test(`${name}: a cut client gets its id, its room and every missed broadcast once, in order`, async () => {
      const room = `missed-${name}`;
      const { a, publisher, got, seen } = await scene(server, room, transport);
      const id = a.id;
      assert.equal(typeof a._pid, 'string', 'CONNECT carried a pid');
      await whileSaving(server, 1, () => cut(a));
      const missed = Array.from({ length: 20 }, (_, i) => `missed ${i}`);
      for (const m of missed) publisher.emit('pub', room, m);
      await until(() => seen.length === 1 + missed.length, 'the missed broadcasts reached the watcher');

      await reconnect(a);
      assert.equal(a.recovered, true, 'socket.recovered');
      assert.equal(a.id, id, 'same socket id');
      await until(() => got.length === 1 + missed.length, () => `replay (${got.length - 1}/${missed.length})`);
      // Still in the room: a later broadcast reaches it, after the replay.
      publisher.emit('pub', room, 'after');
      await until(() => got.length === 2 + missed.length && seen.length === 2 + missed.length, 'the later broadcast');
      await echo(a);
      assert.deepStrictEqual(got, ['before', ...missed, 'after']);
    });
  }

  test('an abrupt TCP loss with automatic reconnection recovers, broadcasts racing the reconnect arrive once', async () => {
    const room = 'abrupt';
    const a = await connect(server.url, { ...WS, reconnection: true, reconnectionDelay: 20, reconnectionDelayMax: 20 });
    const publisher = await connect(server.url, WS);
    await join(a, room);
    const got = collect(a);
    publisher.emit('pub', room, 0);
    await until(() => got.length === 1, 'the first broadcast');
    const id = a.id;
    const back = waitFor(a, 'connect');
    a.on('disconnect', () => {
      for (let i = 1; i <= 50; i++) publisher.emit('pub', room, i);
    });
    a.io.engine.transport.ws._socket.destroy();
    await back;
    assert.equal(a.recovered, true);
    assert.equal(a.id, id);
    publisher.emit('pub', room, 51);
    await until(() => got.length >= 52, () => `all 52 broadcasts (${got.length})`);
    await echo(a);
    assert.deepStrictEqual(got, Array.from({ length: 52 }, (_, i) => i));
  });

  test('a client that called disconnect() is not recovered', async () => {
    const room = 'left';
    const { a, publisher, got, seen } = await scene(server, room, WS);
    const id = a.id;
    a.disconnect();
    publisher.emit('pub', room, 'missed');
    await until(() => seen.length === 2, 'the broadcast reached the watcher');
    await reconnect(a); // sends the pid and offset it still has
    assert.equal(a.recovered, false);
    assert.notEqual(a.id, id);
    await echo(a);
    publisher.emit('pub', room, 'after');
    await until(() => seen.length === 3, 'the later broadcast reached the watcher');
    await echo(a);
    assert.deepStrictEqual(got, ['before'], 'no replay, and no longer in the room');
  });

  test('a reconnect after the recovery window gets a fresh socket and no replay', async () => {
    const room = 'late';
    const { a, publisher, got, seen } = await scene(shortServer, room, WS);
    const id = a.id;
    const expiredBefore = isReference ? 0 : await metric(shortServer, 'recovery_expired_total');
    await cut(a);
    publisher.emit('pub', room, 'missed');
    await until(() => seen.length === 2, 'the broadcast reached the watcher');
    // socket.io compares times only at restore; ringcast drops the state when the window ends.
    if (isReference) await sleep(SHORT_WINDOW + 100);
    else await untilMetric(shortServer, 'recovery_expired_total', (v) => v > expiredBefore);
    await reconnect(a);
    assert.equal(a.recovered, false);
    assert.notEqual(a.id, id);
    await echo(a);
    assert.deepStrictEqual(got, ['before']);
  });

  test('garbage pid and offset values give a fresh, working socket', async () => {
    const room = 'garbage';
    const publisher = await connect(server.url, WS);
    const auths = [
      { pid: 'not-a-pid', offset: 'nope' },
      { pid: 'BAAAAAAAAAAAAAAAAAAA', offset: 'A1' }, // names a shard, unknown everywhere
      { pid: 'AAAAAAAAAAAAAAAAAAAA', offset: '' },
      { pid: 42, offset: { x: 1 } },
      { pid: ['x'], offset: null },
      { pid: 'x'.repeat(10000), offset: 'y'.repeat(10000) },
    ];
    for (const auth of auths) {
      const s = await connect(server.url, { ...WS, auth });
      assert.equal(s.recovered, false, JSON.stringify(auth).slice(0, 80));
      assert.equal(typeof s.id, 'string');
      await join(s, room);
      const got = collect(s);
      publisher.emit('pub', room, 'hello');
      await until(() => got.length === 1, 'a broadcast to the fresh socket');
      await echo(s);
      assert.deepStrictEqual(got, ['hello']);
      s.disconnect();
    }
  });

  test('a valid pid with an offset that was never sent is not recovered', async () => {
    const room = 'wrong-offset';
    const { a, seen } = await scene(server, room, WS);
    await cut(a);
    const intruder = await connect(server.url, { ...WS, auth: { pid: a._pid, offset: 'Z999999' } });
    assert.equal(intruder.recovered, false);
    assert.notEqual(intruder.id, a.id);
    assert.equal(seen.length, 1);
    // As socket.io, the saved state stays for its own client.
    await reconnect(a);
    assert.equal(a.recovered, true);
  });

  test('clients recover wherever they reconnect, including on the other shard', { timeout: 60_000 }, async (t) => {
    const crossBefore = isReference ? 0 : await metric(server, 'recoveries_cross_shard_total');
    let crossSeen = 0;
    // The kernel picks the shard of each new connection; a few rounds make one land elsewhere.
    for (let round = 0; round < 10 && (crossSeen === 0 || round < 2); round++) {
      const room = `spread-${round}`;
      const publisher = await connect(server.url, WS);
      const clients = await Promise.all(Array.from({ length: 8 }, () => connect(server.url, WS)));
      await Promise.all(clients.map((c) => join(c, room)));
      const logs = clients.map(collect);
      publisher.emit('pub', room, 'before');
      await until(() => logs.every((l) => l.length === 1), 'the first broadcast');
      const ids = clients.map((c) => c.id);
      await whileSaving(server, clients.length, () => Promise.all(clients.map(cut)));
      for (let i = 0; i < 5; i++) publisher.emit('pub', room, i);
      await echo(publisher);
      await Promise.all(clients.map(reconnect));
      clients.forEach((c, i) => {
        assert.equal(c.recovered, true, `client ${i} recovered`);
        assert.equal(c.id, ids[i], `client ${i} kept its id`);
        // ringcast ids name their shard: the socket id the old one, the Engine.IO id the new one.
        if (!isReference && c.id[0] !== c.io.engine.id[0]) crossSeen++;
      });
      publisher.emit('pub', room, 'after');
      await until(() => logs.every((l) => l.length === 7), 'replays and the later broadcast');
      await Promise.all(clients.map(echo));
      for (const l of logs) assert.deepStrictEqual(l, ['before', 0, 1, 2, 3, 4, 'after']);
      for (const c of clients) c.disconnect();
      if (isReference) break;
    }
    if (!isReference) {
      assert.ok(crossSeen > 0, 'some client reconnected to the other shard');
      assert.ok((await metric(server, 'recoveries_cross_shard_total')) >= crossBefore + crossSeen);
      t.diagnostic(`${crossSeen} cross-shard recoveries`);
    }
  });
});

// ringcast-only: the per-shard buffer of kept broadcasts is bounded; a client whose offset was
// dropped is not recovered (its missed packets are unknown), and the drops are counted.
describe('recovery buffer bound (ringcast)', { skip: isReference && 'socket.io keeps every packet of the window' }, () => {
  let server;
  before(async () => {
    server = await startServer('bench', ['--recovery-buffer', '5']);
  });
  afterEach(() => closeClients());
  after(async () => {
    closeClients();
    await stopServer(server);
  });

  test('within the bound a client recovers; past it the oldest are dropped, counted, and it is not', async () => {
    const room = 'bounded';
    {
      const { a, publisher, got, seen } = await scene(server, room, WS);
      await whileSaving(server, 1, () => cut(a));
      for (let i = 0; i < 3; i++) publisher.emit('pub', room, i);
      await until(() => seen.length === 4, 'the broadcasts reached the watcher');
      await reconnect(a);
      assert.equal(a.recovered, true);
      await until(() => got.length === 4, 'the replay');
      assert.deepStrictEqual(got, ['before', 0, 1, 2]);
    }
    closeClients();
    const droppedBefore = await metric(server, 'recovery_buffer_dropped_total');
    const missesBefore = await metric(server, 'recovery_misses_total');
    const { a, publisher, got, seen } = await scene(server, room, WS);
    await cut(a);
    for (let i = 0; i < 10; i++) publisher.emit('pub', room, i);
    await until(() => seen.length === 11, 'the broadcasts reached the watcher');
    await reconnect(a);
    assert.equal(a.recovered, false);
    await echo(a);
    assert.deepStrictEqual(got, ['before']);
    // Every shard that delivered the 11 broadcasts kept at most 5 of them.
    assert.ok((await metric(server, 'recovery_buffer_dropped_total')) >= droppedBefore + 6);
    assert.equal(await metric(server, 'recovery_misses_total'), missesBefore + 1);
  });
});
