// Test-side JWTs: signed with node:crypto (HS256, RS256, ES256), and tokens from `ringcast token`.
import { createHmac, sign as cryptoSign } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { binaryPath } from './harness.mjs';

const b64url = (buf) => Buffer.from(buf).toString('base64url');

export function signJwt(claims, { alg = 'HS256', secret, privateKey } = {}) {
  const head = b64url(JSON.stringify({ alg, typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const input = `${head}.${body}`;
  let sig;
  if (alg === 'HS256') sig = createHmac('sha256', secret).update(input).digest();
  else if (alg === 'RS256') sig = cryptoSign('sha256', Buffer.from(input), privateKey);
  else if (alg === 'ES256') sig = cryptoSign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  else if (alg === 'none') sig = Buffer.alloc(0);
  else throw new Error(`alg ${alg}`);
  return `${input}.${b64url(sig)}`;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

// Handshake `auth` values an inbox server with this HS256 secret must refuse, each with the
// CONNECT_ERROR data.code it answers (docs/events.md, "Refused handshakes").
export function refusedTokens(secret) {
  return [
    [{}, 'missing_token'],
    [{ token: '' }, 'missing_token'],
    [{ token: 42 }, 'missing_token'],
    [{ token: 'not.a.jwt' }, 'invalid_token'],
    [{ token: signJwt({ sub: 'a', role: 'customer' }, { secret: 'wrong' }) }, 'invalid_token'],
    [{ token: signJwt({ sub: 'a', role: 'customer' }, { alg: 'none' }) }, 'invalid_token'],
    [{ token: signJwt({ sub: 'a', role: 'admin' }, { secret }) }, 'invalid_token'],
    [{ token: signJwt({ sub: 'a', role: 'customer', exp: nowSeconds() - 3600 }, { secret }) }, 'token_expired'],
  ];
}

// A token printed by the binary's own `token` command.
export function ringcastToken(secret, sub, role, extra = []) {
  const r = spawnSync(binaryPath(), ['token', '--sub', sub, '--role', role, '--jwt-secret', secret, ...extra], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (r.status !== 0) throw new Error(`ringcast token failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim();
}
