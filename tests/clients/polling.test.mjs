// socket.io-client over HTTP long-polling only (transports: ['polling']): never upgrades.
import assert from 'node:assert/strict';
import { socketioSuite } from './socketio-cases.mjs';

socketioSuite('polling only', { transports: ['polling'] }, (socket) => {
  assert.equal(socket.io.engine.transport.name, 'polling');
});
