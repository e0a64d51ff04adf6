#!/usr/bin/env node
// The yardstick the benchmark measures this project against: the original gateway's contract
// on a plain Node socket.io 4.8 server, with nothing else (no names, history, limits or checks).
// The NestJS gateway the project was ported from is a thin layer over this same socket.io server.
//
//   on connect            `user-joined` {"message": "A user joined the chat"} to every other socket
//   on disconnect         `user-left`   {"message": "A user left the chat"}   to every socket left
//   `newMessage` <string> `message` <the same string> to every socket, the sender included
//
// It listens on 127.0.0.1 only, at the port given as its argument (or $PORT, else 3000), and
// answers GET /healthz as the chat server does, so that run.py waits for both the same way.
//   node bench/reference/server.js 3000
'use strict';
const http = require('http');
const { Server } = require('socket.io');

const port = Number(process.argv[2] || process.env.PORT || 3000);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: node bench/reference/server.js [PORT]');
  process.exit(3);
}

const httpServer = http.createServer((request, response) => {
  if (request.url === '/healthz') {
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ status: 'ok', connections: io.engine.clientsCount }));
    return;
  }
  response.writeHead(404);
  response.end();
});
// socket.io's defaults otherwise: the chat server's production settings are its own.
const io = new Server(httpServer);

io.on('connection', (socket) => {
  socket.broadcast.emit('user-joined', { message: 'A user joined the chat' });
  socket.on('newMessage', (text) => {
    io.emit('message', text);
  });
  socket.on('disconnect', () => {
    io.emit('user-left', { message: 'A user left the chat' });
  });
});

httpServer.listen(port, '127.0.0.1', () => {
  console.error(`reference socket.io ${require('socket.io/package.json').version} on http://127.0.0.1:${port}`);
});
// run.py stops a server with SIGTERM: exit at once, as the chat server does.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
