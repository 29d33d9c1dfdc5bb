// The inbox benchmark's peer: the subset of ringcast's inbox events (docs/events.md) that the
// load generator uses, written the way the Node apps ringcast replaces are: socket.io 4 + pg,
// one autocommit INSERT per message, then emit, then ack. No batching, no group commit.
//   node server.mjs --address 127.0.0.1 --port 0 --database-url URL --jwt-secret S [--pool 10]
//                   [--recovery-window MS]
// Events: conversation:create, conversation:join, conversation:leave, message:send,
// typing:start, typing:stop; anything else is answered bad_request. Not here: list, update,
// history, receipts, unread counts, presence and rate limits.
// Prints `listening on HOST:PORT` on stdout once its schema exists; exits 0 on SIGTERM.
import { createServer } from "node:http";
import jwt from "jsonwebtoken";
import { Server } from "socket.io";
import { conversationObject, messageObject, Store } from "./store.mjs";

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const host = flag("address", "127.0.0.1");
const port = Number(flag("port", "3000"));
const databaseUrl = flag("database-url", process.env.DATABASE_URL);
const jwtSecret = flag("jwt-secret", process.env.RINGCAST_JWT_SECRET);
const poolSize = Number(flag("pool", "10"));
// 0 (the default, as in the fan-out peer) leaves socket.io's connection state recovery off.
const recoveryWindow = Number(flag("recovery-window", "0"));
if (!databaseUrl || !jwtSecret) {
  console.error("usage: server.mjs --database-url URL --jwt-secret SECRET [--address A] [--port P] [--pool N] [--recovery-window MS]");
  process.exit(2);
}

