#!/usr/bin/env node
// Reference server for the end-to-end tests: the stock Node `socket.io` 4.8 / `engine.io` 6.6 /
// `ws` 8 servers, configured like the ringcast profiles, so the tests can be validated against
// real Socket.IO behaviour (RINGCAST_SERVER=reference). It accepts the subset of ringcast's flags
// the tests use (and the same RINGCAST_* environment variables), prints the same
// `listening on 127.0.0.1:PORT` line on stderr, and exits 0 on SIGTERM.
//
// Profile "conformance" (what the official socket.io-protocol / engine.io-protocol test-suite
// servers do):
//   /socket.io/  namespaces "/" and "/custom" emit "auth" with the handshake auth on connection;
//                in "/", "message" -> "message-back" with the same arguments, "message-with-ack"
//                -> ack with the same arguments. Any other namespace: CONNECT_ERROR.
//   /engine.io/  a plain Engine.IO server echoing every message (text or binary).
//   /ws-echo     a plain WebSocket echo server.
// Profile "bench": in "/", join(room, ack), pub(room, data) -> "msg" to the room, echo(data, ack),
// with connectionStateRecovery {maxDisconnectionDuration: --recovery-window} (0: off), as ringcast.
// --recovery-buffer is accepted and ignored: socket.io keeps every packet of the window.
import http from 'node:http';
import { Server as SocketIOServer } from 'socket.io';
import { Server as EngineIOServer } from 'engine.io';
import { WebSocketServer } from 'ws';

const spec = {
  profile: ['RINGCAST_PROFILE', 'conformance'],
  address: ['RINGCAST_ADDRESS', '0.0.0.0'],
  port: ['RINGCAST_PORT', '3000'],
  'ping-interval': ['RINGCAST_PING_INTERVAL', '25000'],
  'ping-timeout': ['RINGCAST_PING_TIMEOUT', '20000'],
  'max-payload': ['RINGCAST_MAX_PAYLOAD', '1000000'],
  'connect-timeout': ['RINGCAST_CONNECT_TIMEOUT', '45000'],
  'cors-origin': ['RINGCAST_CORS_ORIGIN', ''],
  shards: ['RINGCAST_SHARDS', '0'], // accepted and ignored: Node is single-threaded
  'recovery-window': ['RINGCAST_RECOVERY_WINDOW', '120000'],
  'recovery-buffer': ['RINGCAST_RECOVERY_BUFFER', '10000'], // accepted and ignored (see above)
};

function parseArgs(argv) {
  const opts = {};
  for (const [name, [env, dflt]] of Object.entries(spec)) opts[name] = process.env[env] || dflt;
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    if (!arg.startsWith('--')) fail(`unexpected argument: ${arg}`);
    arg = arg.slice(2);
    let value;
    const eq = arg.indexOf('=');
    if (eq >= 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    } else if (arg === 'no-pin') {
      continue;
    } else {
      if (i + 1 >= argv.length) fail(`--${arg} needs a value`);
      value = argv[++i];
    }
    if (!(arg in spec)) fail(`unknown flag --${arg}`);
    opts[arg] = value;
  }
  for (const k of ['port', 'ping-interval', 'ping-timeout', 'max-payload', 'connect-timeout', 'recovery-window', 'recovery-buffer']) {
    const n = Number(opts[k]);
    if (!Number.isInteger(n) || n < 0) fail(`invalid value for --${k}: ${opts[k]}`);
    opts[k] = n;
  }
  if (!['conformance', 'bench'].includes(opts.profile)) fail(`invalid value for --profile: ${opts.profile}`);
  return opts;
}

function fail(message) {
  process.stderr.write(`reference-server: ${message}\n`);
  process.exit(2);
}

const opts = parseArgs(process.argv.slice(2));
const cors = opts['cors-origin'] ? { origin: opts['cors-origin'] === '*' ? '*' : opts['cors-origin'] } : undefined;
const common = {
  pingInterval: opts['ping-interval'],
  pingTimeout: opts['ping-timeout'],
  maxHttpBufferSize: opts['max-payload'],
  cors,
};

const httpServer = http.createServer();
// Several upgrade handlers share this server: each must leave other paths alone.
const attachOpts = { destroyUpgrade: false };
const handledUpgradePaths = ['/socket.io/'];

const io = new SocketIOServer(httpServer, {
  ...common,
  ...attachOpts,
  path: '/socket.io/',
  serveClient: false,
  connectTimeout: opts['connect-timeout'],
  ...(opts.profile === 'bench' && opts['recovery-window'] > 0
    ? { connectionStateRecovery: { maxDisconnectionDuration: opts['recovery-window'], skipMiddlewares: true } }
    : {}),
});

let eio;
let wss;
if (opts.profile === 'conformance') {
  for (const name of ['/', '/custom']) {
    io.of(name).on('connection', (socket) => {
      socket.emit('auth', socket.handshake.auth);
    });
  }
  io.of('/').on('connection', (socket) => {
    socket.on('message', (...args) => socket.emit('message-back', ...args));
    socket.on('message-with-ack', (...args) => {
      const ack = args.pop();
      if (typeof ack === 'function') ack(...args);
    });
  });

  eio = new EngineIOServer({ ...common });
  eio.attach(httpServer, { ...attachOpts, path: '/engine.io/' });
  eio.on('connection', (socket) => {
    socket.on('message', (data) => socket.send(data));
  });
  handledUpgradePaths.push('/engine.io/');

  wss = new WebSocketServer({ noServer: true, maxPayload: opts['max-payload'] });
  wss.on('connection', (ws) => {
    ws.on('error', () => {}); // protocol errors close the connection; nothing to report
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  httpServer.on('upgrade', (req, socket, head) => {
    const path = req.url.split('?')[0];
    if (path === '/ws-echo') wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  handledUpgradePaths.push('/ws-echo');
} else {
  io.of('/').on('connection', (socket) => {
    socket.on('join', (room, ack) => {
      socket.join(room);
      if (typeof ack === 'function') ack();
    });
    socket.on('pub', (room, data) => io.to(room).emit('msg', data));
    socket.on('echo', (data, ack) => {
      if (typeof ack === 'function') ack(data);
    });
  });
}

// Upgrade requests for any other path are refused rather than left hanging.
httpServer.on('upgrade', (req, socket) => {
  const path = req.url.split('?')[0];
  if (path === '/ws-echo' ? handledUpgradePaths.includes('/ws-echo') : handledUpgradePaths.some((p) => path.startsWith(p))) return;
  socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
});
// Plain HTTP requests outside the handled paths (engine.io/socket.io call the other listeners).
httpServer.on('request', (req, res) => {
  const path = req.url.split('?')[0];
  if (handledUpgradePaths.some((p) => path.startsWith(p))) return;
  res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
});

httpServer.listen(opts.port, opts.address, () => {
  const { address, port } = httpServer.address();
  process.stderr.write(`reference-server (${opts.profile}): listening on ${address}:${port}\n`);
});

let stopping = false;
function shutdown() {
  if (stopping) return;
  stopping = true;
  const force = setTimeout(() => process.exit(0), 2000);
  force.unref();
  io.close();
  eio?.close();
  wss?.close();
  for (const client of wss?.clients ?? []) client.terminate();
  httpServer.closeAllConnections?.();
  httpServer.close(() => process.exit(0));
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
