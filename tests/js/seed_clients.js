#!/usr/bin/env node
/*
 * seed_clients.js: drive real socket.io-client 4.x sockets through a scenario, print what they saw.
 *
 * Used by tests/live/test_js_client.py to check the chat server against the JavaScript client that
 * clients of the original gateway use. Usage:
 *
 *   node seed_clients.js '<scenario JSON>'      or      echo '<scenario JSON>' | node seed_clients.js
 *
 * Scenario:
 *   {
 *     "url": "http://127.0.0.1:5000",
 *     "transports": ["websocket"] | ["polling"] | null,   // null: the client's default (polling, then upgrade)
 *     "clients": 3,                                       // sockets 0..2, all forceNew, no reconnection
 *     "auth": [{"protocol": 2}, null, ...],               // optional: each client's handshake auth; an entry's
 *                                                          // "sign": {"payload", "key", "options"} becomes its
 *                                                          // "token", signed here with jsonwebtoken, as a site would
 *     "timeoutMs": 20000,                                 // bound on the whole run
 *     "steps": [                                          // run in order
 *       {"connect": [0, 1, 2]},                    // one after another, each waiting for connect or connect_error
 *       {"connect": [0, 1, 2], "parallel": true},  // all at once, then wait for each
 *       {"emit": [{"client": 0, "event": "newMessage", "args": ["hi"], "ack": true}, ...]},
 *                                                  // all of them in one synchronous loop (so they are batched)
 *       {"wait": {"clients": [0, 1], "event": "message", "count": 3}},  // until each has received >= count
 *       {"wait": {"clients": [0, 1], "event": "message", "args": ["end"]}},  // until each has received this one
 *       {"wait": {"clients": [0], "acks": 2}},     // until each has >= 2 acknowledgements
 *       {"disconnect": [1]}                        // close these sockets (client side)
 *     ]
 *   }
 *
 * Result on stdout, one JSON object; exit status 0, or 1 when a wait or the run timed out:
 *   {"ok": true, "error": null, "elapsedMs": 123,
 *    "clients": [{"id": 0,
 *                 "events": [{"event": "user-joined", "args": [{...}]}, ...],  // in order received, including
 *                                                  // "connect" [sid], "connect_error" [message], "disconnect" [reason]
 *                 "acks": [{"sent": [...args], "reply": [...args]}, ...],  // in order received
 *                 "posts": [{"packets": 30, "bytes": 360620}, ...]}]}     // long-polling POST bodies sent
 *
 * Waits are event-driven (no sleeps): each recorded event re-checks the pending waits, and one
 * timer bounds the whole run.
 */
"use strict";

const fs = require("fs");
const { io } = require("socket.io-client");
const { transports } = require("engine.io-client");

const scenario = JSON.parse(process.argv[2] || fs.readFileSync(0, "utf8"));
const started = Date.now();
const clients = [];
const waiters = new Set();

// Record the body of every long-polling POST: how many Engine.IO packets it carried, and its size.
const engineOwner = new WeakMap(); // engine.io-client Socket -> our client record
const doWrite = transports.polling.prototype.doWrite;
transports.polling.prototype.doWrite = function (data, callback) {
  const client = engineOwner.get(this.socket);
  if (client) client.posts.push({ packets: data.split("\x1e").length, bytes: Buffer.byteLength(data) });
  return doWrite.call(this, data, callback);
};

function record(client, event, args) {
  client.events.push({ event, args });
  notify();
}

function notify() {
  for (const waiter of waiters) {
    if (waiter.done()) {
      waiters.delete(waiter);
      waiter.resolve();
    }
  }
}

/** Resolve once done() is true; the overall timer ends the run if it never is (naming description()). */
function until(done, description) {
  return new Promise((resolve) => {
    const waiter = { done, description, resolve };
    waiters.add(waiter);
    notify();
  });
}

function count(client, event, args) {
  const wanted = args === undefined ? null : JSON.stringify(args);
  return client.events.filter((e) => e.event === event && (!wanted || JSON.stringify(e.args) === wanted)).length;
}

/** Return a client's handshake auth, with a token signed by jsonwebtoken in place of its "sign". */
function authOf(id) {
  const given = (scenario.auth || [])[id];
  if (!given) return null;
  const { sign, ...auth } = given;
  if (sign) auth.token = require("jsonwebtoken").sign(sign.payload, sign.key, sign.options);
  return auth;
}

function open(client) {
  const options = { forceNew: true, reconnection: false, autoConnect: false };
  const auth = authOf(client.id);
  if (auth) options.auth = auth;
  if (scenario.transports) options.transports = scenario.transports;
  const socket = (client.socket = io(scenario.url, options));
  socket.onAny((event, ...args) => record(client, event, args));
  socket.on("connect", () => record(client, "connect", [socket.id]));
  socket.on("connect_error", (error) => record(client, "connect_error", [error.message]));
  socket.on("disconnect", (reason) => record(client, "disconnect", [reason]));
  socket.connect();
  engineOwner.set(socket.io.engine, client);
  return until(() => count(client, "connect") + count(client, "connect_error") > 0, () => `client ${client.id} to connect`);
}

function emit({ client: id, event = "newMessage", args = [], ack = false }) {
  const client = clients[id];
  if (!ack) return client.socket.emit(event, ...args);
  client.socket.emit(event, ...args, (...reply) => {
    client.acks.push({ sent: args, reply });
    notify();
  });
}

async function run(step) {
  if (step.connect && step.parallel) {
    await Promise.all(step.connect.map((id) => open(clients[id])));
  } else if (step.connect) {
    for (const id of step.connect) await open(clients[id]);
  } else if (step.emit) {
    step.emit.forEach(emit); // one synchronous loop: long-polling batches what waits for a POST
  } else if (step.wait) {
    const { clients: ids, event, count: n = 1, args, acks } = step.wait;
    for (const id of ids) {
      const client = clients[id];
      if (acks !== undefined) {
        await until(() => client.acks.length >= acks, () => `client ${id}: ${acks} acks, got ${client.acks.length}`);
      } else {
        const what = args === undefined ? event : `${event} ${JSON.stringify(args)}`;
        await until(() => count(client, event, args) >= n, () => `client ${id}: ${n} ${what}, got ${count(client, event, args)}`);
      }
    }
  } else if (step.disconnect) {
    for (const id of step.disconnect) clients[id].socket.disconnect();
  } else {
    throw new Error(`unknown step ${JSON.stringify(step)}`);
  }
}

function finish(error) {
  for (const client of clients) if (client.socket) client.socket.disconnect();
  const result = {
    ok: !error,
    error: error || null,
    elapsedMs: Date.now() - started,
    clients: clients.map(({ id, events, acks, posts }) => ({ id, events, acks, posts })),
  };
  process.stdout.write(JSON.stringify(result) + "\n", () => process.exit(error ? 1 : 0));
}

async function main() {
  for (let id = 0; id < scenario.clients; id++) clients.push({ id, socket: null, events: [], acks: [], posts: [] });
  const timer = setTimeout(() => {
    const pending = [...waiters].map((w) => w.description()).join("; ");
    finish(`timed out after ${scenario.timeoutMs} ms waiting for: ${pending || "nothing (a step hung)"}`);
  }, scenario.timeoutMs || 20000);
  for (const step of scenario.steps) await run(step);
  clearTimeout(timer);
  finish(null);
}

main().catch((error) => finish(`script error: ${error.stack || error}`));
