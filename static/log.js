// The message log of each room: its lines in the order shown, with messages placed by their
// id, so that history, live messages and the catch-up after a reconnect fit together and
// each message is shown once. This tab's own unsent messages stay at the bottom until the
// server has them. User text only ever reaches the page through textContent.

export const LOG_LIMIT = 500; // lines kept per room as live ones arrive; older ones can be loaded again

const TIME = { hour: "2-digit", minute: "2-digit" };

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// A message line: author, time, the text and (for this tab's own) its delivery status, in the
// order a screen reader reads it; chat.css shows the status beside the time.
export function messageLine(author, text) {
  const item = el("li", "message");
  const time = el("time", "time");
  item.append(el("span", "author", author), " ", time, " ", el("span", "text", text));
  return item;
}

// Fill a line with what the server stored: its id, its author as the server knows them, its time.
export function stamp(item, message) {
  item.dataset.id = String(message.id);
  item.querySelector(".author").textContent = message.user.name;
  const time = item.querySelector(".time");
  time.textContent = new Date(message.ts).toLocaleTimeString([], TIME);
  time.dateTime = new Date(message.ts).toISOString();
}

// Show a line's delivery state: "pending", "sent" or "failed" (with the reason and what to do).
// The label is text, so a screen reader reads the state, not a colour or an icon.
export function showDelivery(item, state, reason, actions = []) {
  item.dataset.delivery = state;
  item.classList.toggle("unsent", state !== "sent");
  let label = item.querySelector(".delivery");
  if (!label) {
    label = el("span", "delivery");
    item.querySelector(".text").after(" ", label);
  }
  label.textContent = state === "failed" ? `failed: ${reason}` : state;
  item.querySelector(".actions")?.remove();
  if (actions.length) {
    const bar = el("span", "actions");
    for (const [text, act] of actions) {
      const button = el("button", "link-button", text);
      button.type = "button";
      button.addEventListener("click", act);
      bar.append(button);
    }
    item.append(bar);
  }
}

const idOf = (line) => (line.dataset.id === undefined ? null : Number(line.dataset.id));

class RoomLog {
  constructor() {
    this.lines = []; // li elements, in the order shown
    this.ids = new Set(); // ids of the messages among them
    this.newest = 0; // the highest of those ids
    this.lastSeen = null; // the highest id received from the server: what to ask after on reconnecting
    this.more = false; // the server has older messages than the oldest shown
    this.view = null; // the log element while this room is shown
  }

  seen(id) {
    this.lastSeen = Math.max(this.lastSeen ?? 0, id);
  }

  oldest() {
    const first = this.lines.find((line) => idOf(line) !== null);
    return first ? idOf(first) : null;
  }

  // Where unsent lines begin: they stay below everything the server has.
  unsentStart() {
    let index = this.lines.length;
    while (index > 0 && this.lines[index - 1].classList.contains("unsent")) index--;
    return index;
  }

  // Add a message line in id order; return false (adding nothing) if that id is shown already.
  addMessage(item, id) {
    if (this.ids.has(id)) return false;
    const newest = id > this.newest;
    let index = newest ? -1 : this.lines.findIndex((line) => idOf(line) !== null && idOf(line) > id);
    if (index < 0) index = this.unsentStart();
    this.ids.add(id);
    this.newest = Math.max(this.newest, id);
    this.insert(item, index);
    if (newest) this.trim(); // only a new message pushes old ones out, not loading older ones
    return true;
  }

  // An unsent line of this tab's is message `id` now: keep it where it is if that is its place
  // (moving it would have a screen reader read it out again); return false if `id` is shown already.
  settle(item, id) {
    if (!this.ids.has(id) && id > this.newest && this.lines.indexOf(item) === this.unsentStart()) {
      this.ids.add(id);
      this.newest = id;
      return true;
    }
    this.remove(item);
    return this.addMessage(item, id);
  }

  // A notice (joined, left, renamed) happens now: after every message, above unsent ones.
  addNotice(item) {
    this.insert(item, this.unsentStart());
    this.trim();
  }

  addUnsent(item) {
    this.insert(item, this.lines.length);
    if (this.view) this.view.scrollTop = this.view.scrollHeight; // one's own message: show it
  }

  remove(item) {
    const index = this.lines.indexOf(item);
    if (index < 0) return;
    this.lines.splice(index, 1);
    item.remove();
    const id = idOf(item);
    if (id !== null) this.ids.delete(id);
  }

  // The server numbered this room afresh (its history was lost): what is shown no longer
  // matches its ids, so keep the lines but forget their ids.
  renumbered() {
    for (const line of this.lines) delete line.dataset.id;
    this.ids.clear();
    this.newest = 0;
    this.lastSeen = null;
  }

  insert(item, index) {
    const next = this.lines[index] || null;
    const newest = index >= this.unsentStart(); // not an older message loaded on request
    this.lines.splice(index, 0, item);
    const view = this.view;
    if (!view) return;
    const atBottom = view.scrollHeight - view.scrollTop - view.clientHeight < 40;
    const height = view.scrollHeight;
    view.insertBefore(item, next);
    if (newest && atBottom) view.scrollTop = view.scrollHeight; // follow the conversation
    else if (item.getBoundingClientRect().bottom <= view.getBoundingClientRect().top) {
      view.scrollTop += view.scrollHeight - height; // added above what the reader is looking at: keep it still
    }
  }

  // Drop the oldest lines beyond the limit; the dropped messages can be loaded again.
  trim() {
    while (this.lines.length > LOG_LIMIT && !this.lines[0].classList.contains("unsent")) {
      const line = this.lines.shift();
      line.remove();
      const id = idOf(line);
      if (id !== null) {
        this.ids.delete(id);
        this.more = true;
      }
    }
  }
}

// Every joined room's log; one of them is shown in the page's log element.
export class Logs {
  constructor(view) {
    this.view = view;
    this.rooms = new Map();
    this.shown = null;
  }

  of(room) {
    if (!this.rooms.has(room)) this.rooms.set(room, new RoomLog());
    return this.rooms.get(room);
  }

  has(room) {
    return this.rooms.has(room);
  }

  keys() {
    return [...this.rooms.keys()];
  }

  delete(room) {
    if (this.shown === room) this.shown = null;
    this.rooms.delete(room);
  }

  show(room) {
    if (this.shown !== null && this.rooms.has(this.shown)) this.rooms.get(this.shown).view = null;
    this.shown = room;
    const log = this.of(room);
    log.view = this.view;
    this.view.replaceChildren(...log.lines);
    this.view.scrollTop = this.view.scrollHeight;
  }
}