// The limits of docs/events.md that the load generator can reach.
const MAX_CONTENT_BYTES = 65536;
const MAX_ID_BYTES = 200;
const MAX_SUBJECT_BYTES = 500;
const MAX_TOKEN_BYTES = 16384;
const JOIN_PAGE = 500;
const JOIN_NEWEST = 50;
const TYPING_TTL_MS = 5000;
const CHANNELS = new Set(["website", "whatsapp", "instagram", "email", "sms"]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const fail = (code, message, retryable = false) => ({ error: { code, message, retryable } });
const unavailable = (err) => fail("unavailable", err.message, true);
const bytes = (s) => Buffer.byteLength(s, "utf8");
const isId = (s) => typeof s === "string" && s.length > 0 && bytes(s) <= MAX_ID_BYTES;
const conversationRoom = (id) => `conversation:${id}`;
const userRoom = (user) => `user:${user.role}:${user.sub}`;

function authError(code) {
  const err = new Error("unauthorized");
  err.data = { code };
  return err;
}

// The handshake's `auth.token`: an HS256 JWT with sub, role and an optional name.
function authenticate(socket, next) {
  const token = socket.handshake.auth?.token;
  if (typeof token !== "string" || token === "") return next(authError("missing_token"));
  if (token.length > MAX_TOKEN_BYTES) return next(authError("invalid_token"));
  let claims;
  try {
    claims = jwt.verify(token, jwtSecret, { algorithms: ["HS256"], clockTolerance: 30 });
  } catch (err) {
    return next(authError(err.name === "TokenExpiredError" ? "token_expired" : "invalid_token"));
  }
  const { sub, role, name } = claims;
  if (!isId(sub) || (role !== "customer" && role !== "staff") || (name !== undefined && (typeof name !== "string" || bytes(name) > MAX_ID_BYTES)))
    return next(authError("invalid_token"));
  socket.data.user = { sub, role, name };
  next();
}

// Who is typing where: conversationId -> (role:sub -> {userType, userId, name, timer}).
const typists = new Map();

function typingList(conversationId) {
  return [...(typists.get(conversationId)?.values() ?? [])].map(({ userType, userId, name }) =>
    name === undefined ? { userType, userId } : { userType, userId, name },
  );
}

function emitTyping(conversationId, user, isTyping) {
  const event = { conversationId, userType: user.role, userId: user.sub };
  if (user.name !== undefined) event.name = user.name;
  event.isTyping = isTyping;
  if (isTyping) event.expiresAt = new Date(Date.now() + TYPING_TTL_MS).toISOString();
  // Every socket of the typist is left out, not only this one.
  io.to(conversationRoom(conversationId)).except(userRoom(user)).emit("typing", event);
}

function stopTyping(conversationId, user) {
  const here = typists.get(conversationId);
  const key = userRoom(user);
  const entry = here?.get(key);
  if (!entry) return;
  clearTimeout(entry.timer);
  here.delete(key);
  if (here.size === 0) typists.delete(conversationId);
  emitTyping(conversationId, user, false);
}

function startTyping(conversationId, user) {
  let here = typists.get(conversationId);
  if (!here) typists.set(conversationId, (here = new Map()));
  const key = userRoom(user);
  clearTimeout(here.get(key)?.timer);
  const timer = setTimeout(() => stopTyping(conversationId, user), TYPING_TTL_MS);
  here.set(key, { userType: user.role, userId: user.sub, name: user.name, timer });
  emitTyping(conversationId, user, true);
}

// The conversation row when this user may use it, or an error ack.
async function authorize(user, conversationId) {
  if (typeof conversationId !== "string" || !UUID.test(conversationId)) return fail("bad_request", "conversationId must be a UUID");
  const row = await store.conversation(conversationId);
  if (!row) return fail("not_found", "no such conversation");
  if (user.role !== "staff" && row.customer_id !== user.sub) return fail("forbidden", "not your conversation");
  return { row };
}

// Stores one message and fans it out; the ack object (the message plus `duplicate`) or an error.
async function send(socket, conversationId, content, clientId) {
  const user = socket.data.user;
  const row = await store.send(conversationId, user, content, clientId);
  if (!row) {
    const found = await store.conversation(conversationId);
    return found ? fail("forbidden", "not your conversation") : fail("not_found", "no such conversation");
  }
  const message = messageObject(row, conversationId);
  if (!row.duplicate) {
    stopTyping(conversationId, user);
    // socket.io sends once to a socket that is in both rooms.
    socket.to([conversationRoom(conversationId), "staff"]).emit("message:new", message);
  }
  return { ...message, duplicate: row.duplicate };
}

// A joined socket had its access checked at the join; any other asks the database.
async function typing(socket, conversationId, change) {
  const user = socket.data.user;
  if (!socket.rooms.has(conversationRoom(conversationId))) {
    const allowed = await authorize(user, conversationId);
    if (allowed.error) return allowed;
  }
  change(conversationId, user);
  return {};
}

function checkMessage(content, clientId) {
  if (typeof content !== "string") return fail("bad_request", "content must be a string");
  if (bytes(content) > MAX_CONTENT_BYTES) return fail("bad_request", `content is over ${MAX_CONTENT_BYTES} bytes`);
  if (content.includes("\u0000")) return fail("bad_request", "content contains NUL");
  if (!isId(clientId)) return fail("bad_request", `clientId must be a string of 1 to ${MAX_ID_BYTES} bytes`);
  return null;
}

const handlers = {
  async "conversation:create"(socket, p) {
    const user = socket.data.user;
    const channel = p.channel ?? "website";
    if (!CHANNELS.has(channel)) return fail("bad_request", "unknown channel");
    if (p.subject != null && (typeof p.subject !== "string" || bytes(p.subject) > MAX_SUBJECT_BYTES))
      return fail("bad_request", `subject must be a string of at most ${MAX_SUBJECT_BYTES} bytes`);
    if (p.customerId !== undefined && !isId(p.customerId)) return fail("bad_request", "bad customerId");
    if (user.role === "staff" && p.customerId === undefined) return fail("bad_request", "staff must name the customerId");
    if (user.role === "customer" && p.customerId !== undefined && p.customerId !== user.sub)
      return fail("forbidden", "customers create conversations only for themselves");
    const first = p.content !== undefined ? checkMessage(p.content, p.clientId) : null;
    if (first) return first;

    const row = await store.createConversation(p.customerId ?? user.sub, channel, p.subject ?? null);
    const conversation = conversationObject(row);
    socket.join(conversationRoom(conversation.id));
    io.to("staff").emit("conversation:new", conversation);
    if (p.content === undefined) return { conversation };
    try {
      const message = await send(socket, conversation.id, p.content, p.clientId);
      if (message.error) return { conversation, error: message.error };
      return { conversation: { ...conversation, lastSeq: message.seq, lastMessageAt: message.createdAt }, message };
    } catch (err) {
      return { conversation, ...unavailable(err) };
    }
  },

  // The room is joined before the history is read, so no message falls between the two; one
  // committed in between may come both live and in the history (clients dedupe by seq).
  async "conversation:join"(socket, p) {
    const { conversationId, sinceSeq } = p;
    if (sinceSeq !== undefined && (!Number.isInteger(sinceSeq) || sinceSeq < 0))
      return fail("bad_request", "sinceSeq must be an integer >= 0");
    const allowed = await authorize(socket.data.user, conversationId);
    if (allowed.error) return allowed;
    const room = conversationRoom(conversationId);
    if (socket.rooms.has(room)) return fail("conflict", "already joined");
    socket.join(room);
    let rows;
    try {
      rows = await store.messages(conversationId, sinceSeq, sinceSeq === undefined ? JOIN_NEWEST + 1 : JOIN_PAGE + 1);
    } catch (err) {
      socket.leave(room);
      throw err;
    }
    const page = sinceSeq === undefined ? JOIN_NEWEST : JOIN_PAGE;
    const over = rows.length > page;
    // With sinceSeq, the extra row means more pages follow; without, older messages exist.
    if (over) rows = sinceSeq === undefined ? rows.slice(1) : rows.slice(0, page);
    const more = sinceSeq !== undefined && over;
    if (more) socket.leave(room);
    const ack = {
      conversation: conversationObject(allowed.row),
      messages: rows.map((r) => messageObject(r, conversationId)),
      typing: typingList(conversationId),
      lastReadSeq: 0,
      more,
    };
    if (sinceSeq === undefined) ack.hasOlder = over;
    return ack;
  },

  async "conversation:leave"(socket, p) {
    if (typeof p.conversationId !== "string") return fail("bad_request", "conversationId must be a string");
    socket.leave(conversationRoom(p.conversationId));
    return {};
  },

  async "message:send"(socket, p) {
    if (typeof p.conversationId !== "string" || !UUID.test(p.conversationId)) return fail("bad_request", "conversationId must be a UUID");
    return checkMessage(p.content, p.clientId) ?? send(socket, p.conversationId, p.content, p.clientId);
  },

  "typing:start": (socket, p) => typing(socket, p.conversationId, startTyping),
  "typing:stop": (socket, p) => typing(socket, p.conversationId, stopTyping),
};

const store = new Store(databaseUrl, poolSize);
const httpServer = createServer();
const io = new Server(httpServer, {
  ...(recoveryWindow > 0 && { connectionStateRecovery: { maxDisconnectionDuration: recoveryWindow, skipMiddlewares: false } }),
});
io.use(authenticate);

io.on("connection", (socket) => {
  const user = socket.data.user;
  socket.join(userRoom(user));
  if (user.role === "staff") socket.join("staff");

  socket.onAny((event, ...args) => {
    const ack = typeof args.at(-1) === "function" ? args.pop() : () => {};
    const handler = handlers[event];
    if (!handler) return ack(fail("bad_request", `unknown event ${event}`));
    const payload = args[0];
    if (payload === null || typeof payload !== "object" || Array.isArray(payload))
      return ack(fail("bad_request", "the payload must be an object"));
    handler(socket, payload).then(ack, (err) => ack(unavailable(err)));
  });
});

// The bench script stops the peer with SIGTERM by PID.
process.on("SIGTERM", () => {
  io.close();
  setTimeout(() => process.exit(0), 2000).unref();
  store.end().finally(() => process.exit(0));
});

try {
  await store.migrate();
} catch (err) {
  console.error(`cannot set up the database: ${err.message}`);
  process.exit(1);
}
httpServer.listen(port, host, () => {
  console.log(`listening on ${host}:${httpServer.address().port}`);
});
