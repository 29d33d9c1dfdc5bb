// The pages as plain HTTP: each page's URL, every module and style sheet it names (and what those
// modules import) served from the binary, and the development sign-in absent without --dev-login.
// The pages themselves run in a browser in browser.test.mjs.
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { isReference, startServer, test } from './harness.mjs';
import { startPostgres, stopSuite } from './postgres.mjs';

describe('the pages over HTTP', { skip: isReference && 'the pages are ringcast-only' }, () => {
  let db;
  let server;
  before(async () => {
    db = await startPostgres();
    server = await startServer('inbox', ['--jwt-secret', 'pages-secret', '--database-url', db.url]);
  });
  after(() => stopSuite(db, server));

  test('/dev/token is a 404 without --dev-login', async () => {
    assert.equal((await fetch(`${server.url}/dev/token`)).status, 404);
    assert.equal((await fetch(`${server.url}/dev/token`, { method: 'POST', body: '{}' })).status, 404);
  });

  test('every page, and every file it loads, is served with its type', async () => {
    const seen = new Set();
    const types = { html: /^text\/html/, js: /^application\/javascript/, css: /^text\/css/, svg: /^image\/svg\+xml/ };
    // Follows <script src>, <link href> and static imports from page to module.
    async function visit(url, kind) {
      if (seen.has(url)) return;
      seen.add(url);
      const res = await fetch(`${server.url}${url}`);
      assert.equal(res.status, 200, url);
      assert.match(res.headers.get('content-type'), types[kind], url);
      const text = await res.text();
      const refs = kind === 'html'
        ? [...text.matchAll(/(?:src|href)="(\/[^"#]*)"/g)].map((m) => m[1]).filter((u) => !u.startsWith('/dashboard') && u !== '/')
        : kind === 'js' ? [...text.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => new URL(m[1], `http://x${url}`).pathname)
          : [];
      for (const ref of refs) await visit(ref, ref.split('.').pop());
    }
    for (const page of ['/', '/widget', '/dashboard']) await visit(page, 'html');
    await visit('/widget.js', 'js');
    for (const must of ['/assets/inbox/main.js', '/assets/widget/main.js', '/assets/dashboard/main.js',
      '/assets/shared/thread.js', '/vendor/uplot/uPlot.esm.js', '/socket.io/socket.io.esm.min.js']) {
      assert.ok(seen.has(must), `${must} is loaded by a page`);
    }
  });
});
