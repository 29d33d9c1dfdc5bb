// One Socket.IO connection to the inbox with the page's token: acks as promises, and the state
// the connection indicator shows (connecting, connected, long-polling, reconnecting, offline,
// signed-out). The client comes from the broker itself (/socket.io/socket.io.esm.min.js).
import { io } from '/socket.io/socket.io.esm.min.js';

export class InboxError extends Error {
  constructor(event, error) {
    super(error?.message ?? `${event} failed`);
    this.code = error?.code ?? 'unavailable';
    this.retryable = error?.retryable ?? true;
  }
}

export function connect(token, { onState = () => {}, onConnect = () => {} } = {}) {
  // ?transport=polling keeps the page on long-polling (for proxies that block WebSocket, and tests).
  const pollingOnly = new URLSearchParams(location.search).get('transport') === 'polling';
  const socket = io({
    auth: (cb) => cb({ token }),
    transports: pollingOnly ? ['polling'] : ['polling', 'websocket'],
    reconnectionDelayMax: 3000,
  });
  let state = 'connecting';
  const set = (next, detail) => {
    state = next;
    onState(next, detail);
  };
  const transportState = () => (socket.io.engine?.transport?.name === 'websocket' ? 'connected' : 'long-polling');

  socket.on('connect', () => {
    set(navigator.onLine === false ? 'offline' : transportState());
    socket.io.engine.once('upgrade', () => socket.connected && set(transportState()));
    onConnect({ recovered: socket.recovered });
  });
  socket.on('disconnect', (reason) => {
    if (reason !== 'io client disconnect') set(navigator.onLine === false ? 'offline' : 'reconnecting');
  });
  socket.on('connect_error', (err) => {
    // A refused token does not retry on its own (docs/events.md, "Refused handshakes").
    if (err.message === 'unauthorized') set('signed-out', err.data?.code);
    else set(navigator.onLine === false ? 'offline' : 'reconnecting');
  });
  // The browser knows first when the network goes: say so, and cut a socket that would otherwise
  // wait for its ping timeout (the client reconnects by itself, at most reconnectionDelayMax apart).
  addEventListener('offline', () => {
    set('offline');
    if (socket.connected) socket.io.engine?.close();
  });
  addEventListener('online', () => set(socket.connected ? transportState() : 'reconnecting'));

  // Every inbox event answers {error} or its result; a missing ack is an `unavailable` error.
  async function call(event, payload = {}, timeoutMs = 10_000) {
    if (!socket.connected) throw new InboxError(event, { code: 'offline', message: 'not connected', retryable: true });
    let ack;
    try {
      ack = await socket.timeout(timeoutMs).emitWithAck(event, payload);
    } catch {
      throw new InboxError(event, { code: 'timeout', message: 'no answer from the server', retryable: true });
    }
    if (ack?.error && !ack.conversation) throw new InboxError(event, ack.error);
    return ack;
  }

  return { socket, call, state: () => state };
}

// The words the indicator shows for each state.
export const stateLabels = {
  connecting: 'Connecting…',
  connected: 'Connected',
  'long-polling': 'Connected (long-polling)',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
  'signed-out': 'Signed out',
};
