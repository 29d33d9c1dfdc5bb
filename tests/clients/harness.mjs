// Shared plumbing for the end-to-end tests: starts the server under test (the ringcast binary, or
// with RINGCAST_SERVER=reference the Node reference server), stops it by PID, and offers small
// helpers for socket.io-client, raw WebSocket and raw HTTP.
//
//   RINGCAST_BINARY   path of the ringcast binary (set by ctest; defaults to build/release)
//   RINGCAST_SERVER   "reference" to run every test against reference-server.mjs instead
import { spawn } from 'node:child_process';
import { test as nodeTest } from 'node:test';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';
import WebSocket from 'ws';

const here = path.dirname(fileURLToPath(import.meta.url));

export const isReference = process.env.RINGCAST_SERVER === 'reference';
export const serverKind = isReference ? 'reference' : 'ringcast';

// The configuration every test server shares (see the conformance profile in the README of this
// folder); a test may append flags (later flags win in both servers).
export const PING_INTERVAL = 300;
export const PING_TIMEOUT = 200;
export const MAX_PAYLOAD = 1_000_000;
export const CONNECT_TIMEOUT = 1000;

export function serverArgs(profile = 'conformance', extra = []) {
  return [
    '--profile', profile,
    '--address', '127.0.0.1',
    '--port', '0',
    '--ping-interval', String(PING_INTERVAL),
    '--ping-timeout', String(PING_TIMEOUT),
    '--max-payload', String(MAX_PAYLOAD),
    '--connect-timeout', String(CONNECT_TIMEOUT),
    '--cors-origin', '*',
    '--shards', '2',
    ...extra,
  ];
}

export function binaryPath() {
  const candidates = [
    process.env.RINGCAST_BINARY,
    path.resolve(here, '../../build/release/server/ringcast'),
  ].filter(Boolean);
  for (const c of candidates) if (existsSync(c)) return c;
  throw new Error(
    `ringcast binary not found (RINGCAST_BINARY=${process.env.RINGCAST_BINARY ?? 'unset'}); ` +
      'set RINGCAST_BINARY or RINGCAST_SERVER=reference',
  );
}

// Every server this process started; killed if the process exits before a test stops it.
const running = new Set();
process.on('exit', () => {
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {}
  }
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    for (const child of running) {
      try {
        child.kill('SIGKILL');
      } catch {}
    }
    process.exit(1);
  });
}

const STOP_GRACE_MS = 10_000;
const START_TIMEOUT_MS = 20_000;

// Starts a server and resolves once it printed `listening on 127.0.0.1:PORT`.
// Returns { port, url, wsUrl, pid, stop(), output() }. stop() sends SIGTERM, then SIGKILL after
// 10 s, and resolves { code, signal, killed }.
export async function startServer(profile = 'conformance', extra = []) {
  const args = serverArgs(profile, extra);
  return isReference
    ? startProcess(process.execPath, [path.join(here, 'reference-server.mjs'), ...args])
    : startProcess(binaryPath(), args);
}

