#!/usr/bin/env node
/*
 * reconnecting_client.js: one socket.io-client 4.x socket with its automatic reconnection on, as the
 * demo page and an original-protocol client use it; prints each event it sees as a JSON line.
 *
 * Used by tests/live/test_connect.py (through tests/support/js.py). Usage:
 *
 *   node reconnecting_client.js '<options JSON>'
 *
 * Options:
 *   {
 *     "url": "http://127.0.0.1:5000",
 *     "transports": ["websocket"] | ["polling"] | null,  // null: the client's default
 *     "auth": {"protocol": 2, "name": "Alice"} | null,    // the handshake; with protocol 2 the client adds,
 *                                                         // on every (re)connection, "lastSeen" (the last id
 *                                                         // it has of each room), "guest" and "resume" (from
 *                                                         // its last welcome), as the demo page does
 *     "cutAtFirst": "history" | null                      // close the transport when the first Socket.IO event
 *                                                         // of this name arrives on the wire (once)
 *   }
 *
 * Output, one JSON object a line: {"event": "connect"}, {"event": "disconnect", "args": [reason]},
 * {"event": "<server event>", "args": [...]} (a "history" or "room-message" is shortened to
 * {"room", "ids"}), {"event": "cut"} when the transport is cut. It runs until killed.
 */
"use strict";

const { io } = require("socket.io-client");

const options = JSON.parse(process.argv[2]);
const full = options.auth && options.auth.protocol === 2;
const lastSeen = { ...((options.auth && options.auth.lastSeen) || {}) };
let guest = null;
let resume = null;

function print(line) {
  process.stdout.write(JSON.stringify(line) + "\n");
}

function handshake(callback) {
  if (!full) return callback(options.auth || {});
  const auth = { ...options.auth, lastSeen: { ...lastSeen } };
  if (guest) auth.guest = guest;
  if (resume) auth.resume = resume;
  callback(auth);
}

const socket = io(options.url, {
  transports: options.transports || undefined,
  auth: handshake,
  reconnectionDelay: 100,
  reconnectionDelayMax: 500,
});

let cut = false;
socket.io.on("open", () => {
  socket.io.engine.on("packet", (packet) => {
    const name = options.cutAtFirst && `2["${options.cutAtFirst}"`;
    if (!cut && name && packet.type === "message" && typeof packet.data === "string" && packet.data.startsWith(name)) {
      cut = true;
      print({ event: "cut" });
      socket.io.engine.close();
    }
  });
});

socket.on("connect", () => print({ event: "connect" }));
socket.on("disconnect", (reason) => print({ event: "disconnect", args: [reason] }));
socket.on("connect_error", (error) => print({ event: "connect_error", args: [error.message] }));

function keep(room, ids) {
  if (ids.length) lastSeen[room] = Math.max(lastSeen[room] || 0, ...ids);
}

socket.onAny((event, ...args) => {
  if (event === "welcome") {
    guest = args[0].guest || guest;
    resume = args[0].resume || resume;
  }
  if (event === "history") {
    const ids = args[0].messages.map((message) => message.id);
    keep(args[0].room, ids);
    print({ event, args: [{ room: args[0].room, ids }] });
  } else if (event === "room-message") {
    keep(args[0].room, [args[0].id]);
    print({ event, args: [{ room: args[0].room, ids: [args[0].id] }] });
  } else {
    print({ event, args });
  }
});
