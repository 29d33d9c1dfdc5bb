// Shared by the outbound delivery tests (outbound.test.mjs, outbound_status.test.mjs): the broker's
// provider flags pointing at the fake providers, channel conversations made directly in
// PostgreSQL (customers keyed (channel, external_id), as the inbound webhooks make them), and
// waiting for a delivery's `message:status` on a staff socket.
//
//   const ctx = { db, fake, server, staff, statuses: [] };   // tests may replace server and staff
//   const h = outboundHelpers(ctx);
import assert from 'node:assert/strict';
import { startFakeProviders } from './fake_providers.mjs';
import { connect, sleep, startServer } from './harness.mjs';
import { ringcastToken } from './jwt.mjs';
import { startPostgres, stopSuite } from './postgres.mjs';

export const SECRET = 'outbound-test-secret';
export const WS = { transports: ['websocket'] };
export const TWILIO_SID = 'AC00000000000000000000000000000001';
export const TWILIO_TOKEN = 'twilio-auth-token';
export const WA_TOKEN = 'whatsapp-cloud-token';
export const WA_PHONE_ID = '1029384756';
export const IG_TOKEN = 'instagram-page-token';

export async function until(what, check, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export function providerFlags(ctx, extra = []) {
  return [
    '--jwt-secret', SECRET, '--database-url', ctx.db.url, '--shards', '2',
    '--twilio-api-url', ctx.fake.url, '--twilio-account-sid', TWILIO_SID, '--twilio-auth-token', TWILIO_TOKEN,
    '--twilio-from', '+15550000000',
    '--whatsapp-api-url', ctx.fake.url, '--whatsapp-token', WA_TOKEN, '--whatsapp-phone-number-id', WA_PHONE_ID,
    '--instagram-api-url', ctx.fake.url, '--instagram-token', IG_TOKEN,
    '--smtp-url', ctx.fake.smtpUrl, '--smtp-from', 'Support <support@shop.example>',
    '--delivery-max-attempts', '3', '--delivery-backoff-ms', '50',
    ...extra,
  ];
}

let phones = 0;

export function outboundHelpers(ctx) {
  const h = {
    as: (sub, role) => connect(ctx.server.url, { ...WS, auth: { token: ringcastToken(SECRET, sub, role) } }),
    call: (socket, event, payload) => socket.timeout(10_000).emitWithAck(event, payload),
    newPhone: () => `+1555${String(1000000 + process.pid % 1000 * 1000 + ++phones).slice(-7)}`,
    // A staff socket whose message:status events land in ctx.statuses.
    async staffSocket(sub = 'agent-out') {
      ctx.staff = await h.as(sub, 'staff');
      ctx.statuses = [];
      ctx.staff.on('message:status', (s) => ctx.statuses.push(s));
      return ctx.staff;
    },
    // A customer known on a channel, with a conversation on it.
    async channelConversation(channel, externalId, { subject = null, name = null } = {}) {
      const [cu] = await ctx.db.query(
        'INSERT INTO customers (channel, external_id, name) VALUES ($1, $2, $3) ON CONFLICT (channel, external_id) DO UPDATE SET name = EXCLUDED.name RETURNING id',
        [channel, externalId, name]);
      const [c] = await ctx.db.query('INSERT INTO conversations (customer_id, channel, subject) VALUES ($1, $2, $3) RETURNING id', [cu.id, channel, subject]);
      return c.id;
    },
    // A customer's message stored as the inbound side stores it (e-mail: its Message-Id as client id).
    async customerMessage(conversationId, senderId, content, clientId) {
      await ctx.db.query('UPDATE conversations SET last_seq = last_seq + 1 WHERE id = $1', [conversationId]);
      await ctx.db.query(
        `INSERT INTO messages (conversation_id, seq, sender_type, sender_id, content, client_message_id)
         SELECT $1, last_seq, 'customer', $2, $3, $4 FROM conversations WHERE id = $1`,
        [conversationId, senderId, content, clientId]);
    },
    statusesOf: (conversationId, seq) => ctx.statuses.filter((s) => s.conversationId === conversationId && s.seq === seq),
    statusOf: (conversationId, seq, status) => until(`message:status ${status} for #${seq}`,
      () => h.statusesOf(conversationId, seq).find((s) => s.status === status)),
    delivery: async (conversationId, seq) => (await ctx.db.query(
      'SELECT d.* FROM outbound_deliveries d JOIN messages m ON m.id = d.message_id WHERE m.conversation_id = $1 AND m.seq = $2',
      [conversationId, seq]))[0],
    // A staff reply; its ack.
    async reply(conversationId, content) {
      const ack = await h.call(ctx.staff, 'message:send', { conversationId, content, clientId: `staff-${conversationId}-${content.length}-${Date.now()}` });
      assert.ok(!ack.error, JSON.stringify(ack.error));
      return ack;
    },
  };
  return h;
}

// For before(): a database, the fake providers, the broker (providerFlags and `extra`) and a staff
// socket; for after(): all of it gone.
export async function startOutbound(ctx, extra = []) {
  ctx.db = await startPostgres();
  ctx.fake = await startFakeProviders();
  ctx.server = await startServer('inbox', providerFlags(ctx, extra));
  await outboundHelpers(ctx).staffSocket();
}
export async function stopOutbound(ctx) {
  try {
    await stopSuite(ctx.db, ctx.server);
  } finally {
    await ctx.fake?.close();
  }
}
