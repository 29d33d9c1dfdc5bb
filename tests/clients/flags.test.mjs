// Flags the binary refuses at start, with a message that says why, rather than failing later.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe } from 'node:test';
import { binaryPath, isReference, test } from './harness.mjs';

describe('ringcast start-up flags', { skip: isReference && 'ringcast binary flags' }, () => {
  const run = (...args) => spawnSync(binaryPath(), args, { encoding: 'utf8', timeout: 10_000 });

  test('more shards than session ids can name is refused', () => {
    const r = run('--shards', '80', '--port', '0');
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--shards 80 is more than the 64 shards ringcast supports/);
  });

  test('an unknown log level is refused', () => {
    const r = run('--log-level', 'loud');
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /invalid value for --log-level: loud/);
  });

  test('the inbox without a token key does not start, and says which flag is missing', () => {
    const r = run('--profile', 'inbox', '--port', '0');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /set exactly one of --jwt-secret and --jwt-public-key/);
  });

  test('the inbox without a database does not start, and says so', () => {
    const r = run('--profile', 'inbox', '--port', '0', '--jwt-secret', 's');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /the inbox stores every message: set --database-url/);
  });

  test('`ringcast token` needs --sub and a known --role, and a secret', () => {
    let r = run('token', '--sub', 'a', '--jwt-secret', 's');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--sub and --role customer\|staff are required/);
    r = run('token', '--sub', 'a', '--role', 'admin', '--jwt-secret', 's');
    assert.equal(r.status, 2);
    r = spawnSync(binaryPath(), ['token', '--sub', 'a', '--role', 'staff'], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /needs --jwt-secret/);
    r = run('token', '--sub', 'a', '--role', 'staff', '--jwt-secret', 's', '--ttl', '90m');
    assert.equal(r.status, 0, r.stderr);
    const claims = JSON.parse(Buffer.from(r.stdout.trim().split('.')[1], 'base64url'));
    assert.equal(claims.sub, 'a');
    assert.equal(claims.role, 'staff');
    assert.equal(claims.exp - claims.iat, 5400);
  });

  test('--help lists every limit flag with its environment variable', () => {
    const r = run('--help');
    assert.equal(r.status, 0);
    for (const [flag, env] of [
      ['--polling-buffer-limit', 'RINGCAST_POLLING_BUFFER_LIMIT'],
      ['--max-pending-sessions', 'RINGCAST_MAX_PENDING_SESSIONS'],
      ['--max-rooms-per-socket', 'RINGCAST_MAX_ROOMS_PER_SOCKET'],
      ['--log-level', 'RINGCAST_LOG_LEVEL'],
    ]) {
      assert.ok(r.stdout.includes(flag), `${flag} in --help`);
      assert.ok(r.stdout.includes(env), `${env} in --help`);
    }
  });
});
