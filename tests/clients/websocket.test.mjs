// socket.io-client over WebSocket only (transports: ['websocket']): no long-polling at all.
import assert from 'node:assert/strict';
import { socketioSuite } from './socketio-cases.mjs';

socketioSuite('websocket only', { transports: ['websocket'] }, (socket) => {
  assert.equal(socket.io.engine.transport.name, 'websocket');
});
