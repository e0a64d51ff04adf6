// This tab's messages that the server has not stored yet, in the order they were written.
// Each has its own clientId, so sending one again is safe: the server answers a resend of a
// message it has stored with the original, and stores and delivers nothing new.

export const SEND_INTERVAL_MS = 200; // at most 5 a second: the server's default flood refill rate
export const ACK_TIMEOUT_MS = 10000;
const STORE_KEY = "chat.outbox"; // per tab (sessionStorage): survives a reload, not another tab

function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // randomUUID needs a secure context (https or localhost); getRandomValues does not.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export class Outbox {
  // onSent(entry, message) when the acknowledgement brings the stored message;
  // onFailed(entry) when the server refuses it (entry.error says why).
  constructor(socket, { onSent, onFailed }) {
    this.socket = socket;
    this.onSent = onSent;
    this.onFailed = onFailed;
    this.entries = new Map(); // clientId -> {clientId, room, text, state: "pending" | "failed", error}
    this.queue = []; // entries to transmit, in order
    this.pacing = false;
  }

  // mentions: the ids of the people the text names (none: an empty list).
  add(room, text, mentions = []) {
    const entry = { clientId: newClientId(), room, text, state: "pending" };
    if (mentions.length) entry.mentions = mentions;
    this.entries.set(entry.clientId, entry);
    this.save();
    this.enqueue(entry);
    return entry;
  }

  retry(entry) {
    entry.state = "pending";
    delete entry.error;
    this.save();
    this.enqueue(entry);
  }

  drop(entry) {
    this.entries.delete(entry.clientId);
    this.queue = this.queue.filter((queued) => queued !== entry);
    this.save();
  }

  // The server has the message with this clientId: return its entry, and forget it (null if unknown).
  settle(clientId) {
    const entry = this.entries.get(clientId);
    if (entry) this.drop(entry);
    return entry || null;
  }

  // After (re)connecting: send every pending message again, in the order written.
  resend() {
    this.queue = [...this.entries.values()].filter((entry) => entry.state === "pending");
    this.pump();
  }

  enqueue(entry) {
    if (!this.queue.includes(entry)) this.queue.push(entry);
    this.pump();
  }

  // Transmit one entry at a time, paced within the server's flood allowance. Offline, nothing
  // is handed to the socket (it would buffer it): resend() sends what is pending on reconnecting.
  pump() {
    if (this.pacing || !this.socket.connected) return;
    const entry = this.queue.shift();
    if (!entry) return;
    this.transmit(entry);
    this.pacing = true;
    setTimeout(() => {
      this.pacing = false;
      this.pump();
    }, SEND_INTERVAL_MS);
  }

  transmit(entry) {
    const { room, text, clientId, mentions } = entry;
    const payload = mentions ? { room, text, clientId, mentions } : { room, text, clientId };
    this.socket.timeout(ACK_TIMEOUT_MS).emit("send-message", payload, (error, ack) => {
      if (this.entries.get(clientId) !== entry || entry.state !== "pending") return; // settled meanwhile
      if (error) {
        // No answer in time, or the connection went: still pending. Still connected, ask
        // again; otherwise reconnecting sends it again.
        if (this.socket.connected) this.enqueue(entry);
        return;
      }
      if (ack && ack.ok) {
        this.drop(entry);
        this.onSent(entry, ack.message);
        return;
      }
      entry.state = "failed";
      entry.error = (ack && ack.error) || "no answer from the server";
      this.save();
      this.onFailed(entry);
    });
  }

  save() {
    const entries = [...this.entries.values()].map(({ clientId, room, text, state, error }) =>
      ({ clientId, room, text, state, error }));
    try {
      if (entries.length) sessionStorage.setItem(STORE_KEY, JSON.stringify(entries));
      else sessionStorage.removeItem(STORE_KEY);
    } catch {
      // Storage is off: unsent messages are lost on reload, nothing else changes.
    }
  }

  // Take back what an earlier load of this tab had not sent; return those entries.
  restore() {
    let saved = null;
    try {
      saved = JSON.parse(sessionStorage.getItem(STORE_KEY));
    } catch {
      // nothing usable saved
    }
    for (const entry of Array.isArray(saved) ? saved : []) {
      if (!entry || typeof entry.clientId !== "string" || typeof entry.room !== "string"
          || typeof entry.text !== "string") continue;
      const state = entry.state === "failed" ? "failed" : "pending";
      this.entries.set(entry.clientId, { clientId: entry.clientId, room: entry.room, text: entry.text, state,
                                         error: state === "failed" ? String(entry.error) : undefined });
    }
    return [...this.entries.values()];
  }
}
