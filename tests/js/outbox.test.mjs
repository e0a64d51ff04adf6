// This tab's unsent messages (static/outbox.js): pacing, acknowledgements, retries and what a
// reload keeps, with a recording socket, a sessionStorage in memory and node's mock timers.
import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";

import { ACK_TIMEOUT_MS, Outbox, SEND_INTERVAL_MS } from "../../static/outbox.js";

class MemoryStorage {
  constructor() { this.items = new Map(); }
  getItem(key) { return this.items.has(key) ? this.items.get(key) : null; }
  setItem(key, value) { this.items.set(key, String(value)); }
  removeItem(key) { this.items.delete(key); }
}

// A Socket.IO client's emit-with-timeout, recording what was sent; a test answers each emit.
class RecordingSocket {
  constructor() {
    this.connected = true;
    this.sent = [];
  }

  timeout(ms) {
    return { emit: (event, payload, answer) => this.sent.push({ ms, event, payload, answer }) };
  }
}

function makeOutbox() {
  const socket = new RecordingSocket();
  const sent = [];
  const failed = [];
  const outbox = new Outbox(socket, { onSent: (entry, message) => sent.push([entry, message]),
                                      onFailed: (entry) => failed.push(entry) });
  return { socket, outbox, sent, failed };
}

describe("Outbox", () => {
  beforeEach((t) => {
    globalThis.sessionStorage = new MemoryStorage();
    t.mock.timers.enable({ apis: ["setTimeout"] });
  });

  it("sends a message with a clientId of its own, waiting ACK_TIMEOUT_MS for the answer", () => {
    const { socket, outbox } = makeOutbox();
    const entry = outbox.add("general", "hello", ["p-bob"]);
    assert.match(entry.clientId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(socket.sent.length, 1);
    assert.equal(socket.sent[0].ms, ACK_TIMEOUT_MS);
    assert.equal(socket.sent[0].event, "send-message");
    assert.deepEqual(socket.sent[0].payload,
                     { room: "general", text: "hello", clientId: entry.clientId, mentions: ["p-bob"] });
    assert.notEqual(outbox.add("general", "again").clientId, entry.clientId);
  });

  it("leaves mentions out of a message that names nobody", () => {
    const { socket, outbox } = makeOutbox();
    outbox.add("general", "hi");
    assert.deepEqual(Object.keys(socket.sent[0].payload), ["room", "text", "clientId"]);
  });

  it("paces messages SEND_INTERVAL_MS apart, in the order written", (t) => {
    const { socket, outbox } = makeOutbox();
    for (const text of ["one", "two", "three"]) outbox.add("general", text);
    assert.deepEqual(socket.sent.map((emit) => emit.payload.text), ["one"]);
    t.mock.timers.tick(SEND_INTERVAL_MS - 1);
    assert.equal(socket.sent.length, 1);
    t.mock.timers.tick(1);
    assert.deepEqual(socket.sent.map((emit) => emit.payload.text), ["one", "two"]);
    t.mock.timers.tick(SEND_INTERVAL_MS);
    assert.deepEqual(socket.sent.map((emit) => emit.payload.text), ["one", "two", "three"]);
  });

  it("forgets an acknowledged message and hands over the stored one", () => {
    const { socket, outbox, sent } = makeOutbox();
    const entry = outbox.add("general", "hello");
    const stored = { id: 7, room: "general", text: "hello" };
    socket.sent[0].answer(null, { ok: true, message: stored });
    assert.deepEqual(sent, [[entry, stored]]);
    assert.equal(outbox.entries.size, 0);
    assert.equal(sessionStorage.getItem("chat.outbox"), null);
  });

  it("marks a refused message failed with the server's reason, and sends it again on retry", (t) => {
    const { socket, outbox, failed } = makeOutbox();
    const entry = outbox.add("general", "hello");
    socket.sent[0].answer(null, { ok: false, error: "rate_limited" });
    assert.equal(entry.state, "failed");
    assert.equal(entry.error, "rate_limited");
    assert.deepEqual(failed, [entry]);
    t.mock.timers.tick(SEND_INTERVAL_MS);
    outbox.retry(entry);
    assert.equal(entry.state, "pending");
    assert.equal(entry.error, undefined);
    assert.equal(socket.sent.length, 2);
    assert.equal(socket.sent[1].payload.clientId, entry.clientId);
  });

  it("asks again after a timeout while connected, keeping the clientId", (t) => {
    const { socket, outbox } = makeOutbox();
    const entry = outbox.add("general", "hello");
    t.mock.timers.tick(SEND_INTERVAL_MS);
    socket.sent[0].answer(new Error("operation has timed out"));
    assert.equal(socket.sent.length, 2);
    assert.equal(socket.sent[1].payload.clientId, entry.clientId);
    assert.equal(entry.state, "pending");
  });

  it("hands nothing to a disconnected socket, and sends what is pending on resend", (t) => {
    const { socket, outbox } = makeOutbox();
    socket.connected = false;
    const first = outbox.add("general", "one");
    outbox.add("general", "two");
    assert.equal(socket.sent.length, 0);
    socket.connected = true;
    outbox.resend();
    t.mock.timers.tick(SEND_INTERVAL_MS);
    assert.deepEqual(socket.sent.map((emit) => emit.payload.text), ["one", "two"]);
    assert.equal(outbox.settle(first.clientId), first);
    assert.equal(outbox.settle(first.clientId), null);
  });

  it("ignores a late answer for a message settled meanwhile", () => {
    const { socket, outbox, sent, failed } = makeOutbox();
    const entry = outbox.add("general", "hello");
    outbox.settle(entry.clientId);
    socket.sent[0].answer(null, { ok: false, error: "internal" });
    assert.deepEqual([sent, failed], [[], []]);
    assert.equal(entry.state, "pending");
  });

  it("keeps unsent messages across a reload of the tab, failed ones with their reason", () => {
    const { socket, outbox } = makeOutbox();
    const pending = outbox.add("general", "one");
    socket.connected = false;
    const refused = outbox.add("music", "two");
    refused.state = "failed";
    refused.error = "too_long";
    outbox.save();
    sessionStorage.setItem("chat.outbox", JSON.stringify([
      ...JSON.parse(sessionStorage.getItem("chat.outbox")), { clientId: 5, room: "x", text: "bad" }, null]));
    const restored = makeOutbox().outbox.restore();
    assert.deepEqual(restored.map(({ clientId, room, text, state, error }) => [clientId, room, text, state, error]), [
      [pending.clientId, "general", "one", "pending", undefined],
      [refused.clientId, "music", "two", "failed", "too_long"],
    ]);
  });

  it("restores nothing from unusable storage", () => {
    sessionStorage.setItem("chat.outbox", "{not json");
    assert.deepEqual(makeOutbox().outbox.restore(), []);
  });
});
