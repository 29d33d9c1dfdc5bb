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
