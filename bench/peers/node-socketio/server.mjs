// The bench profile of ringcast (broker/bench_profile.cc) on Node socket.io, so both servers
// answer the load generator identically:
//   join(room, ack)  joins the room, then acks with no arguments;
//   pub(room, data)  emits "msg" with data to everyone in the room;
//   echo(data, ack)  acks with data.
// Options left at socket.io's defaults (pingInterval 25 s, pingTimeout 20 s, no compression).
import { createServer } from "node:http";
import { Server } from "socket.io";

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const port = Number(flag("port", "3000"));
const host = flag("address", "127.0.0.1");

const httpServer = createServer();
const io = new Server(httpServer);

io.on("connection", (socket) => {
  socket.on("join", (room, ack) => {
    socket.join(room);
    if (typeof ack === "function") ack();
  });
  socket.on("pub", (room, data) => {
    io.to(room).emit("msg", data);
  });
  socket.on("echo", (data, ack) => {
    if (typeof ack === "function") ack(data);
  });
});

// compare.sh stops the peer with SIGTERM by PID.
process.on("SIGTERM", () => {
  io.close();
  process.exit(0);
});

httpServer.listen(port, host, () => {
  console.log(`listening on ${host}:${httpServer.address().port}`);
});
