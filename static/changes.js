// Edits, deletions and reactions on the page: each message line's current state (its text,
// "(edited)", a tombstone, its reactions), the Edit and Delete buttons on this person's own
// messages, the reaction buttons, and the change numbers to catch up from after a reconnect.
// Takes what it needs as arguments: the socket, who this person is, how to find a line and
// how to report a refusal. User text only ever reaches the page through textContent.
import { el } from "./log.js";

export const PALETTE = ["👍", "❤️", "😂"]; // offered on every message; others' emoji show as they come

export class MessageChanges {
  // lineOf(room, id): the message line shown for that id, or null. me(): this person, {id, name}.
  // ask(text): the new text for an edit, or null (a prompt). onError(text): a refusal to show.
  constructor(socket, { lineOf, me, ask, onError }) {
    this.socket = socket;
    this.lineOf = lineOf;
    this.me = me;
    this.ask = ask;
    this.onError = onError;
    this.lastChange = new Map(); // room -> the highest change number this page knows of
    this.states = new WeakMap(); // line -> {room, id, text, edited, deleted, reactions, applied}
  }

  // Add lastChange to a handshake's auth, for the rooms it catches up in (those with lastSeen).
  handshake(auth) {
    const lastChange = {};
    for (const room of Object.keys(auth.lastSeen || {})) {
      if (this.lastChange.has(room)) lastChange[room] = this.lastChange.get(room);
    }
    if (Object.keys(lastChange).length) auth.lastChange = lastChange;
    return auth;
  }

  known(room, change) {
    if (change !== undefined) this.lastChange.set(room, Math.max(this.lastChange.get(room) ?? 0, change));
  }

  forget(room) {
    this.lastChange.delete(room);
  }

  // Draw a line from a message the server sent (live, from history, or this tab's, now sent).
  show(item, message) {
    const state = {
      room: message.room, id: message.id, text: message.text, edited: !!message.edited,
      deleted: !!message.deleted, reactions: new Map(Object.entries(message.reactions || {})),
      own: message.user.id === this.me()?.id, applied: new Map(),
    };
    this.states.set(item, state);
    this.draw(item, state);
  }

  // A live change, or one from a catch-up: message-edited, message-deleted or reaction.
  // Each sets a whole state (the text, the tombstone, one emoji's users), so one applied
  // already, or older than what the line shows of that part, is skipped.
  apply(event, change) {
    this.known(change.room, change.change);
    const item = this.lineOf(change.room, change.id);
    const state = item && this.states.get(item);
    if (!state || state.deleted) return;
    const part = event === "reaction" ? `reaction:${change.emoji}` : "text";
    if ((state.applied.get(part) ?? 0) >= change.change) return;
    state.applied.set(part, change.change);
    if (event === "message-edited") {
      state.text = change.text;
      state.edited = true;
    } else if (event === "message-deleted") {
      Object.assign(state, { text: "", edited: false, deleted: true, reactions: new Map() });
    } else if (change.users.length) {
      state.reactions.set(change.emoji, change.users);
    } else {
      state.reactions.delete(change.emoji);
    }
    this.draw(item, state);
  }

  draw(item, state) {
    item.classList.toggle("deleted", state.deleted);
    item.querySelector(".text").textContent = state.deleted ? "message deleted" : state.text;
    for (const part of item.querySelectorAll(".edited, .reactions, .message-actions")) part.remove();
    if (state.deleted) return;
    const after = item.querySelector(".delivery") || item.querySelector(".text");
    const parts = [];
    if (state.edited) parts.push(el("span", "edited", "(edited)"));
    parts.push(this.reactionBar(state));
    if (state.own) {
      const actions = el("span", "message-actions");
      actions.append(this.button("Edit", "edit", () => this.edit(state), { quiet: true }),
        this.button("Delete", "delete", () => this.request("delete-message", { room: state.room, id: state.id }),
          { quiet: true }));
      parts.push(actions);
    }
    after.after(...parts); // spaced by chat.css: no text of their own beside the message's
  }

  reactionBar(state) {
    const bar = el("span", "reactions");
    const me = this.me()?.id;
    const emoji = [...PALETTE, ...[...state.reactions.keys()].filter((e) => !PALETTE.includes(e))];
    for (const e of emoji) {
      const users = state.reactions.get(e) || [];
      const mine = users.includes(me);
      const button = this.button(users.length ? `${e} ${users.length}` : e, "reaction",
        () => this.request("react", { room: state.room, id: state.id, emoji: e, on: !mine }),
        { quiet: !users.length });
      button.setAttribute("aria-pressed", String(mine));
      button.setAttribute("aria-label", `${e} ${users.length}`);
      button.dataset.emoji = e;
      bar.append(button);
    }
    return bar;
  }

  // A quiet button shows its label from CSS (chat.css: content: attr(data-label)), so a line's
  // text (what a screen reader reads of the log, and copying) stays its message, not the controls.
  button(text, className, act, { quiet = false } = {}) {
    const button = el("button", `link-button ${className}`, quiet ? undefined : text);
    if (quiet) {
      button.dataset.label = text;
      button.setAttribute("aria-label", text);
    }
    button.type = "button";
    button.addEventListener("click", act);
    return button;
  }

  edit(state) {
    const text = this.ask(state.text);
    if (text === null || text === state.text || !text.trim()) return;
    this.request("edit-message", { room: state.room, id: state.id, text });
  }

  // The room is told, this tab included: the live event draws the change, not the acknowledgement.
  request(event, payload) {
    this.socket.emit(event, payload, (ack) => {
      if (!(ack && ack.ok)) this.onError(ack ? ack.error : "no answer");
    });
  }
}
