// Room broadcasts against a tiny --send-queue-limit (bench profile, 2 shards). A broadcast with
// binary attachments is several frames queued to each member in one loop iteration; when one of
// them takes a member's queue past the cap, the member is closed as a slow consumer. That close
// used to run inside the send and free the member while the room loop still used it (the next
// attachment went to a freed client: heap-use-after-free under ASan, a crash or worse without).
// Now the close runs at the end of the iteration, the rest of the broadcast skips the member,
// and the server keeps serving everyone else.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe } from 'node:test';
import { closeClients, connect, isReference, serverKind, startServer, stopServer, waitFor, withTimeout, test } from './harness.mjs';

const WS = { transports: ['websocket'] };
const CAP = 1024;

describe(`slow consumers in room broadcasts against ${serverKind}`, { skip: isReference && 'ringcast flag' }, () => {
  let server;
  before(async () => {
    server = await startServer('bench', ['--send-queue-limit', String(CAP)]);
  });
  afterEach(() => closeClients());
  after(async () => {
    closeClients();
    await stopServer(server);
  });

  function join(socket, room) {
    return withTimeout(new Promise((resolve) => socket.emit('join', room, (...args) => resolve(args))), 5000, `join ${room}`);
  }
  function echo(socket, data) {
    return withTimeout(new Promise((resolve) => socket.emit('echo', data, resolve)), 5000, 'echo ack');
  }

  test('attachments past the cap close every member as a slow consumer; the server keeps serving', async () => {
    const members = await Promise.all(Array.from({ length: 6 }, () => connect(server.url, WS)));
    const publisher = await connect(server.url, WS);
    await Promise.all(members.map((m) => join(m, 'big')));
    const gone = members.map((m) => waitFor(m, 'disconnect', 10_000));
    publisher.emit('pub', 'big', { a: Buffer.alloc(3 * CAP, 1), b: Buffer.alloc(3 * CAP, 2), c: Buffer.alloc(3 * CAP, 3) });
    await Promise.all(gone);
    assert.equal(await echo(publisher, 'still here'), 'still here');
    // A new member gets small broadcasts as before.
    const fresh = await connect(server.url, WS);
    await join(fresh, 'big');
    const got = waitFor(fresh, 'msg');
    publisher.emit('pub', 'big', 'small');
    // The bench profile appends a recovery offset after the data.
    assert.deepStrictEqual((await got)[0], 'small');
  });

  test('one message larger than the cap is delivered: it goes out alone from an empty queue', async () => {
    const member = await connect(server.url, WS);
    const publisher = await connect(server.url, WS);
    await join(member, 'large');
    const got = waitFor(member, 'msg');
    const text = 'L'.repeat(4 * CAP);
    publisher.emit('pub', 'large', text);
    assert.strictEqual((await got)[0], text);
    assert.equal(member.connected, true);
  });
});
