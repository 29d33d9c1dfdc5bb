#pragma once
// The built-in application profiles: what the server does with Socket.IO events.
#include <memory>

#include "broker/engineio/eio_server.h"
#include "broker/socketio/sio_server.h"

namespace ringcast::broker {

class broker_app;

// conformance: what the official protocol test suites' reference servers do.
void install_conformance_profile(sio_server& sio);
// An Engine.IO listener that echoes every message (the /engine.io/ reference server).
std::unique_ptr<eio_listener> make_engineio_echo();
// A WebSocket endpoint that echoes every message (/ws-echo).
std::unique_ptr<class ws_endpoint> make_ws_echo();

// bench: join(room, ack), pub(room, data) -> "msg" to the room, echo(data, ack); connection state
// recovery in "/".
void install_bench_profile(broker_app& app);

}  // namespace ringcast::broker
