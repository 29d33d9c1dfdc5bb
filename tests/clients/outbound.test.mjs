// Outbound delivery end to end: the ringcast binary with 2 shards, a real PostgreSQL, the stock
// socket.io-client for staff and customers, and the fake providers (fake_providers.mjs: Twilio,
// the WhatsApp Cloud API, Instagram's Send API and an SMTP server). A staff or AI message in a
// channel conversation reaches its provider exactly once, and the staff see each step as
// `message:status` (sent, failed with a reason). Channel conversations are made directly in
// PostgreSQL (outbound_support.mjs). The status callbacks are in outbound_status.test.mjs.
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { closeClients, isReference, serverKind, startServer, stopServer, test } from './harness.mjs';
import {
  IG_TOKEN, TWILIO_SID, TWILIO_TOKEN, WA_PHONE_ID, WA_TOKEN, outboundHelpers, providerFlags, startOutbound, stopOutbound, until,
} from './outbound_support.mjs';
import { request, twilioSignature } from './webhook_requests.mjs';

describe(`outbound delivery against ${serverKind}`, { skip: isReference && 'the inbox profile is ringcast-only' }, () => {
  const ctx = { statuses: [] };
  const { as, call, newPhone, channelConversation, customerMessage, statusesOf, statusOf, delivery, reply, staffSocket } =
    outboundHelpers(ctx);
  const flags = () => providerFlags(ctx);

  before(() => startOutbound(ctx));
  after(() => stopOutbound(ctx));

  test('a staff reply in an SMS conversation reaches Twilio once, with the right number, text and auth', async () => {
    const phone = newPhone();
    const id = await channelConversation('sms', phone, { name: 'Sam Smith' });
    const ack = await reply(id, 'Your order ships today.');
    const sent = await statusOf(id, ack.seq, 'sent');
    const [req] = ctx.fake.of(phone);
    assert.equal(ctx.fake.of(phone).length, 1);
    assert.equal(req.provider, 'twilio');
    assert.equal(req.account, TWILIO_SID);
    assert.deepEqual(req.body, { To: phone, From: '+15550000000', Body: 'Your order ships today.' });
    assert.equal(req.headers.authorization, `Basic ${Buffer.from(`${TWILIO_SID}:${TWILIO_TOKEN}`).toString('base64')}`);
    assert.equal(sent.providerMessageId, req.id);
    assert.equal(sent.provider, 'twilio');
    assert.equal(sent.channel, 'sms');
    assert.equal(sent.messageId, ack.id);
    assert.equal(sent.attempts, 1);
    assert.ok(!('reason' in sent));
    const row = await delivery(id, ack.seq);
    assert.equal(row.status, 'sent');
    assert.equal(row.provider_message_id, req.id);
    assert.equal(row.attempts, 1);
    const { messages } = await call(ctx.staff, 'message:history', { conversationId: id });
    assert.deepEqual(messages.find((m) => m.seq === ack.seq).delivery, { status: 'sent' });
  });

  test('WhatsApp goes through the Cloud API when its token is set', async () => {
    const phone = newPhone();
    const id = await channelConversation('whatsapp', phone);
    const ack = await reply(id, 'Hola! Te ayudo con tu pedido.');
    const sent = await statusOf(id, ack.seq, 'sent');
    assert.equal(ctx.fake.of(phone.slice(1)).length, 1);
    const [req] = ctx.fake.of(phone.slice(1));
    assert.equal(req.provider, 'whatsapp');
    assert.equal(req.phoneNumberId, WA_PHONE_ID);
    assert.equal(req.headers.authorization, `Bearer ${WA_TOKEN}`);
    assert.deepEqual(req.body, {
      messaging_product: 'whatsapp', recipient_type: 'individual', to: phone.slice(1), type: 'text',
      text: { preview_url: false, body: 'Hola! Te ayudo con tu pedido.' },
    });
    assert.equal(sent.provider, 'whatsapp');
    assert.equal(sent.providerMessageId, req.id);
  });

  test('Instagram replies go through the Send API to the IGSID', async () => {
    const igsid = '17841400000000001';
    const id = await channelConversation('instagram', igsid);
    const ack = await reply(id, 'Thanks for the DM 💬');
    const sent = await statusOf(id, ack.seq, 'sent');
    assert.equal(ctx.fake.of(igsid).length, 1);
    const [req] = ctx.fake.of(igsid);
    assert.equal(req.provider, 'instagram');
    assert.equal(req.headers.authorization, `Bearer ${IG_TOKEN}`);
    assert.deepEqual(req.body, { recipient: { id: igsid }, message: { text: 'Thanks for the DM 💬' } });
    assert.equal(sent.providerMessageId, req.id);
  });

  test('e-mail replies go out by SMTP, threaded under the customer\'s last mail, with our Message-Id kept', async () => {
    const address = 'alice@example.com';
    const id = await channelConversation('email', address, { subject: 'Order 42 — où est-il ?' });
    await customerMessage(id, address, 'Where is my order?', '<CAF-4242@mail.example.com>');
    const ack = await reply(id, 'It left our warehouse today.\nTracking: 1Z999');
    const sent = await statusOf(id, ack.seq, 'sent');
    assert.equal(ctx.fake.of(address).length, 1);
    const [mail] = ctx.fake.of(address);
    assert.equal(mail.from, 'support@shop.example');
    assert.deepEqual(mail.to, [address]);
    assert.equal(mail.headers['in-reply-to'], '<CAF-4242@mail.example.com>');
    assert.equal(mail.headers.references, '<CAF-4242@mail.example.com>');
    assert.equal(mail.headers['message-id'], sent.providerMessageId);
    assert.match(sent.providerMessageId, /^<ringcast\.[0-9a-f-]+@shop\.example>$/);
    assert.equal(sent.provider, 'smtp');
    // The non-ASCII subject travels RFC 2047-encoded.
    const subject = mail.headers.subject.replace(/=\?UTF-8\?B\?([^?]*)\?=\s*/g, (_, b) => Buffer.from(b, 'base64').toString('utf8'));
    assert.equal(subject, 'Re: Order 42 — où est-il ?');
    assert.equal(mail.text, 'It left our warehouse today.\r\nTracking: 1Z999');
  });

  test('the AI\'s reply (builtin backend) in a channel conversation is delivered too', async () => {
    const phone = newPhone();
    const id = await channelConversation('sms', phone);
    // The customer writes in through the signed Twilio webhook (webhooks.md), into this conversation.
    const params = { AccountSid: TWILIO_SID, From: phone, To: '+15550000000', Body: 'Hello, is anyone there?', MessageSid: `SMin${phone}` };
    const url = `http://127.0.0.1:${ctx.server.port}/webhooks/twilio`;
    const res = await request(ctx.server, {
      path: '/webhooks/twilio', body: new URLSearchParams(params).toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilioSignature(TWILIO_TOKEN, url, params) },
    });
    assert.equal(res.status, 200);
    const status = await statusOf(id, 2, 'sent');
    const [ai] = await ctx.db.query("SELECT content FROM messages WHERE conversation_id = $1 AND sender_type = 'ai'", [id]);
    assert.ok(ai, 'the AI replied');
    assert.equal(ctx.fake.of(phone).length, 1, 'the customer\'s own message is not sent back');
    assert.equal(ctx.fake.of(phone)[0].body.Body, ai.content);
    assert.equal(status.providerMessageId, ctx.fake.of(phone)[0].id);
  });

  test('a website conversation creates no delivery', async () => {
    const customer = await as('web-visitor', 'customer');
    const { conversation } = await call(customer, 'conversation:create', { content: 'hi', clientId: 'w-1' });
    const ack = await reply(conversation.id, 'Hello from the website');
    const rows = await ctx.db.query('SELECT count(*)::int AS n FROM outbound_deliveries WHERE conversation_id = $1', [conversation.id]);
    assert.equal(rows[0].n, 0);
    assert.equal(statusesOf(conversation.id, ack.seq).length, 0);
  });

  test('a provider outage (500s) is retried with backoff and ends as failed after the retry budget', async () => {
    const phone = newPhone();
    ctx.fake.failFor(phone, { status: 500 });
    const id = await channelConversation('sms', phone);
    const ack = await reply(id, 'This will not get through');
    const failed = await statusOf(id, ack.seq, 'failed');
    assert.equal(ctx.fake.of(phone).length, 3, 'three attempts (--delivery-max-attempts 3)');
    const [a, b, c] = ctx.fake.of(phone).map((r) => r.at);
    assert.ok(b - a >= 45 && c - b >= 95, `backoff doubles: ${b - a} ms then ${c - b} ms`);
    assert.match(failed.reason, /twilio: HTTP 500/);
    assert.match(failed.reason, /gave up after 3 attempts/);
    assert.equal(failed.attempts, 3);
    assert.equal(statusesOf(id, ack.seq).filter((s) => s.status === 'sent').length, 0);
    const row = await delivery(id, ack.seq);
    assert.equal(row.status, 'failed');
    assert.equal(row.attempts, 3);
  });

  test('a provider that fails twice then answers delivers once, on the third attempt', async () => {
    const phone = newPhone();
    ctx.fake.failFor(phone, { status: 503, times: 2 });
    const id = await channelConversation('sms', phone);
    const ack = await reply(id, 'Third time lucky');
    const sent = await statusOf(id, ack.seq, 'sent');
    assert.equal(ctx.fake.of(phone).length, 3);
    assert.equal(sent.attempts, 3);
    assert.equal(sent.providerMessageId, ctx.fake.of(phone)[2].id);
  });

  test('a 400 is final at once: one attempt, failed with the provider\'s reason', async () => {
    const phone = newPhone();
    ctx.fake.failFor(phone, { status: 400 });
    const id = await channelConversation('sms', phone);
    const ack = await reply(id, 'To a bad number');
    const failed = await statusOf(id, ack.seq, 'failed');
    assert.match(failed.reason, /twilio: HTTP 400: The 'To' number is not a valid phone number/);
    assert.equal(failed.attempts, 1);
    // A staff client that opens the conversation later sees it in the history too.
    const joined = await call(ctx.staff, 'conversation:join', { conversationId: id });
    assert.deepEqual(joined.messages.find((m) => m.seq === ack.seq).delivery, { status: 'failed', reason: failed.reason });
    assert.equal(ctx.fake.of(phone).length, 1);
    assert.equal((await delivery(id, ack.seq)).attempts, 1);
  });

  test('an SMTP 550 is final, a 451 is retried', async () => {
    const gone = 'gone@example.com';
    const busy = 'busy@example.com';
    ctx.fake.failFor(gone, { status: 550 });
    ctx.fake.failFor(busy, { status: 451, times: 1 });
    const c1 = await channelConversation('email', gone, { subject: 'Hi' });
    const c2 = await channelConversation('email', busy, { subject: 'Hi' });
    const a1 = await reply(c1, 'to nobody');
    const a2 = await reply(c2, 'to a busy server');
    const failed = await statusOf(c1, a1.seq, 'failed');
    assert.match(failed.reason, /smtp: 550/);
    assert.equal(ctx.fake.of(gone).length, 1);
    await statusOf(c2, a2.seq, 'sent');
    assert.equal(ctx.fake.of(busy).length, 2);
  });

  test('a customer with no address on the channel fails at once with the reason', async () => {
    // A staff-made conversation whose customer is a website identity has no SMS number.
    const { conversation } = await call(ctx.staff, 'conversation:create', { customerId: 'web-only', channel: 'sms' });
    const ack = await reply(conversation.id, 'Can this reach you?');
    const failed = await statusOf(conversation.id, ack.seq, 'failed');
    assert.match(failed.reason, /has no sms address/);
  });

  test('/metrics counts deliveries by provider and outcome, attempts and the queue', async () => {
    const text = await (await fetch(`${ctx.server.url}/metrics`)).text();
    const value = (series) => Number(new RegExp(`^ringcast_${series.replace(/[{}"]/g, '\\$&')} (\\d+)$`, 'm').exec(text)?.[1]);
    // What the tests above did, in order: twilio sent the SMS reply, the AI's reply and the third
    // try; retried twice in the outage and twice before that third try; failed the outage, the 400
    // and the customer without a number. SMTP sent two mails, retried the 451 once, failed the 550.
    const expected = {
      twilio: { sent: 3, retried: 4, failed: 3 }, whatsapp: { sent: 1, retried: 0, failed: 0 },
      instagram: { sent: 1, retried: 0, failed: 0 }, smtp: { sent: 2, retried: 1, failed: 1 },
    };
    for (const [provider, outcomes] of Object.entries(expected))
      for (const [outcome, n] of Object.entries(outcomes))
        assert.equal(value(`outbound_deliveries_total{provider="${provider}",outcome="${outcome}"}`), n, `${provider} ${outcome}`);
    assert.equal(value('outbound_attempts_total'), 16);
    assert.equal(value('outbound_queue_depth'), 0);
  });

  test('a restart takes up pending deliveries once and fails the ones interrupted mid-call', { timeout: 60_000 }, async () => {
    closeClients();
    await stopServer(ctx.server);
    const pendingPhone = newPhone();
    const interruptedPhone = newPhone();
    const pending = await channelConversation('sms', pendingPhone);
    const interrupted = await channelConversation('sms', interruptedPhone);
    // As a broker leaves them when killed: one committed and not yet claimed, one claimed mid-call.
    for (const [id, status] of [[pending, 'pending'], [interrupted, 'sending']]) {
      await ctx.db.query('UPDATE conversations SET last_seq = 1 WHERE id = $1', [id]);
      const [m] = await ctx.db.query(
        "INSERT INTO messages (conversation_id, seq, sender_type, sender_id, content, client_message_id) VALUES ($1, 1, 'staff', 'agent-out', 'Sent after the restart', $2) RETURNING id",
        [id, `restart-${id}`]);
      await ctx.db.query("INSERT INTO outbound_deliveries (message_id, conversation_id, channel, status, attempts) VALUES ($1, $2, 'sms', $3, $4)",
        [m.id, id, status, status === 'sending' ? 1 : 0]);
    }
    ctx.server = await startServer('inbox', flags());
    await staffSocket();
    await until('the pending delivery sent', async () => (await delivery(pending, 1))?.status === 'sent');
    assert.equal(ctx.fake.of(pendingPhone).length, 1);
    assert.equal(ctx.fake.of(pendingPhone)[0].body.Body, 'Sent after the restart');
    const lost = await delivery(interrupted, 1);
    assert.equal(lost.status, 'failed');
    assert.match(lost.error, /^interrupted/);
    assert.equal(ctx.fake.of(interruptedPhone).length, 0, 'an interrupted delivery is never sent again');
    // A second restart sends nothing again.
    closeClients();
    await stopServer(ctx.server);
    ctx.server = await startServer('inbox', flags());
    await staffSocket();
    const probe = newPhone();
    const id = await channelConversation('sms', probe);
    const ack = await reply(id, 'after the second restart');
    await statusOf(id, ack.seq, 'sent');
    assert.equal(ctx.fake.of(pendingPhone).length, 1);
  });

  test('kill -9 during a provider call: after the restart the delivery is failed as interrupted, never sent again', { timeout: 60_000 }, async () => {
    const phone = newPhone();
    ctx.fake.hangFor(phone);
    const id = await channelConversation('sms', phone);
    const ack = await reply(id, 'Caught mid-call');
    await until('the provider holding the call', () => ctx.fake.of(phone).length === 1);
    assert.equal((await delivery(id, ack.seq)).status, 'sending');
    process.kill(ctx.server.pid, 'SIGKILL');
    await ctx.server.stop();
    closeClients();
    ctx.server = await startServer('inbox', flags());
    await staffSocket();
    // Failed at start, before the shards run: it is never queued again.
    const row = await delivery(id, ack.seq);
    assert.equal(row.status, 'failed');
    assert.match(row.error, /^interrupted: /);
    assert.equal(row.attempts, 1);
    const other = await channelConversation('sms', newPhone());
    const probe = await reply(other, 'after the crash');
    await statusOf(other, probe.seq, 'sent');
    assert.equal(ctx.fake.of(phone).length, 1, 'the interrupted message was not sent again');
  });
});
