// The inbox profile admits a Socket.IO client only with a valid JWT in `auth: {token}`; every
// refusal is a CONNECT_ERROR {message: "unauthorized", data: {code}} and is counted by code.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import { closeClients, connect, isReference, refusal, serverKind, startServer, stopServer, test } from './harness.mjs';
import { nowSeconds, refusedTokens, ringcastToken, signJwt } from './jwt.mjs';
import { startPostgres, stopSuite } from './postgres.mjs';

const SECRET = 'test-secret-9f2c';

function sample(text, name) {
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

describe(`inbox authentication against ${serverKind}`, { skip: isReference && 'the inbox profile is ringcast-only' }, () => {
  let server;
  let db;
  before(async () => {
    db = await startPostgres();
    server = await startServer('inbox', ['--ai-backend', 'off', '--jwt-secret', SECRET, '--database-url', db.url]);
  });
  after(() => stopSuite(db, server));

  test('a token from `ringcast token` connects, as a customer and as staff', async () => {
    for (const role of ['customer', 'staff']) {
      const socket = await connect(server.url, { transports: ['websocket'], auth: { token: ringcastToken(SECRET, `u-${role}`, role) } });
      assert.ok(socket.connected);
      socket.disconnect();
    }
  });

  test('missing, malformed, badly signed and expired tokens are refused with their code, and counted', async () => {
    const scrape = async () => (await fetch(`${server.url}/metrics`)).text();
    const before = await scrape();
    const cases = refusedTokens(SECRET);
    for (const [auth, code] of cases) {
      const err = await refusal(server.url, auth);
      assert.equal(err.message, 'unauthorized', JSON.stringify(auth));
      assert.deepEqual(err.data, { code }, JSON.stringify(auth));
    }
    const after = await scrape();
    for (const code of ['missing_token', 'invalid_token', 'token_expired']) {
      const name = `ringcast_auth_failures_total{code="${code}"}`;
      assert.equal(sample(after, name) - sample(before, name), cases.filter(([, c]) => c === code).length, name);
    }
  });

  test('an unknown event is answered with bad_request', async () => {
    const socket = await connect(server.url, { transports: ['websocket'], auth: { token: ringcastToken(SECRET, 'c1', 'customer') } });
    const ack = await socket.timeout(5000).emitWithAck('no:such-event', {});
    assert.equal(ack.error.code, 'bad_request');
    assert.equal(ack.error.retryable, false);
  });

  test('RS256 and ES256 tokens with --jwt-public-key; issuer and audience checked', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ringcast-jwt-'));
    for (const [alg, pair] of [
      ['RS256', generateKeyPairSync('rsa', { modulusLength: 2048 })],
      ['ES256', generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ]) {
      const file = path.join(dir, `${alg}.pem`);
      writeFileSync(file, pair.publicKey.export({ type: 'spki', format: 'pem' }));
      const keyed = await startServer('inbox', ['--ai-backend', 'off', '--jwt-public-key', file, '--jwt-issuer', 'https://id.test', '--jwt-audience', 'inbox', '--database-url', db.url]);
      try {
        const claims = { sub: 'k', role: 'staff', iss: 'https://id.test', aud: 'inbox', exp: nowSeconds() + 60 };
        const ok = await connect(keyed.url, { transports: ['websocket'], auth: { token: signJwt(claims, { alg, privateKey: pair.privateKey }) } });
        assert.ok(ok.connected, alg);
        ok.disconnect();
        const wrongAud = await refusal(keyed.url, { token: signJwt({ ...claims, aud: 'other' }, { alg, privateKey: pair.privateKey }) });
        assert.equal(wrongAud.data.code, 'invalid_token');
        // The public key's text as an HMAC secret: algorithm confusion must not pass.
        const confused = await refusal(keyed.url, {
          token: signJwt(claims, { secret: pair.publicKey.export({ type: 'spki', format: 'pem' }) }),
        });
        assert.equal(confused.data.code, 'invalid_token');
      } finally {
        closeClients();
        await stopServer(keyed);
      }
    }
  });
});
