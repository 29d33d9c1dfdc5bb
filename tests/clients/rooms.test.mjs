// Rooms and fan-out on the bench profile (--shards 2): join(room, ack), pub(room, data) -> "msg"
// to every member (the sender too if it joined), echo(data, ack).
//
// 1,000 websocket clients, each its own connection (forceNew: one Manager per client), so the
// kernel spreads them over both shards' SO_REUSEPORT listeners; one publisher sends 100 numbered
// messages and every member must get each exactly once, in order.
//
// The heartbeat is relaxed for this file (--ping-interval 5000 --ping-timeout 20000, appended to
// the usual flags): the heartbeat is covered elsewhere, and here one client process holds 1,000
// sockets, so a busy event loop must not turn into spurious ping timeouts.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe } from 'node:test';
import { closeClients, connect, engineWs, serverKind, sleep, startServer, stopServer, waitFor, withTimeout, test } from './harness.mjs';

const CLIENTS = Number(process.env.RINGCAST_ROOM_CLIENTS || 1000);
const MESSAGES = 100;
const WS = { transports: ['websocket'] };

describe(`rooms (bench profile) against ${serverKind}`, () => {
  let server;
  before(async () => {
    server = await startServer('bench', ['--ping-interval', '5000', '--ping-timeout', '20000']);
  });
  afterEach(() => closeClients());
  after(async () => {
    closeClients();
    await stopServer(server);
  });

  async function connectMany(n, batch = 50) {
    const sockets = [];
    for (let i = 0; i < n; i += batch) {
      const size = Math.min(batch, n - i);
      sockets.push(...(await Promise.all(Array.from({ length: size }, () => connect(server.url, WS, 10_000)))));
    }
    return sockets;
  }

  function join(socket, room) {
    return withTimeout(new Promise((resolve) => socket.emit('join', room, (...args) => resolve(args))), 10_000, `join ${room}`);
  }

  test('echo(data, ack) acknowledges with the data', async () => {
    const socket = await connect(server.url, WS);
    const got = await withTimeout(new Promise((resolve) => socket.emit('echo', { a: [1, 'b', null] }, resolve)), 5000, 'echo ack');
    assert.deepStrictEqual(got, { a: [1, 'b', null] });
  });

  test(`${CLIENTS} clients in room "r" each get ${MESSAGES} messages exactly once, in order`, { timeout: 90_000 }, async (t) => {
    const started = performance.now();
    const members = await connectMany(CLIENTS);
    const connectedAt = performance.now();
    assert.equal(new Set(members.map((s) => s.id)).size, CLIENTS, 'every client has its own session id');

    const received = members.map(() => []);
    let complete = 0;
    let allDone;
    const done = new Promise((resolve) => (allDone = resolve));
    members.forEach((socket, i) => {
      socket.on('msg', (data) => {
        received[i].push(data);
        if (received[i].length === MESSAGES && ++complete === CLIENTS) allDone();
      });
    });

    const acks = await Promise.all(members.map((s) => join(s, 'r')));
    for (const args of acks) assert.deepStrictEqual(args, [], 'join acks carry no arguments');
    const joinedAt = performance.now();

    const publisher = await connect(server.url, WS);
    for (let n = 0; n < MESSAGES; n++) publisher.emit('pub', 'r', { n, text: `message ${n}` });
    await withTimeout(done, 45_000, () => `fan-out (${complete}/${CLIENTS} clients complete)`);
    const deliveredAt = performance.now();
    await sleep(200); // nothing extra may trail in

    const expected = Array.from({ length: MESSAGES }, (_, n) => ({ n, text: `message ${n}` }));
    let bad = 0;
    for (let i = 0; i < CLIENTS; i++) {
      if (received[i].length !== MESSAGES || received[i].some((m, k) => m?.n !== k || m?.text !== `message ${k}`)) {
        if (bad++ === 0) assert.deepStrictEqual(received[i], expected, `client ${i}`);
      }
    }
    assert.equal(bad, 0, `${bad} clients got a wrong sequence`);
    t.diagnostic(
      `connect ${(connectedAt - started).toFixed(0)} ms, join ${(joinedAt - connectedAt).toFixed(0)} ms, ` +
        `fan-out of ${CLIENTS * MESSAGES} deliveries ${(deliveredAt - joinedAt).toFixed(0)} ms`,
    );
    for (const s of members) s.disconnect();
  });

  test('two rooms are isolated; a member of both gets both; a joined publisher gets its own messages', async () => {
    const roomA = await connectMany(10);
    const roomB = await connectMany(10);
    const both = await connect(server.url, WS);
    const outsider = await connect(server.url, WS);
    const publisher = await connect(server.url, WS);
    await Promise.all([
      ...roomA.map((s) => join(s, 'A')),
      ...roomB.map((s) => join(s, 'B')),
      join(both, 'A'),
      join(both, 'B'),
      join(publisher, 'A'),
    ]);
    const log = new Map();
    for (const s of [...roomA, ...roomB, both, outsider, publisher]) {
      log.set(s, []);
      s.on('msg', (data) => log.get(s).push(data));
    }
    const N = 20;
    for (let i = 0; i < N; i++) {
      publisher.emit('pub', 'A', `A${i}`);
      publisher.emit('pub', 'B', `B${i}`);
    }
    const seqA = Array.from({ length: N }, (_, i) => `A${i}`);
    const seqB = Array.from({ length: N }, (_, i) => `B${i}`);
    const deadline = Date.now() + 10_000;
    const complete = () =>
      roomA.every((s) => log.get(s).length >= N) &&
      roomB.every((s) => log.get(s).length >= N) &&
      log.get(both).length >= 2 * N &&
      log.get(publisher).length >= N;
    while (!complete() && Date.now() < deadline) await sleep(20);
    await sleep(300); // a leak from the other room would show up by now

    for (const s of roomA) assert.deepStrictEqual(log.get(s), seqA, 'a member of A gets exactly A, in order');
    for (const s of roomB) assert.deepStrictEqual(log.get(s), seqB, 'a member of B gets exactly B, in order');
    assert.deepStrictEqual(log.get(publisher), seqA, 'the publisher joined A: it gets A (and not B)');
    assert.deepStrictEqual(log.get(both).filter((m) => m.startsWith('A')), seqA, 'member of both: A in order');
    assert.deepStrictEqual(log.get(both).filter((m) => m.startsWith('B')), seqB, 'member of both: B in order');
    assert.equal(log.get(both).length, 2 * N, 'member of both: nothing twice');
    assert.deepStrictEqual(log.get(outsider), [], 'a client in no room gets nothing');
  });

  test('publishing to an empty room delivers nothing and does not disturb the publisher', async () => {
    const publisher = await connect(server.url, WS);
    const other = await connect(server.url, WS);
    await Promise.all([join(publisher, 'after'), join(other, 'after')]);
    const got = [];
    for (const s of [publisher, other]) s.on('msg', (m) => got.push(m));
    publisher.emit('pub', 'nobody-here', 'x');
    const echoed = await withTimeout(new Promise((resolve) => publisher.emit('echo', 'still fine', resolve)), 5000, 'echo');
    assert.equal(echoed, 'still fine');
    // A later broadcast reaches both in order after anything the first one could have delivered.
    publisher.emit('pub', 'after', 'y');
    await withTimeout((async () => {
      while (got.length < 2) await sleep(10);
    })(), 5000, 'the later broadcast reaching both');
    assert.deepStrictEqual(got, ['y', 'y']);
  });

  // The reference closes the connection once its last namespace is left, so this runs on ringcast.
  const keepsConnection = serverKind === 'ringcast' ? {} : { skip: 'the reference closes the connection with its last namespace' };
  test('a member that left the namespace gets nothing more from the room; the others keep receiving', keepsConnection, async () => {
    const stay = await connect(server.url, WS);
    const publisher = await connect(server.url, WS);
    // The leaver is a raw Engine.IO WebSocket, so it can leave the namespace and still listen.
    const { ws: leaver } = await engineWs(server, '/socket.io/');
    leaver.send('40');
    assert.match(await leaver.nextNonPing(), /^40\{"sid"/);
    leaver.send('420["join","D"]');
    assert.equal(await leaver.nextNonPing(), '430[]');
    await join(stay, 'D');
    const stayGot = [];
    stay.on('msg', (m) => stayGot.push(m));
    publisher.emit('pub', 'D', 1);
    // The bench profile has connection state recovery: a broadcast ends with its offset.
    assert.match(await leaver.nextNonPing(), /^42\["msg",1,"[^"]+"\]$/);
    // Leave the namespace (the server drops the socket from its rooms), connect again as a new
    // socket, and join another room E.
    leaver.send('41');
    leaver.send('40');
    assert.match(await leaver.nextNonPing(), /^40\{"sid"/);
    leaver.send('421["join","E"]');
    assert.equal(await leaver.nextNonPing(), '431[]');
    // Same publisher, same order on every shard: were the old socket still in D, "2" would reach
    // this connection before "3".
    publisher.emit('pub', 'D', 2);
    publisher.emit('pub', 'E', 3);
    assert.match(await leaver.nextNonPing(), /^42\["msg",3,"[^"]+"\]$/);
    await withTimeout((async () => {
      while (stayGot.length < 2) await sleep(10);
    })(), 5000, 'the member that stayed receiving both');
    assert.deepStrictEqual(stayGot, [1, 2]);
    leaver.close();
  });
});
