// The staff inbox (/), the widget (/widget and the /widget.js embed) and the dashboard
// (/dashboard) in a real browser: Debian's chromium, headless, driven by puppeteer-core, against
// the ringcast binary with --dev-login, the builtin AI on deploy/knowledge.json, a short typing
// TTL and a real PostgreSQL. The customer and the staff member are two isolated browser contexts
// side by side; the steps run in order on one conversation. Every wait is on a condition in the
// page. A screenshot of each page (1280x800) goes to $RINGCAST_ARTIFACTS.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe } from 'node:test';
import { artifactsDir, launchBrowser, personPage, shownMessages, write } from './browser.mjs';
import { connect, isReference, sleep, startServer, test } from './harness.mjs';
import { ringcastToken } from './jwt.mjs';
import { startPostgres, stopSuite } from './postgres.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const SECRET = 'browser-test-secret';
const TYPING_TTL_MS = 1500;
const RECOVERY_WINDOW_MS = 2000;
const knowledge = path.resolve(here, '../../deploy/knowledge.json');

// Polls an asynchronous condition (a server metric) until it holds.
async function until(what, check, ms) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('the pages in chromium', { skip: isReference && 'the pages are ringcast-only' }, () => {
  let db;
  let server;
  let browser;
  let staff;   // the inbox, signed in with the development sign-in
  let widget;  // the customer's /widget
  const shots = artifactsDir();
  const screenshot = async (page, name) => {
    const file = path.join(shots, `${name}.png`);
    await page.screenshot({ path: file });
    assert.ok(statSync(file).size > 10_000, `${name}.png has a picture`);
  };
  const sentAt = {};
  const expiredRecoveries = async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    return [...text.matchAll(/^ringcast_recovery_expired_total(?:\{[^}]*\})? (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
  };

  before(async () => {
    db = await startPostgres();
    server = await startServer('inbox', ['--jwt-secret', SECRET, '--database-url', db.url, '--dev-login',
      '--ai-knowledge', knowledge, '--typing-ttl', String(TYPING_TTL_MS), '--shards', '2',
      // Short, so a page kept offline past it comes back on a new socket and catches up by joining.
      '--recovery-window', String(RECOVERY_WINDOW_MS)]);
    browser = await launchBrowser();
    staff = await personPage(browser);
    widget = await personPage(browser);
  });
  after(async () => {
    // Everything stops first, so a failed check below leaves no browser, server or database behind.
    try {
      await browser?.close();
    } finally {
      await stopSuite(db, server);
    }
    for (const page of [staff, widget]) assert.deepEqual(page?.errors ?? [], [], 'no script error in the pages');
  });

  test('/dev/token: a staff token for loopback clients, 204 for a GET', async () => {
    assert.equal((await fetch(`${server.url}/dev/token`)).status, 204);
    assert.equal((await fetch(`${server.url}/dev/token`, { method: 'PUT' })).status, 405);
    const res = await fetch(`${server.url}/dev/token`, { method: 'POST', body: JSON.stringify({ sub: 'x', name: 'X' }) });
    assert.equal(res.status, 200);
    const body = await res.json();
    const claims = JSON.parse(Buffer.from(body.token.split('.')[1], 'base64url'));
    assert.equal(claims.role, 'staff');
    assert.equal(claims.sub, 'x');
    assert.equal((await fetch(`${server.url}/dev/token`, { method: 'POST', body: '[1]' })).status, 400);
  });

  test('the staff signs in as staff on / and the inbox connects', async () => {
    await staff.goto(`${server.url}/`);
    await staff.waitForSelector('#signin-form:not([hidden])');
    await screenshot(staff, 'signin');
    await staff.$eval('#signin-name', (el) => { el.value = ''; });
    await staff.type('#signin-name', 'Sam');
    await staff.click('#signin-form button[type=submit]');
    await staff.waitForSelector('#conn[data-state=connected]', { timeout: 10_000 });
    assert.equal(await staff.$eval('#me', (el) => el.textContent), 'Sam');
    assert.equal(await staff.$eval('[role=tab][aria-selected=true]', (el) => el.dataset.status), 'open');
  });

  test('the customer writes: the staff list shows it with an unread badge within 1 s', async () => {
    const token = ringcastToken(SECRET, 'alice', 'customer', ['--name', 'Alice Martin']);
    await widget.goto(`${server.url}/widget#token=${token}`);
    await widget.waitForSelector('#conn[data-state=connected]', { timeout: 10_000 });
    assert.equal(await widget.evaluate(() => location.hash), '', 'the token left the address bar');
    sentAt.first = Date.now();
    await write(widget, 'Where is my order?');
    // Shown at once, before the server answers.
    await widget.waitForSelector('#messages .msg.ours');
    await staff.waitForFunction(() => {
      const row = document.querySelector('#conversations .row.unread');
      return row && row.querySelector('.unread-badge') && row.textContent.includes('Alice Martin');
    }, { timeout: 1000 });
    const row = await staff.$eval('#conversations .row', (el) => el.textContent);
    assert.match(row, /Where is my order\?|AI: /);
    await widget.waitForSelector('#messages .msg.ours[data-seq="1"] .tick[data-tick=sent]');
  });

  test('the AI reply appears in the widget within 6 s while no staff is assigned', async () => {
    const left = 6000 - (Date.now() - sentAt.first);
    await widget.waitForSelector('#messages .msg.ai', { timeout: Math.max(left, 1) });
    const badge = await widget.$eval('#messages .msg.ai .ai-badge', (el) => el.textContent);
    assert.match(badge, /^AI · \d+% · \w/);
  });

  test('the staff opens it: the badge clears and the customer\'s ticks turn read', async () => {
    await staff.click('#conversations .row');
    await staff.waitForFunction(() => document.querySelectorAll('#messages .msg').length >= 2);
    await staff.waitForFunction(() => !document.querySelector('#conversations .unread-badge'));
    await widget.waitForSelector('#messages .msg.ours .tick[data-tick=read]', { timeout: 3000 });
    const shown = await shownMessages(staff);
    assert.equal(shown[0].text, 'Where is my order?');
    assert.equal(shown[1].type, 'ai');
    assert.equal(await staff.$eval('#conv-name', (el) => el.textContent), 'Alice Martin');
    assert.equal(await staff.$eval('#presence', (el) => el.dataset.status), 'online');
  });

  test('typing shows on each side and disappears after the TTL', async () => {
    const visible = (page, who) => page.waitForFunction((w) => {
      const el = document.querySelector('#typing');
      return !el.hidden && el.textContent.includes(`${w} is typing`);
    }, { timeout: 2000 }, who);
    const gone = (page) => page.waitForSelector('#typing[hidden]', { timeout: TYPING_TTL_MS + 2000 });

    let start = Date.now();
    await write(widget, 'One more thing', { send: false });
    await visible(staff, 'Alice Martin');
    await gone(staff);
    // The widget sends its stop only after 4 s without a key: this was the server's TTL.
    assert.ok(Date.now() - start >= TYPING_TTL_MS - 300, `hidden after ${Date.now() - start} ms`);
    await widget.$eval('#composer-input', (el) => { el.value = ''; });

    start = Date.now();
    await write(staff, 'Your parcel left our warehouse today.', { send: false });
    await visible(widget, 'Sam');
    await gone(widget);
    assert.ok(Date.now() - start >= TYPING_TTL_MS - 300, `hidden after ${Date.now() - start} ms`);
  });

  test('the staff reply appears in the widget', async () => {
    await staff.keyboard.press('Enter');
    await widget.waitForFunction(() => [...document.querySelectorAll('#messages .msg.theirs .text')]
      .some((el) => el.textContent === 'Your parcel left our warehouse today.'), { timeout: 3000 });
    // Screen readers hear it: the live region says who wrote what.
    assert.equal(await widget.$eval('#live', (el) => el.textContent), 'Sam: Your parcel left our warehouse today.');
    // The staff message went out with its ack: sent at least, and on the staff side once.
    await staff.waitForSelector('#messages .msg.ours[data-seq] .tick');
    const texts = (await shownMessages(staff)).map((m) => m.text);
    assert.equal(texts.filter((t) => t === 'Your parcel left our warehouse today.').length, 1);
    // A staff message claims the conversation: it is assigned to Sam now.
    await staff.waitForFunction(() => document.querySelector('#conv-sub').textContent.includes('assigned to you'));
  });

  test('offline and back: the indicator shows it and both views catch up without duplicates', async (t) => {
    await staff.emulateNetworkConditions({ offline: true, download: 0, upload: 0, latency: 0 });
    await staff.waitForSelector('#conn[data-state=offline]', { timeout: 3000 });
    // The customer keeps writing while the staff is away.
    const missed = ['Are you there?', 'It was due yesterday.', 'Order 1042.'];
    for (const text of missed) await write(widget, text);
    await widget.waitForFunction((n) => document.querySelectorAll('#messages .msg.ours[data-seq]').length >= n,
      { timeout: 5000 }, missed.length + 1);
    await staff.emulateNetworkConditions(null);
    await staff.waitForSelector('#conn[data-state=connected]', { timeout: 10_000 });
    await staff.waitForFunction((last) => [...document.querySelectorAll('#messages .msg .text')]
      .some((el) => el.textContent === last), { timeout: 5000 }, missed.at(-1));
    const seqs = (await shownMessages(staff)).map((m) => m.seq);
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1), 'every seq once, in order, no gap');
    // Either path is right: Socket.IO's recovery replays what was missed, a new socket joins again.
    t.diagnostic(`staff socket recovered: ${await staff.evaluate(() => window.ringcastInbox.socket.recovered)}`);

    // The widget goes offline in turn: a send fails with a retry, the staff's reply is caught up.
    const expiredBefore = await expiredRecoveries();
    await widget.emulateNetworkConditions({ offline: true, download: 0, upload: 0, latency: 0 });
    await widget.waitForSelector('#conn[data-state=offline]', { timeout: 3000 });
    await write(widget, 'Sent while offline');
    await widget.waitForSelector('#messages .msg.failed .retry');
    await write(staff, 'Found it: it arrives tomorrow.');
    await staff.waitForSelector('#messages .msg.ours:last-child[data-seq]');
    // Offline past the recovery window: the server dropped the widget's socket, so it comes back
    // on a new one and catches up by joining after the last seq it holds.
    await until('the widget\'s saved socket expired', async () => await expiredRecoveries() > expiredBefore, 10_000);
    await widget.emulateNetworkConditions(null);
    await widget.waitForSelector('#conn[data-state=connected]', { timeout: 10_000 });
    assert.equal(await widget.evaluate(() => window.ringcastWidget.socket.recovered), false);
    await widget.waitForFunction(() => [...document.querySelectorAll('#messages .msg .text')]
      .some((el) => el.textContent === 'Found it: it arrives tomorrow.'), { timeout: 5000 });
    await widget.click('#messages .msg.failed .retry');
    await widget.waitForFunction(() => !document.querySelector('#messages .msg.failed')
      && !document.querySelector('#messages .msg:not([data-seq])'), { timeout: 5000 });
    await staff.waitForFunction(() => [...document.querySelectorAll('#messages .msg .text')]
      .some((el) => el.textContent === 'Sent while offline'), { timeout: 5000 });
    for (const page of [widget, staff]) {
      const all = (await shownMessages(page)).map((m) => m.seq);
      assert.deepEqual(all, all.map((_, i) => i + 1), 'every seq once, in order, no gap');
    }
    const conversationId = await widget.evaluate(() => window.ringcastWidget.session.conversationId);
    const [{ count }] = await db.query('select count(*)::int as count from messages where conversation_id = $1', [conversationId]);
    assert.equal((await shownMessages(widget)).length, count, 'the widget shows every stored message');
  });

  test('a reload of the widget comes back to the same conversation, with its read ticks', async () => {
    // The staff has the conversation open: everything the customer wrote gets read.
    const allRead = () => [...document.querySelectorAll('#messages .msg.ours .tick')].every((el) => el.dataset.tick === 'read');
    await widget.waitForFunction(allRead, { timeout: 5000 });
    const before = await shownMessages(widget);
    await widget.reload();
    await widget.waitForSelector('#conn[data-state=connected]', { timeout: 10_000 });
    await widget.waitForFunction((n) => document.querySelectorAll('#messages .msg[data-seq]').length === n,
      { timeout: 5000 }, before.length);
    assert.deepEqual((await shownMessages(widget)).map((m) => m.text), before.map((m) => m.text));
    assert.equal(await widget.$eval('#greeting', (el) => el.hidden), true);
    assert.ok(await widget.evaluate(allRead), 'the ticks are still read after the reload');
  });

  test('a screenshot of the inbox and the widget at 1280x800', async () => {
    await screenshot(staff, 'inbox');
    await screenshot(widget, 'widget');
  });

  test('a customer who asks for a person: marked in the list, the reason in the view, priority and resolve', async () => {
    const carol = await connect(server.url, { transports: ['websocket'],
      auth: { token: ringcastToken(SECRET, 'carol', 'customer', ['--name', 'Carol Diaz']) } });
    const { conversation } = await carol.timeout(10_000).emitWithAck('conversation:create',
      { content: 'I want to talk to a human please', clientId: randomUUID() });
    const row = `#conversations li[data-id="${conversation.id}"] .row`;
    await staff.waitForSelector(`${row} .human`, { timeout: 7000 });
    await staff.click(row);
    await staff.waitForSelector('#escalation:not([hidden])');
    assert.match(await staff.$eval('#escalation', (el) => el.textContent), /asked for a person/);
    // The hand-over made it more urgent (priority 2): it is listed first.
    assert.equal(await staff.$eval('#conversations li', (el) => el.dataset.id), conversation.id);
    await staff.select('#priority-select', '1');
    await staff.waitForSelector(`${row} .prio[data-priority="1"]`);
    await staff.click('#resolve');
    await staff.waitForFunction((id) => !document.querySelector(`#conversations li[data-id="${id}"]`), {}, conversation.id);
    await staff.click('[role=tab][data-status=resolved]');
    await staff.waitForSelector(row);
    assert.equal(await staff.$eval('[role=tab][aria-selected=true]', (el) => el.dataset.status), 'resolved');
    await staff.click('[role=tab][data-status=open]');
    await staff.waitForSelector('#conversations li');
    carol.disconnect();
  });

  test('paging: the list loads more on scroll, the history older messages on scroll up', async () => {
    const seeder = await connect(server.url, { transports: ['websocket'],
      auth: { token: ringcastToken(SECRET, 'seeder', 'staff', ['--name', 'Seeder']) } });
    const call = async (event, payload) => {
      const ack = await seeder.timeout(10_000).emitWithAck(event, payload);
      assert.ok(!ack.error, `${event}: ${JSON.stringify(ack.error)}`);
      return ack;
    };
    const ids = [];
    for (let i = 0; i < 32; i++) {
      const channel = ['website', 'whatsapp', 'sms', 'instagram', 'email'][i % 5];
      const { conversation } = await call('conversation:create',
        { customerId: `paged-${i}`, channel, content: `Order ${i}`, clientId: randomUUID() });
      ids.push(conversation.id);
    }
    const long = ids[0];
    for (let i = 0; i < 59; i++) await call('message:send', { conversationId: long, content: `Line ${i + 2}`, clientId: randomUUID() });
    seeder.disconnect();

    await staff.reload();
    await staff.waitForSelector('#conn[data-state=connected]', { timeout: 10_000 });
    await staff.waitForFunction(() => document.querySelectorAll('#conversations li').length === 30);
    const [{ open }] = await db.query(`select count(*)::int as open from conversations where status = 'open'`);
    await staff.$eval('#list-scroll', (el) => { el.scrollTop = el.scrollHeight; });
    await staff.waitForFunction((n) => document.querySelectorAll('#conversations li').length === n, {}, open);
    const icons = await staff.$$eval('#conversations .channel-icon', (els) => [...new Set(els.map((el) => el.getAttribute('aria-label')))]);
    assert.deepEqual(icons.sort(), ['email', 'instagram', 'sms', 'website', 'whatsapp'], 'a channel icon on each row');

    await staff.click(`#conversations li[data-id="${long}"] .row`);
    await staff.waitForFunction(() => document.querySelectorAll('#messages .msg').length === 50);
    await staff.$eval('#thread-scroll', (el) => { el.scrollTop = 0; });
    await staff.waitForFunction(() => document.querySelectorAll('#messages .msg').length === 60);
    const seqs = (await shownMessages(staff)).map((m) => m.seq);
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1), 'older pages in order, no gap');
    assert.equal((await shownMessages(staff))[0].text, 'Order 0');
  });

  test('keyboard: Escape goes back to the row, arrow keys move between the tabs', async () => {
    const open = await staff.evaluate(() => window.ringcastInbox.view.conv.id);
    await staff.focus('#composer-input');
    await staff.keyboard.press('Escape');
    assert.equal(await staff.evaluate(() => document.activeElement.closest('li')?.dataset.id), open);
    await staff.focus('[role=tab][data-status=open]');
    await staff.keyboard.press('ArrowRight');
    const selected = () => staff.$eval('[role=tab][aria-selected=true]', (el) => [el.dataset.status, el === document.activeElement]);
    assert.deepEqual(await selected(), ['pending', true]);
    await staff.keyboard.press('ArrowLeft');
    assert.deepEqual(await selected(), ['open', true]);
    await staff.waitForSelector('#conversations li');
  });

  test('the connection indicator says when the page is on long-polling', async () => {
    const page = await staff.browserContext().newPage();
    await page.setViewport({ width: 1280, height: 800 });
    await page.goto(`${server.url}/?transport=polling`);
    await page.waitForSelector('#conn[data-state=long-polling]', { timeout: 10_000 });
    assert.match(await page.$eval('#conn', (el) => el.textContent), /long-polling/);
    await page.close();
  });

  test('/widget.js puts the chat on any page', async () => {
    const host = await personPage(browser);
    const token = ringcastToken(SECRET, 'bob', 'customer', ['--name', 'Bob']);
    await host.goto(`${server.url}/healthz`); // an origin of its own is not needed: any page will do
    await host.setContent(`<!doctype html><html><body style="font-family:sans-serif;padding:40px;background:#fafafa">
      <h1>Acme Outdoor</h1><p>Tents, stoves and everything for the trail.</p>
      <script src="${server.url}/widget.js" data-token="${token}"></script></body></html>`);
    await host.waitForSelector('.ringcast-launcher');
    assert.equal(await host.$eval('.ringcast-frame', (el) => el.hidden), true);
    await host.click('.ringcast-launcher');
    const frameEl = await host.waitForSelector('.ringcast-frame:not([hidden])');
    const frame = await frameEl.contentFrame();
    await frame.waitForSelector('#conn[data-state=connected]', { timeout: 10_000 });
    assert.equal(await host.$eval('.ringcast-launcher', (el) => el.getAttribute('aria-expanded')), 'true');
    assert.equal(await host.$eval('.ringcast-launcher path', (el) => el.getAttribute('d')), 'M6 6l12 12M18 6L6 18');
    await screenshot(host, 'embed');
    assert.deepEqual(host.errors, []);
    await host.browserContext().close();
  });

  test('a visitor without a token gets a session from POST /api/v1/widget/sessions, kept across reloads', async () => {
    const page = await personPage(browser);
    const asked = [];
    page.on('request', (req) => {
      if (req.url().endsWith('/api/v1/widget/sessions')) asked.push(req.method());
    });
    await page.goto(`${server.url}/widget?name=Dana%20Visitor`); // what the embed's data-name passes
    await page.waitForSelector('#conn[data-state=connected]', { timeout: 10_000 });
    await write(page, 'Do you ship to Canada?');
    // Staff see the new visitor by name.
    await staff.waitForFunction(() => [...document.querySelectorAll('#conversations .row .name')]
      .some((el) => el.textContent === 'Dana Visitor'), { timeout: 3000 });
    await page.waitForSelector('#messages .msg.ours[data-seq="1"]');
    // The assistant's answer (or hand-over) comes within its deadline: later steps count messages.
    await page.waitForSelector('#messages .msg[data-sender-type=ai]', { timeout: 7000 });
    await page.reload();
    await page.waitForSelector('#messages .msg[data-seq="2"]', { timeout: 10_000 });
    assert.deepEqual(asked, ['POST'], 'one session, kept in localStorage');
    const sub = await page.evaluate(() => JSON.parse(atob(window.ringcastWidget.session.token.split('.')[1])).sub);
    assert.match(sub, /^visitor-[0-9a-f]{32}$/);
    const [{ owner }] = await db.query(`select cu.external_id as owner from messages m
      join conversations c on c.id = m.conversation_id join customers cu on cu.id = c.customer_id
      where m.content = 'Do you ship to Canada?'`);
    assert.equal(owner, sub, 'the conversation is the visitor\'s');
    assert.deepEqual(page.errors, []);
    await page.browserContext().close();
  });

  test('the dashboard offers the development sign-in to a browser without a token', async () => {
    const page = await personPage(browser);
    await page.goto(`${server.url}/dashboard`);
    await page.waitForSelector('#signin-dev:not([hidden])');
    await page.click('#signin-dev');
    await page.waitForFunction(() => !document.querySelector('#app').hidden && Number(document.body.dataset.refreshes) >= 1,
      { timeout: 10_000 });
    assert.deepEqual(page.errors, []);
    await page.browserContext().close();
  });

  test('the dashboard shows the numbers this test produced, with its charts', async () => {
    const [{ count }] = await db.query('select count(*)::int as count from messages');
    const page = await staff.browserContext().newPage();
    await page.setViewport({ width: 1280, height: 800 });
    page.errors = [];
    page.on('pageerror', (e) => page.errors.push(e.message));
    await page.goto(`${server.url}/dashboard?refreshMs=500`);
    await page.waitForFunction((n) => document.querySelector('[data-metric=messagesStored]').textContent === String(n)
      && Number(document.body.dataset.refreshes) >= 3, { timeout: 10_000 }, count);
    const figures = await page.$$eval('[data-metric]', (els) => Object.fromEntries(els.map((el) => [el.dataset.metric, el.textContent])));
    assert.ok(Number(figures.connections) >= 2, `connections ${figures.connections}`);
    assert.match(figures.aiAvg, /^\d+(\.\d+)? (ms|s)$/, 'the AI answered: its response time shows');
    assert.equal(await page.$$eval('.chart .uplot canvas', (els) => els.filter((c) => c.width > 0).length), 4);
    {
      // The metrics API's figures are this test's: every message and conversation is in the window.
      const byChannel = await db.query(`select c.channel as k, count(*)::int as n from messages m
        join conversations c on c.id = m.conversation_id group by 1`);
      const byStatus = await db.query('select status as k, count(*)::int as n from conversations group by 1');
      const [{ human }] = await db.query(`select count(*)::int as human from conversations
        where requires_human and status in ('open', 'pending')`);
      const expected = Object.fromEntries([...byChannel.map((r) => [`channel.${r.k}`, String(r.n)]),
        ...byStatus.map((r) => [`status.${r.k}`, String(r.n)]), ['requiresHuman', String(human)]]);
      await page.waitForFunction((want) => Object.entries(want).every(([k, v]) =>
        document.querySelector(`[data-metric="${k}"]`)?.textContent === v), { timeout: 10_000 }, expected);
      assert.equal(await page.$eval('#notice', (el) => el.hidden), true);
    }
    await screenshot(page, 'dashboard');
    assert.deepEqual(page.errors, []);
    await page.close();
  });

});