// Runs any server command the way startServer does; `listening on 127.0.0.1:PORT` may come on
// stdout or stderr (ringcast and the reference print it on stderr, the bench peers on stdout).
export async function startProcess(cmd, argv, name = serverKind) {
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let log = '';
  const append = (chunk) => {
    log += chunk.toString();
    if (log.length > 256 * 1024) log = log.slice(-128 * 1024);
  };
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });

  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`${name} did not print "listening on" within ${START_TIMEOUT_MS} ms:\n${log}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk) => {
      append(chunk);
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(log);
      if (m && Number(m[1]) > 0) {
        finish();
        resolve(Number(m[1]));
      }
    };
    const onExit = (code, signal) => {
      finish();
      reject(new Error(`${name} exited early (code ${code}, signal ${signal}):\n${log}`));
    };
    const onError = (err) => {
      finish();
      reject(err);
    };
    function finish() {
      clearTimeout(timer);
      for (const stream of [child.stdout, child.stderr]) {
        stream.off('data', onData);
        stream.on('data', append);
      }
      child.off('exit', onExit);
      child.off('error', onError);
    }
    for (const stream of [child.stdout, child.stderr]) stream.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  }).catch(async (err) => {
    child.kill('SIGKILL');
    await exited;
    throw err;
  });

  let stopped;
  return {
    name,
    port,
    pid: child.pid,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    output: () => log,
    stop() {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        let killed = false;
        const timer = setTimeout(() => {
          killed = true;
          child.kill('SIGKILL');
        }, STOP_GRACE_MS);
        const result = await exited;
        clearTimeout(timer);
        return { ...result, killed };
      })();
      return stopped;
    },
  };
}

// For after(): stops the server and asserts a clean exit (code 0 on SIGTERM).
export async function stopServer(server) {
  if (!server) return;
  const { code, signal, killed } = await server.stop();
  if (killed || code !== 0) {
    throw new Error(
      `${server.name} did not exit cleanly on SIGTERM: code ${code}, signal ${signal}, ` +
        `killed after ${STOP_GRACE_MS} ms: ${killed}\n--- output ---\n${server.output().slice(-8000)}`,
    );
  }
}

// node:test's test() with a default per-test timeout, so one hang fails that test (with a
// message) instead of the whole file running into ctest's timeout. Options may override it.
export const TEST_TIMEOUT_MS = 30_000;
export function test(name, options, fn) {
  if (typeof options === 'function') [options, fn] = [{}, options];
  return nodeTest(name, { timeout: TEST_TIMEOUT_MS, ...options }, fn);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Waits until `check` (sync or async) holds, polling every 10 ms; fails naming `what` after `ms`.
export async function until(what, check, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

// Every `name` event the socket gets from now on, in order.
export function collect(socket, name) {
  const got = [];
  socket.on(name, (payload) => got.push(payload));
  return got;
}

export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${typeof what === 'function' ? what() : what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// Resolves with the event's arguments (an array).
export function waitFor(emitter, event, ms = 5000) {
  let handler;
  return withTimeout(
    new Promise((resolve) => {
      handler = (...args) => resolve(args);
      emitter.once(event, handler);
    }),
    ms,
    `event "${event}"`,
  ).finally(() => emitter.off(event, handler));
}

// ---- socket.io-client ----

// Client sockets created through client()/connect(); closeClients() disconnects them all.
const clients = new Set();

// A socket.io-client socket with test-friendly defaults: its own connection (forceNew), no
// automatic reconnection, a 5 s connect timeout. Does not wait for the connection.
export function client(url, opts = {}) {
  const socket = io(url, { forceNew: true, reconnection: false, timeout: 5000, ...opts });
  clients.add(socket);
  return socket;
}

// Connects and resolves once "connect" fired; rejects with the connect_error.
export async function connect(url, opts = {}, ms = 5000) {
  const socket = client(url, opts);
  await withTimeout(
    new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    }),
    ms,
    `socket.io connect to ${url}`,
  );
  return socket;
}

// Connects with this handshake `auth` and resolves with the connect_error; rejects on a connect.
export function refusal(url, auth, opts = { transports: ['websocket'] }) {
  const socket = client(url, { ...opts, auth });
  return withTimeout(
    new Promise((resolve, reject) => {
      socket.once('connect', () => reject(new Error('connected without a valid token')));
      socket.once('connect_error', resolve);
    }),
    5000,
    'connect_error',
  );
}

export function closeClients() {
  for (const socket of clients) socket.disconnect();
  clients.clear();
}

// Deeply turns every ArrayBuffer / typed array into a Buffer, so received binary arguments can be
// compared with assert.deepStrictEqual against Buffers.
export function normalizeBinary(value) {
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  if (value instanceof ArrayBuffer) return Buffer.from(new Uint8Array(value));
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return value.map(normalizeBinary);
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = normalizeBinary(v);
    return out;
  }
  return value;
}

// ---- raw WebSocket (the `ws` package) ----

// A WebSocket with a queue of received messages: next() resolves with the next text message
// (string) or binary message (Buffer); closed resolves { code, reason } once it closes.
export class RawWs {
  constructor(url, options = {}) {
    this.ws = new WebSocket(url, { perMessageDeflate: false, ...options });
    this.queue = [];
    this.waiters = [];
    this.errors = [];
    this.ws.on('message', (data, isBinary) => {
      const msg = isBinary ? Buffer.from(data) : data.toString('utf8');
      const w = this.waiters.shift();
      if (w) w.resolve(msg);
      else this.queue.push(msg);
    });
    this.ws.on('error', (err) => this.errors.push(err));
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code, reason) => {
        const info = { code, reason: reason.toString() };
        for (const w of this.waiters.splice(0)) w.reject(new Error(`websocket closed (${code}) while waiting for a message`));
        resolve(info);
      });
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('unexpected-response', (req, res) => reject(new Error(`HTTP ${res.statusCode} instead of 101`)));
      this.ws.once('error', reject);
      this.ws.once('close', () => reject(new Error('closed before open')));
    });
    this.opened.catch(() => {});
  }

  next(ms = 5000) {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    let entry;
    const p = new Promise((resolve, reject) => {
      entry = { resolve, reject };
      this.waiters.push(entry);
    });
    return withTimeout(p, ms, 'websocket message').catch((err) => {
      const i = this.waiters.indexOf(entry);
      if (i >= 0) this.waiters.splice(i, 1);
      throw err;
    });
  }

  // Next message that is not an Engine.IO ping ("2"), answering pings with pongs.
  async nextNonPing(ms = 5000) {
    for (;;) {
      const msg = await this.next(ms);
      if (msg === '2') {
        this.send('3');
        continue;
      }
      return msg;
    }
  }

  send(data, opts) {
    this.ws.send(data, opts);
  }

  close() {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }
}

// Opens an Engine.IO session over WebSocket on `path` and returns { ws, open } where open is
// the parsed open packet.
export async function engineWs(server, path = '/engine.io/', query = '') {
  const ws = new RawWs(`${server.wsUrl}${path}?EIO=4&transport=websocket${query}`);
  await withTimeout(ws.opened, 5000, 'websocket open');
  const first = await ws.next();
  if (typeof first !== 'string' || first[0] !== '0') throw new Error(`expected an open packet, got ${first}`);
  return { ws, open: JSON.parse(first.slice(1)) };
}

// ---- raw TCP ----

// Connects a raw TCP socket to the server; resolves once connected. The socket collects every
// received byte in `socket.received` (a Buffer) and `socket.ended` resolves when the peer closes.
export function rawTcp(server) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port: server.port });
    socket.received = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      socket.received = Buffer.concat([socket.received, chunk]);
      socket.emit('received');
    });
    socket.ended = new Promise((res) => socket.once('close', res));
    socket.on('error', () => {});
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

// Resolves once `predicate(socket.received)` is true (or rejects after ms).
export function receivedUntil(socket, predicate, ms = 5000) {
  return withTimeout(
    new Promise((resolve, reject) => {
      const check = () => {
        if (predicate(socket.received)) {
          socket.off('received', check);
          socket.off('close', onClose);
          resolve(socket.received);
        }
      };
      const onClose = () => {
        check();
        reject(new Error(`connection closed; received: ${JSON.stringify(socket.received.toString('latin1').slice(0, 300))}`));
      };
      socket.on('received', check);
      socket.once('close', onClose);
      check();
    }),
    ms,
    'raw TCP data',
  );
}
