// The providers' status callbacks end to end: a staff reply goes out through the fake provider
// (fake_providers.mjs), then the provider's signed callback (Twilio's status callback, the
// statuses[] of a WhatsApp Cloud API webhook, Instagram's delivery and read events; signatures
// computed here with Node's crypto) turns into `message:status` delivered, then read, on the
// staff socket. Statuses never move backwards, and an unsigned callback changes nothing. And the
// round trips with the inbound webhooks: an SMS in gets its reply out to the sender, and an e-mail
// thread stays one conversation both ways.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe } from 'node:test';
import { isReference, serverKind, test } from './harness.mjs';
import { TWILIO_SID, TWILIO_TOKEN, outboundHelpers, startOutbound, stopOutbound, until } from './outbound_support.mjs';
import { mailgunSignature, metaSignature, request, twilioSignature } from './webhook_requests.mjs';

const WA_SECRET = 'whatsapp-app-secret-out';
const IG_SECRET = 'instagram-app-secret-out';
const MAILGUN_KEY = 'mailgun-signing-key-out';

describe(`provider status callbacks against ${serverKind}`, { skip: isReference && 'the inbox profile is ringcast-only' }, () => {
  const ctx = { statuses: [] };
  const { channelConversation, statusesOf, statusOf, delivery, reply, newPhone } = outboundHelpers(ctx);

  // A Twilio webhook (the status callback unless `path` says otherwise), signed with the auth
  // token (or `signature` as given).
  function twilioStatus(params, { signature, path = '/webhooks/twilio/status' } = {}) {
    const body = { AccountSid: TWILIO_SID, ApiVersion: '2010-04-01', ...params };
    const sig = signature ?? twilioSignature(TWILIO_TOKEN, `http://127.0.0.1:${ctx.server.port}${path}`, body);
    return request(ctx.server, {
      path,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': sig },
      body: new URLSearchParams(body).toString(),
    });
  }
  function metaWebhook(path, secret, payload) {
    const body = JSON.stringify(payload);
    return request(ctx.server, {
      path, headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': metaSignature(secret, body) }, body,
    });
  }
  const whatsappStatuses = (statuses) => metaWebhook('/webhooks/whatsapp', WA_SECRET, {
    object: 'whatsapp_business_account',
    entry: [{ id: 'WABA', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { phone_number_id: '1' }, statuses } }] }],
  });
  const instagramEvents = (messaging) => metaWebhook('/webhooks/instagram', IG_SECRET, {
    object: 'instagram', entry: [{ id: 'IGID', time: Date.now(), messaging }],
  });
  // A Mailgun inbound-route post, signed with the signing key.
  function mailgun(fields) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const token = randomUUID().replaceAll('-', '');
    const body = new URLSearchParams({ ...fields, timestamp, token, signature: mailgunSignature(MAILGUN_KEY, timestamp, token) });
    return request(ctx.server, { path: '/webhooks/email', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: body.toString() });
  }
  const conversationOf = async (channel, externalId) => (await ctx.db.query(
    'SELECT c.id FROM conversations c JOIN customers cu ON cu.id = c.customer_id WHERE cu.channel = $1 AND cu.external_id = $2 ORDER BY c.created_at',
    [channel, externalId])).map((r) => r.id);
  const kinds = (id, seq) => statusesOf(id, seq).map((s) => s.status);

  before(() => startOutbound(ctx, [
    '--whatsapp-app-secret', WA_SECRET, '--whatsapp-verify-token', 'wa-verify',
    '--instagram-app-secret', IG_SECRET, '--instagram-verify-token', 'ig-verify', '--mailgun-signing-key', MAILGUN_KEY,
  ]));
  after(() => stopOutbound(ctx));

  test('Twilio: delivered then read reach the staff; a late delivered moves nothing', async () => {
    const phone = newPhone();
    const id = await channelConversation('sms', phone);
    const ack = await reply(id, 'Your parcel is out for delivery.');
    const sent = await statusOf(id, ack.seq, 'sent');
    const sid = sent.providerMessageId;
    assert.equal((await twilioStatus({ MessageSid: sid, MessageStatus: 'sent' })).status, 200);
    assert.equal((await twilioStatus({ MessageSid: sid, MessageStatus: 'delivered' })).status, 200);
    const delivered = await statusOf(id, ack.seq, 'delivered');
    assert.equal(delivered.providerMessageId, sid);
    assert.equal(delivered.messageId, ack.id);
    assert.equal((await twilioStatus({ MessageSid: sid, MessageStatus: 'read' })).status, 200);
    await statusOf(id, ack.seq, 'read');
    // Late and repeated ones: answered 200 (the provider must not retry), nothing moves.
    assert.equal((await twilioStatus({ MessageSid: sid, MessageStatus: 'delivered' })).status, 200);
    assert.equal((await twilioStatus({ MessageSid: sid, MessageStatus: 'undelivered', ErrorCode: '30003' })).status, 200);
    assert.equal((await delivery(id, ack.seq)).status, 'read');
    // A later message's status marks the point by which a wrong event would have arrived.
    const probe = await reply(id, 'One more thing.');
    const probeSid = (await statusOf(id, probe.seq, 'sent')).providerMessageId;
    assert.equal((await twilioStatus({ MessageSid: probeSid, MessageStatus: 'delivered' })).status, 200);
    await statusOf(id, probe.seq, 'delivered');
    assert.deepEqual(kinds(id, ack.seq), ['sent', 'delivered', 'read']);
  });

  test('Twilio: an undelivered message turns failed with the error code as the reason', async () => {
    const phone = newPhone();
    const id = await channelConversation('sms', phone);
    const ack = await reply(id, 'To a landline');
    const sid = (await statusOf(id, ack.seq, 'sent')).providerMessageId;
    assert.equal((await twilioStatus({ MessageSid: sid, MessageStatus: 'undelivered', ErrorCode: '30006' })).status, 200);
    const failed = await statusOf(id, ack.seq, 'failed');
    assert.equal(failed.reason, 'twilio: undelivered (error 30006)');
    assert.equal((await delivery(id, ack.seq)).error, 'twilio: undelivered (error 30006)');
  });

  test('Twilio: a callback with a bad signature is refused and changes nothing', async () => {
    const id = await channelConversation('sms', newPhone());
    const ack = await reply(id, 'Signed?');
    const sid = (await statusOf(id, ack.seq, 'sent')).providerMessageId;
    const refused = await twilioStatus({ MessageSid: sid, MessageStatus: 'read' }, { signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' });
    assert.equal(refused.status, 403);
    assert.equal((await delivery(id, ack.seq)).status, 'sent');
  });

  test('WhatsApp Cloud API: statuses[] move the delivery to delivered, read, or failed with the reason', async () => {
    const a = newPhone();
    const b = newPhone();
    const ca = await channelConversation('whatsapp', a);
    const cb = await channelConversation('whatsapp', b);
    const ackA = await reply(ca, 'Hola');
    const ackB = await reply(cb, 'Hello');
    const wamidA = (await statusOf(ca, ackA.seq, 'sent')).providerMessageId;
    const wamidB = (await statusOf(cb, ackB.seq, 'sent')).providerMessageId;
    const ts = String(Math.floor(Date.now() / 1000));
    const res = await whatsappStatuses([
      { id: wamidA, status: 'sent', timestamp: ts, recipient_id: a.slice(1) },
      { id: wamidA, status: 'delivered', timestamp: ts, recipient_id: a.slice(1) },
      { id: wamidB, status: 'failed', timestamp: ts, recipient_id: b.slice(1),
        errors: [{ code: 131026, title: 'Message undeliverable', error_data: { details: 'The recipient is not on WhatsApp' } }] },
    ]);
    assert.equal(res.status, 200);
    await statusOf(ca, ackA.seq, 'delivered');
    const failed = await statusOf(cb, ackB.seq, 'failed');
    assert.equal(failed.reason, 'whatsapp: 131026 Message undeliverable: The recipient is not on WhatsApp');
    assert.equal((await whatsappStatuses([{ id: wamidA, status: 'read', timestamp: ts }])).status, 200);
    await statusOf(ca, ackA.seq, 'read');
    assert.deepEqual(kinds(ca, ackA.seq), ['sent', 'delivered', 'read']);
  });

  test('Instagram: delivery mids and a read watermark', async () => {
    const igsid = `1784${Date.now()}`;
    const id = await channelConversation('instagram', igsid);
    const first = await reply(id, 'First');
    const second = await reply(id, 'Second');
    const mid1 = (await statusOf(id, first.seq, 'sent')).providerMessageId;
    const mid2 = (await statusOf(id, second.seq, 'sent')).providerMessageId;
    const res = await instagramEvents([
      { sender: { id: igsid }, recipient: { id: 'IGID' }, timestamp: Date.now(), delivery: { mids: [mid1, mid2], watermark: Date.now() } },
    ]);
    assert.equal(res.status, 200);
    await statusOf(id, first.seq, 'delivered');
    await statusOf(id, second.seq, 'delivered');
    // Read up to now: both messages (sent before the watermark) are read.
    assert.equal((await instagramEvents([{ sender: { id: igsid }, recipient: { id: 'IGID' }, timestamp: Date.now(), read: { watermark: Date.now() + 1000 } }])).status, 200);
    await statusOf(id, first.seq, 'read');
    await statusOf(id, second.seq, 'read');
    // A read of one mid after that changes nothing.
    assert.equal((await instagramEvents([{ sender: { id: igsid }, recipient: { id: 'IGID' }, read: { mid: mid1 } }])).status, 200);
    assert.deepEqual(kinds(id, first.seq), ['sent', 'delivered', 'read']);
    assert.equal((await delivery(id, first.seq)).status, 'read');
  });

  test('a status for a message we never sent is answered 200 and moves nothing', async () => {
    assert.equal((await twilioStatus({ MessageSid: 'SM_unknown', MessageStatus: 'delivered' })).status, 200);
    assert.equal((await whatsappStatuses([{ id: 'wamid.unknown', status: 'read' }])).status, 200);
    const rows = await ctx.db.query("SELECT count(*)::int AS n FROM outbound_deliveries WHERE provider_message_id IN ('SM_unknown', 'wamid.unknown')");
    assert.equal(rows[0].n, 0);
  });

  test('an SMS in through the Twilio webhook gets the AI\'s reply out to its sender through Twilio', async () => {
    const phone = newPhone();
    const res = await twilioStatus({ From: phone, To: '+15550000000', Body: 'Hello, anyone there?', MessageSid: `SMin${Date.now()}`, NumMedia: '0' },
      { path: '/webhooks/twilio' });
    assert.equal(res.status, 200);
    const [id] = await until('the conversation', () => conversationOf('sms', phone).then((ids) => ids.length && ids));
    const reply = await until('the AI reply', async () => (await ctx.db.query(
      "SELECT seq, content FROM messages WHERE conversation_id = $1 AND sender_type = 'ai'", [id]))[0]);
    const sent = await statusOf(id, Number(reply.seq), 'sent');
    assert.equal(ctx.fake.of(phone).length, 1);
    assert.deepEqual(ctx.fake.of(phone)[0].body, { To: phone, From: '+15550000000', Body: reply.content });
    assert.equal(sent.providerMessageId, ctx.fake.of(phone)[0].id);
  });

  test('an e-mail thread stays one conversation: our reply names their mail, their answer to ours comes back', async () => {
    const address = `dora.${Date.now()}@example.com`;
    const first = '<k1.' + randomUUID() + '@mail.example.com>';
    const mail = (messageId, extra) => mailgun({ sender: address, from: `Dora <${address}>`, recipient: 'support@shop.example',
      subject: 'Broken kettle', 'body-plain': 'It stopped working.', 'Message-Id': messageId, ...extra });
    assert.equal((await mail(first)).status, 200);
    const [id] = await until('the conversation', () => conversationOf('email', address).then((ids) => ids.length && ids));
    const ack = await reply(id, 'Sorry to hear that: a replacement is on its way.');
    const sent = await statusOf(id, ack.seq, 'sent');
    const ours = ctx.fake.of(address).find((m) => m.text.startsWith('Sorry to hear'));
    assert.equal(ours.headers['in-reply-to'], first);
    assert.equal(ours.headers.subject, 'Re: Broken kettle');
    assert.equal(ours.headers['message-id'], sent.providerMessageId);
    // Their answer names only our mail: it joins the same conversation, not a new one.
    const answer = '<k2.' + randomUUID() + '@mail.example.com>';
    assert.equal((await mail(answer, { 'In-Reply-To': sent.providerMessageId, subject: 'Re: Broken kettle' })).status, 200);
    const [stored] = await ctx.db.query('SELECT conversation_id FROM messages WHERE client_message_id = $1', [answer]);
    assert.equal(stored.conversation_id, id);
    assert.deepEqual(await conversationOf('email', address), [id]);
  });
});
