// The inbound channel webhooks end to end (broker/channels, docs/webhooks.md): Twilio (WhatsApp
// and SMS), the WhatsApp Cloud API, Instagram Messaging and Mailgun e-mail against the ringcast
// binary with 2 shards and a real PostgreSQL. Every signature is computed here, independently,
// with Node's crypto; staff watch with the stock socket.io-client.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import { spawnSync } from 'node:child_process';
import { mailgunSignature, metaSignature, request, twilioSignature } from './webhook_requests.mjs';
import { binaryPath, connect, isReference, serverKind, startServer, stopServer, test, until, collect } from './harness.mjs';
import { ringcastToken } from './jwt.mjs';
import { startPostgres, stopSuite } from './postgres.mjs';

const SECRET = 'webhooks-test-secret';
const TWILIO_TOKEN = 'twilio-auth-token-1';
const TWILIO_SID = 'AC0123456789abcdef0123456789abcdef';
const WA_SECRET = 'whatsapp-app-secret-1';
const WA_VERIFY = 'wa-verify-1';
const IG_SECRET = 'instagram-app-secret-1';
const IG_VERIFY = 'ig-verify-1';
const MAILGUN_KEY = 'mailgun-signing-key-1';
const MAX_BODY = 65536;

const form = (params) => new URLSearchParams(params).toString();

function twilioRequest(server, params, { token = TWILIO_TOKEN, signature, path = '/webhooks/twilio', agent } = {}) {
  const sig = signature === undefined ? twilioSignature(token, `http://127.0.0.1:${server.port}${path}`, params) : signature;
  const headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
  if (sig !== null) headers['X-Twilio-Signature'] = sig;
  return request(server, { path, headers, body: form(params), agent });
}

function metaRequest(server, path, payload, { secret, signature, raw } = {}) {
  const body = raw ?? JSON.stringify(payload);
  const headers = { 'Content-Type': 'application/json' };
  const sig = signature === undefined ? metaSignature(secret, body) : signature;
  if (sig !== null) headers['X-Hub-Signature-256'] = sig;
  return request(server, { path, headers, body });
}

function mailgunFields(fields, { key = MAILGUN_KEY, timestamp = String(Math.floor(Date.now() / 1000)) } = {}) {
  const token = randomUUID().replaceAll('-', '');
  return { ...fields, timestamp, token, signature: mailgunSignature(key, timestamp, token) };
}

function multipart(fields, files = []) {
  const boundary = '----ringcast' + randomUUID();
  let body = 'preamble, ignored\r\n';
  for (const [name, value] of Object.entries(fields))
    body += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  for (const f of files)
    body += `--${boundary}\r\nContent-Disposition: form-data; name="${f.name}"; filename="${f.filename}"\r\nContent-Type: ${f.type}\r\n\r\n${f.data}\r\n`;
  body += `--${boundary}--\r\n`;
  return { body, type: `multipart/form-data; boundary="${boundary}"` };
}

function mailgunRequest(server, fields, { multipartBody = true, files = [] } = {}) {
  if (multipartBody) {
    const { body, type } = multipart(fields, files);
    return request(server, { path: '/webhooks/email', headers: { 'Content-Type': type }, body });
  }
  return request(server, { path: '/webhooks/email', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form(fields) });
}

const whatsappPayload = ({ from, id, text, name }) => ({
  object: 'whatsapp_business_account',
  entry: [{
    id: 'WABA-1',
    changes: [{
      field: 'messages',
      value: {
        messaging_product: 'whatsapp',
        metadata: { display_phone_number: '15550000000', phone_number_id: 'PN-1' },
        contacts: [{ profile: { name }, wa_id: from }],
        messages: [{ from, id, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: text } }],
      },
    }],
  }],
});

const instagramPayload = ({ sender, mid, text, echo = false }) => ({
  object: 'instagram',
  entry: [{
    id: 'IG-PAGE-1',
    time: Date.now(),
    messaging: [{ sender: { id: sender }, recipient: { id: 'IG-PAGE-1' }, timestamp: Date.now(), message: { mid, text, ...(echo ? { is_echo: true } : {}) } }],
  }],
});

describe(`channel webhooks against ${serverKind}`, { skip: isReference && 'webhooks are ringcast-only' }, () => {
  let db;
  let server;
  let bare;  // no provider secrets: every webhook route is off
  before(async () => {
    db = await startPostgres();
    server = await startServer('inbox', [
      '--ai-backend', 'off',
      '--jwt-secret', SECRET,
      '--database-url', db.url,
      '--twilio-auth-token', TWILIO_TOKEN,
      '--twilio-account-sid', TWILIO_SID,
      '--whatsapp-app-secret', WA_SECRET,
      '--whatsapp-verify-token', WA_VERIFY,
      '--instagram-app-secret', IG_SECRET,
      '--instagram-verify-token', IG_VERIFY,
      '--mailgun-signing-key', MAILGUN_KEY,
      '--webhook-max-body-bytes', String(MAX_BODY),
    ]);
    bare = await startServer('inbox', ['--ai-backend', 'off', '--jwt-secret', SECRET, '--database-url', db.url]);
  });
  after(() => stopSuite(db, server, bare));

  const staff = async () => {
    const s = await connect(server.url, { transports: ['websocket'], auth: { token: ringcastToken(SECRET, `agent-${randomUUID()}`, 'staff') } });
    return { socket: s, news: collect(s, 'conversation:new'), messages: collect(s, 'message:new') };
  };
  const stored = async (clientId) =>
    db.query('SELECT m.*, c.channel, c.subject FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.client_message_id = $1', [clientId]);
  const storedCount = async (clientId) => (await stored(clientId)).length;
  const customerIdOk = (got, channel, external) => got === external || got === `${channel}:${external}`;

  test('every channel flag is in --help exactly once, with its environment twin (one struct holds them for both directions)', () => {
    const help = spawnSync(binaryPath(), ['--help'], { encoding: 'utf8' }).stdout;
    for (const flag of ['twilio-auth-token', 'twilio-account-sid', 'whatsapp-app-secret', 'whatsapp-verify-token', 'whatsapp-token',
      'whatsapp-phone-number-id', 'instagram-app-secret', 'instagram-verify-token', 'instagram-token', 'mailgun-signing-key',
      'public-url', 'webhook-max-body-bytes', 'mailgun-max-age']) {
      const lines = help.split('\n').filter((l) => l.startsWith(`  --${flag} `));
      assert.equal(lines.length, 1, `--${flag} is listed ${lines.length} times`);
      assert.ok(lines[0].includes(`[env RINGCAST_${flag.toUpperCase().replaceAll('-', '_')}]`), lines[0]);
    }
  });

  test('Twilio signatures: right one stored; wrong secret, altered body, missing header, other account -> 403, nothing stored', async () => {
    const params = { AccountSid: TWILIO_SID, From: '+15550001001', To: '+15559990000', Body: 'signed', MessageSid: 'SMsig1', NumMedia: '0' };
    const wrong = await twilioRequest(server, { ...params, MessageSid: 'SMsig-wrong' }, { token: 'not-the-token' });
    assert.equal(wrong.status, 403);
    const good = twilioSignature(TWILIO_TOKEN, `http://127.0.0.1:${server.port}/webhooks/twilio`, { ...params, MessageSid: 'SMsig-altered' });
    const altered = await twilioRequest(server, { ...params, MessageSid: 'SMsig-altered', Body: 'changed' }, { signature: good });
    assert.equal(altered.status, 403);
    const missing = await twilioRequest(server, { ...params, MessageSid: 'SMsig-missing' }, { signature: null });
    assert.equal(missing.status, 403);
    const account = await twilioRequest(server, { ...params, AccountSid: 'ACother', MessageSid: 'SMsig-account' });
    assert.equal(account.status, 403);
    for (const id of ['SMsig-wrong', 'SMsig-altered', 'SMsig-missing', 'SMsig-account']) assert.equal(await storedCount(id), 0, id);
    const ok = await twilioRequest(server, params);
    assert.equal(ok.status, 200);
    assert.match(ok.headers['content-type'], /^text\/xml/);
    assert.match(ok.body, /<Response\/>/);
    assert.equal(await storedCount('SMsig1'), 1);
  });

  test('Meta signatures (WhatsApp, Instagram): wrong secret, altered body, missing header -> 403, nothing stored', async () => {
    for (const [path, secret, payload, id] of [
      ['/webhooks/whatsapp', WA_SECRET, (mid) => whatsappPayload({ from: '15550002001', id: mid, text: 'hi', name: 'W' }), 'wamid.sig'],
      ['/webhooks/instagram', IG_SECRET, (mid) => instagramPayload({ sender: 'IGSID-sig', mid, text: 'hi' }), 'igmid.sig'],
    ]) {
      assert.equal((await metaRequest(server, path, payload(`${id}-wrong`), { secret: 'not-the-secret' })).status, 403);
      const body = JSON.stringify(payload(`${id}-altered`));
      const sig = metaSignature(secret, body);
      assert.equal((await metaRequest(server, path, null, { raw: body.replace('hi', 'ho'), signature: sig })).status, 403);
      assert.equal((await metaRequest(server, path, payload(`${id}-missing`), { signature: null })).status, 403);
      assert.equal((await metaRequest(server, path, payload(`${id}-prefix`), { signature: sig.slice(7) })).status, 403);
      for (const suffix of ['wrong', 'altered', 'missing', 'prefix']) assert.equal(await storedCount(`${id}-${suffix}`), 0);
      // Hex digits of either case are the same signature.
      const good = JSON.stringify(payload(`${id}-ok`));
      assert.equal((await metaRequest(server, path, null, { raw: good, signature: metaSignature(secret, good).toUpperCase().replace('SHA256=', 'sha256=') })).status, 200);
      assert.equal(await storedCount(`${id}-ok`), 1);
    }
  });

  test('Mailgun signatures: wrong key, altered token, missing signature, stale timestamp -> 403, nothing stored', async () => {
    const mail = (id) => ({ sender: 'sig@example.com', from: 'Sig <sig@example.com>', subject: 'sig', 'body-plain': 'hello', 'Message-Id': `<${id}@example.com>` });
    const wrong = mailgunFields(mail('mg-wrong'), { key: 'not-the-key' });
    assert.equal((await mailgunRequest(server, wrong)).status, 403);
    const altered = { ...mailgunFields(mail('mg-altered')), token: 'f'.repeat(32) };
    assert.equal((await mailgunRequest(server, altered)).status, 403);
    const missing = mailgunFields(mail('mg-missing'));
    delete missing.signature;
    assert.equal((await mailgunRequest(server, missing)).status, 403);
    const stale = mailgunFields(mail('mg-stale'), { timestamp: String(Math.floor(Date.now() / 1000) - 301) });
    const staleRes = await mailgunRequest(server, stale);
    assert.equal(staleRes.status, 403);
    assert.match(staleRes.body, /replay/);
    for (const id of ['mg-wrong', 'mg-altered', 'mg-missing', 'mg-stale']) assert.equal(await storedCount(`<${id}@example.com>`), 0);
    assert.equal((await mailgunRequest(server, mailgunFields(mail('mg-ok')))).status, 200);
    assert.equal(await storedCount('<mg-ok@example.com>'), 1);
  });

  test('WhatsApp (Cloud API) and WhatsApp via Twilio reach staff live as one customer; a redelivery stores nothing twice', async () => {
    const { news, messages } = await staff();
    const payload = whatsappPayload({ from: '15550003001', id: 'wamid.live1', text: 'Hello from WhatsApp', name: 'Wanda' });
    const first = await metaRequest(server, '/webhooks/whatsapp', payload, { secret: WA_SECRET });
    assert.equal(first.status, 200);
    await until('conversation:new and message:new', () => news.length === 1 && messages.length === 1);
    const c = news[0];
    assert.equal(c.channel, 'whatsapp');
    assert.ok(customerIdOk(c.customerId, 'whatsapp', '+15550003001'), c.customerId);
    const m = messages[0];
    assert.equal(m.conversationId, c.id);
    assert.equal(m.senderType, 'customer');
    assert.equal(m.senderId, 'whatsapp:+15550003001');
    assert.equal(m.senderName, 'Wanda');
    assert.equal(m.content, 'Hello from WhatsApp');
    assert.equal(m.clientId, 'wamid.live1');
    // The same webhook again: 200, still one row, no second message:new.
    const again = await metaRequest(server, '/webhooks/whatsapp', payload, { secret: WA_SECRET });
    assert.equal(again.status, 200);
    assert.equal(await storedCount('wamid.live1'), 1);
    // The same number through Twilio joins the open conversation.
    const viaTwilio = await twilioRequest(server, {
      AccountSid: TWILIO_SID, From: 'whatsapp:+15550003001', To: 'whatsapp:+15559990000', Body: 'And via Twilio', MessageSid: 'SMwa1',
      NumMedia: '1', MediaUrl0: 'https://api.twilio.com/media/1', MediaContentType0: 'image/jpeg', ProfileName: 'Wanda',
    });
    assert.equal(viaTwilio.status, 200);
    await until('the second message', () => messages.length === 2);
    assert.equal(messages[1].conversationId, c.id);
    assert.equal(messages[1].seq, 2);
    assert.deepEqual(messages[1].attachments, [{ url: 'https://api.twilio.com/media/1', contentType: 'image/jpeg' }]);
    assert.equal(news.length, 1);
    const rows = await db.query("SELECT count(*)::int AS n FROM messages WHERE sender_id = 'whatsapp:+15550003001'");
    assert.equal(rows[0].n, 2);
    const customers = await db.query("SELECT name FROM customers WHERE channel = 'whatsapp' AND external_id = '+15550003001'");
    assert.deepEqual(customers, [{ name: 'Wanda' }]);
  });

  test('an SMS through Twilio reaches staff live; redelivered, it is stored once', async () => {
    const { news, messages } = await staff();
    const params = { AccountSid: TWILIO_SID, From: '+15550004001', To: '+15559990000', Body: 'Text message', MessageSid: 'SMsms1', NumMedia: '0' };
    assert.equal((await twilioRequest(server, params)).status, 200);
    await until('the SMS', () => news.length === 1 && messages.length === 1);
    assert.equal(news[0].channel, 'sms');
    assert.ok(customerIdOk(news[0].customerId, 'sms', '+15550004001'), news[0].customerId);
    assert.equal(messages[0].senderId, 'sms:+15550004001');
    assert.equal(messages[0].content, 'Text message');
    const again = await twilioRequest(server, params);
    assert.equal(again.status, 200);
    assert.match(again.body, /<Response\/>/);
    assert.equal(await storedCount('SMsms1'), 1);
  });

  test('an Instagram message reaches staff live; echoes of our own messages are skipped', async () => {
    const { news, messages } = await staff();
    const echo = instagramPayload({ sender: 'IG-PAGE-1', mid: 'igmid.echo', text: 'ours', echo: true });
    assert.equal((await metaRequest(server, '/webhooks/instagram', echo, { secret: IG_SECRET })).status, 200);
    const res = await metaRequest(server, '/webhooks/instagram', instagramPayload({ sender: 'IGSID-5001', mid: 'igmid.live1', text: 'From Instagram' }), { secret: IG_SECRET });
    assert.equal(res.status, 200);
    await until('the Instagram message', () => news.length === 1 && messages.length === 1);
    assert.equal(news[0].channel, 'instagram');
    assert.ok(customerIdOk(news[0].customerId, 'instagram', 'IGSID-5001'), news[0].customerId);
    assert.equal(messages[0].senderId, 'instagram:IGSID-5001');
    assert.equal(messages[0].content, 'From Instagram');
    assert.equal(await storedCount('igmid.echo'), 0);
  });

  test('e-mail: a new mail opens a conversation, a reply (In-Reply-To) lands in it, a new thread opens another', async () => {
    const { news, messages } = await staff();
    const first = mailgunFields({
      sender: 'Carol@Example.com', from: '"Carol Jones" <Carol@Example.com>', recipient: 'support@ours.example', subject: 'Broken kettle',
      'body-plain': 'My kettle broke.\n\n> quoted', 'stripped-text': 'My kettle broke.', 'Message-Id': '<m1@example.com>',
    });
    const res = await mailgunRequest(server, first, { files: [{ name: 'attachment-1', filename: 'photo.jpg', type: 'image/jpeg', data: 'JPEGDATA' }] });
    assert.equal(res.status, 200);
    await until('the first mail', () => news.length === 1 && messages.length === 1);
    const c = news[0];
    assert.equal(c.channel, 'email');
    assert.equal(c.subject, 'Broken kettle');
    assert.ok(customerIdOk(c.customerId, 'email', 'carol@example.com'), c.customerId);
    assert.equal(messages[0].senderId, 'email:carol@example.com');
    assert.equal(messages[0].senderName, 'Carol Jones');
    assert.equal(messages[0].content, 'My kettle broke.');
    assert.equal(messages[0].clientId, '<m1@example.com>');
    assert.deepEqual(messages[0].attachments, [{ filename: 'photo.jpg', contentType: 'image/jpeg', size: 8 }]);
    // The reply, url-encoded this time.
    const reply = mailgunFields({
      sender: 'carol@example.com', from: 'carol@example.com', subject: 'Re: Broken kettle', 'body-plain': 'Any news?',
      'Message-Id': '<m2@example.com>', 'In-Reply-To': '<m1@example.com>', References: '<m1@example.com>',
    });
    assert.equal((await mailgunRequest(server, reply, { multipartBody: false })).status, 200);
    await until('the reply', () => messages.length === 2);
    assert.equal(messages[1].conversationId, c.id);
    assert.equal(messages[1].seq, 2);
    // A redelivery of the reply stores nothing.
    assert.equal((await mailgunRequest(server, { ...reply, ...mailgunFields({}) }, { multipartBody: false })).status, 200);
    assert.equal(await storedCount('<m2@example.com>'), 1);
    // A new thread from the same customer opens a new conversation.
    const fresh = mailgunFields({ sender: 'carol@example.com', subject: 'Another thing', 'body-plain': 'New topic', 'Message-Id': '<m3@example.com>' });
    assert.equal((await mailgunRequest(server, fresh)).status, 200);
    await until('the new thread', () => news.length === 2 && messages.length === 3);
    assert.notEqual(news[1].id, c.id);
    assert.equal(messages[2].conversationId, news[1].id);
    // References alone (oldest first, an unknown id among them) thread too; the Message-Id was sent without brackets.
    const byReferences = mailgunFields({
      sender: 'carol@example.com', subject: 'Re: Another thing', 'body-plain': 'More on that',
      'Message-Id': 'm4@example.com', References: '<elsewhere@example.com>\r\n <m3@example.com>',
    });
    assert.equal((await mailgunRequest(server, byReferences)).status, 200);
    await until('the mail threaded by References', () => messages.length === 4);
    assert.equal(messages[3].conversationId, news[1].id);
    assert.equal(messages[3].clientId, '<m4@example.com>');
    assert.equal(news.length, 2);
  });

  test('GET verification (Meta): the challenge is echoed for the right token only', async () => {
    const get = (path, q) => request(server, { method: 'GET', path: `${path}?${form(q)}` });
    const ok = await get('/webhooks/whatsapp', { 'hub.mode': 'subscribe', 'hub.verify_token': WA_VERIFY, 'hub.challenge': '1158201444' });
    assert.equal(ok.status, 200);
    assert.equal(ok.body, '1158201444');
    const ig = await get('/webhooks/instagram', { 'hub.mode': 'subscribe', 'hub.verify_token': IG_VERIFY, 'hub.challenge': 'abc' });
    assert.equal(ig.body, 'abc');
    assert.equal((await get('/webhooks/whatsapp', { 'hub.mode': 'subscribe', 'hub.verify_token': 'nope', 'hub.challenge': '1' })).status, 403);
    assert.equal((await get('/webhooks/whatsapp', { 'hub.mode': 'subscribe' })).status, 400);
  });

  test('malformed -> 400, too large -> 413, unknown content type -> 415, provider off -> 404; none stores anything', async () => {
    const before = (await db.query('SELECT count(*)::int AS n FROM messages'))[0].n;
    // 400: signed but not JSON, signed JSON without entry[], a Twilio form without From, a broken multipart body.
    assert.equal((await metaRequest(server, '/webhooks/whatsapp', null, { raw: '{"entry": [', secret: WA_SECRET })).status, 400);
    assert.equal((await metaRequest(server, '/webhooks/instagram', { object: 'instagram' }, { secret: IG_SECRET })).status, 400);
    assert.equal((await twilioRequest(server, { AccountSid: TWILIO_SID, Body: 'no sender', MessageSid: 'SMbad' })).status, 400);
    const broken = multipart({ sender: 'x@example.com' });
    const cut = await request(server, { path: '/webhooks/email', headers: { 'Content-Type': broken.type }, body: broken.body.slice(0, -10) });
    assert.equal(cut.status, 400);
    const noBoundary = await request(server, { path: '/webhooks/email', headers: { 'Content-Type': 'multipart/form-data' }, body: 'x' });
    assert.equal(noBoundary.status, 400);
    // 413: past --webhook-max-body-bytes.
    const big = await twilioRequest(server, { AccountSid: TWILIO_SID, From: '+15550009001', Body: 'x'.repeat(MAX_BODY), MessageSid: 'SMbig' });
    assert.equal(big.status, 413);
    // 415: JSON to Twilio, a form to WhatsApp, text to Mailgun.
    const json = await request(server, { path: '/webhooks/twilio', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(json.status, 415);
    const formToMeta = await request(server, { path: '/webhooks/whatsapp', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'a=b' });
    assert.equal(formToMeta.status, 415);
    const text = await request(server, { path: '/webhooks/email', headers: { 'Content-Type': 'text/plain' }, body: 'hello' });
    assert.equal(text.status, 415);
    // 404: a server without the secrets has no webhooks; an unknown path neither.
    for (const path of ['/webhooks/twilio', '/webhooks/whatsapp', '/webhooks/instagram', '/webhooks/email']) {
      const off = await request(bare, { path, headers: { 'Content-Type': 'application/json' }, body: '{}' });
      assert.equal(off.status, 404, path);
    }
    const offGet = await request(bare, { method: 'GET', path: '/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1' });
    assert.equal(offGet.status, 404);
    assert.equal((await request(server, { path: '/webhooks/nowhere', body: '' })).status, 404);
    assert.equal((await request(server, { method: 'GET', path: '/webhooks/twilio' })).status, 405);
    assert.equal((await db.query('SELECT count(*)::int AS n FROM messages'))[0].n, before);
    // Every outcome is counted by provider.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const count = (provider, outcome) =>
      Number(metrics.match(new RegExp(`ringcast_webhook_requests_total\\{provider="${provider}",outcome="${outcome}"\\} (\\d+)`))?.[1]);
    // (What this test sent; the other tests only add to these.)
    for (const [provider, outcome, atLeast] of [
      ['twilio', 'malformed', 1], ['twilio', 'too_large', 1], ['twilio', 'unsupported_type', 1],
      ['whatsapp', 'malformed', 1], ['whatsapp', 'unsupported_type', 1], ['instagram', 'malformed', 1],
      ['email', 'malformed', 2], ['email', 'unsupported_type', 1],
    ]) assert.ok(count(provider, outcome) >= atLeast, `${provider} ${outcome}: ${count(provider, outcome)}`);
    const bareMetrics = await (await fetch(`${bare.url}/metrics`)).text();
    assert.match(bareMetrics, /ringcast_webhook_requests_total\{provider="email",outcome="not_configured"\} 1\n/);
  });

  test('with AI replies on, an inbound SMS gets an AI job and the AI answer in its conversation, like a widget message', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ringcast-webhooks-ai-'));
    writeFileSync(path.join(dir, 'knowledge.json'), JSON.stringify([
      { question: 'How long does shipping take?', answer: 'Orders ship within 2 business days.', intent: 'shipping', keywords: ['shipping', 'delivery'] },
    ]));
    const withAi = await startServer('inbox', [
      '--jwt-secret', SECRET, '--database-url', db.url, '--twilio-auth-token', TWILIO_TOKEN,
      '--ai-knowledge', path.join(dir, 'knowledge.json'),
    ]);
    try {
      const s = await connect(withAi.url, { transports: ['websocket'], auth: { token: ringcastToken(SECRET, 'agent-ai-watch', 'staff') } });
      const messages = collect(s, 'message:new');
      const res = await twilioRequest(withAi, { From: '+15550007001', To: '+15559990000', Body: 'How long does shipping take?', MessageSid: 'SMai1' });
      assert.equal(res.status, 200);
      await until('the AI reply on the staff feed', () => messages.some((m) => m.senderType === 'ai'));
      const customerMessage = messages.find((m) => m.senderType === 'customer');
      const reply = messages.find((m) => m.senderType === 'ai');
      assert.equal(customerMessage.clientId, 'SMai1');
      assert.equal(reply.conversationId, customerMessage.conversationId);
      assert.match(reply.content, /2 business days/);
      const jobs = await db.query('SELECT j.status FROM ai_jobs j JOIN messages m ON m.id = j.message_id WHERE m.client_message_id = $1', ['SMai1']);
      assert.equal(jobs.length, 1);
    } finally {
      await stopServer(withAi);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the database away: 503 with Retry-After and nothing stored; the redelivery once it is back is stored once', async () => {
    const params = { AccountSid: TWILIO_SID, From: '+15550008001', To: '+15559990000', Body: 'during the outage', MessageSid: 'SMoutage1' };
    db.stop();
    let restarted = false;
    try {
      const during = await twilioRequest(server, params);
      assert.equal(during.status, 503);
      assert.equal(during.headers['retry-after'], '1');
    } finally {
      db.start();
      restarted = true;
    }
    assert.ok(restarted);
    assert.equal(await storedCount('SMoutage1'), 0);
    // The provider retries; once the shard has reconnected the same webhook is stored, once.
    let answered = 0;
    await until('a redelivery accepted after the database came back', async () => {
      answered = (await twilioRequest(server, params)).status;
      return answered === 200;
    }, 20_000);
    assert.equal((await twilioRequest(server, params)).status, 200);
    assert.equal(await storedCount('SMoutage1'), 1);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /ringcast_webhook_requests_total\{provider="twilio",outcome="unavailable"\} [1-9]/);
    assert.match(metrics, /ringcast_webhook_requests_total\{provider="twilio",outcome="duplicate"\} [1-9]/);
  });

  test('a flood of 10,000 signed webhooks is stored once each while a Socket.IO client keeps answering pings', { timeout: 90_000 }, async () => {
    const watcher = await connect(server.url, { transports: ['websocket'], auth: { token: ringcastToken(SECRET, 'flood-watch', 'staff') } });
    let disconnected = null;
    watcher.on('disconnect', (why) => { disconnected = why; });
    let pings = 0;
    watcher.io.engine.on('ping', () => { pings += 1; });
    const TOTAL = 10_000;
    const CONCURRENCY = 50;
    const CUSTOMERS = 500;
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const started = Date.now();
    let next = 0;
    const failures = [];
    const worker = async () => {
      while (next < TOTAL) {
        const i = next++;
        const params = {
          AccountSid: TWILIO_SID, From: `+1666${String(i % CUSTOMERS).padStart(7, '0')}`, To: '+15559990000',
          Body: `flood ${i}`, MessageSid: `SMflood${i}`, NumMedia: '0',
        };
        const res = await twilioRequest(server, params, { agent });
        if (res.status !== 200) failures.push(`${i}: ${res.status} ${res.body}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const elapsed = Date.now() - started;
    agent.destroy();
    assert.deepEqual(failures.slice(0, 5), []);
    const [{ n, distinct, conversations }] = await db.query(
      "SELECT count(*)::int AS n, count(DISTINCT client_message_id)::int AS distinct, count(DISTINCT conversation_id)::int AS conversations FROM messages WHERE client_message_id LIKE 'SMflood%'");
    assert.equal(n, TOTAL);
    assert.equal(distinct, TOTAL);
    // One open conversation per customer, however the webhooks of one number raced.
    assert.equal(conversations, CUSTOMERS);
    assert.equal(disconnected, null, `the watcher was disconnected: ${disconnected}`);
    assert.ok(watcher.connected);
    // The server pings every 300 ms (harness.mjs); a stalled shard would have let the client go.
    // At least half the pings a perfect clock would send (the machine may be shared and busy).
    assert.ok(pings >= Math.floor(elapsed / 600), `${pings} pings in ${elapsed} ms`);
    console.log(`# flood: ${TOTAL} webhooks in ${elapsed} ms, ${pings} pings answered`);
  });
});
