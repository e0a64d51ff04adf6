// The demo page, speaking the full protocol (protocol 2 in docs/protocol.md): names, rooms,
// presence, typing, history, delivery status, and no loss across reconnects. User text only
// ever reaches the page through textContent, never as HTML.
import { Logs, el, messageLine, showDelivery, stamp } from "./log.js";
import { Outbox } from "./outbox.js";

const $ = (id) => document.getElementById(id);
const status = $("status");
const error = $("error");
const log = $("messages");
const composer = $("composer");
const input = $("text");
const nameForm = $("name-form");
const nameInput = $("name");
const nameNote = $("name-note");
const roomList = $("rooms");
const roomForm = $("room-form");
const roomInput = $("new-room");
const roomTitle = $("room-title");
const roomsSummary = $("rooms-summary");
const peopleList = $("people");
const peopleCount = $("people-count");
const typingLine = $("typing");
const loadOlder = $("load-older");
const panels = [$("rooms-panel"), $("people-panel")];
const wide = window.matchMedia("(min-width: 48rem)"); // as in chat.css

const STATES = {
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};
const REFUSED_RETRY_MS = 10000;
const TYPING_RENEW_MS = 2000; // the server forgets a typing state not renewed within TYPING_TIMEOUT (5 s)
const GAP_NOTICE = "Some older messages are no longer available";
// With signed identities on, the server takes names from tokens; in demo mode the page asks
// POST /token for one with the name the person picks.
const TOKENS = document.body.dataset.tokens === "true";
const DEMO_TOKENS = TOKENS && document.body.dataset.demoTokens === "true";
const TOKEN_URL = document.body.dataset.tokenUrl;

// Each tab is a person of its own (a guest, unless signed in). What the tab remembers, across
// reloads, is in sessionStorage: its guest credential, its name, its rooms and the current
// one (a duplicated tab copies them; the server makes the copy a new guest). What the browser
// remembers, in localStorage, is only the name last chosen, offered to a new tab.
function store(area) {
  return {
    get(key) {
      try {
        return JSON.parse(area().getItem(`chat.${key}`));
      } catch {
        return null;
      }
    },
    set(key, value) {
      try {
        area().setItem(`chat.${key}`, JSON.stringify(value));
      } catch {
        // Storage is off (private mode): the page still works, it just forgets on reload.
      }
    },
  };
}
const tabSaved = store(() => sessionStorage);
const browserSaved = store(() => localStorage);
const [tabName, savedRooms, savedRoom, savedGuest] = ["name", "rooms", "room", "guest"].map(tabSaved.get);
const savedName = typeof tabName === "string" ? tabName : browserSaved.get("name");

function saveName(value) {
  tabSaved.set("name", value);
  browserSaved.set("name", value);
}

let name = typeof savedName === "string" ? savedName : ""; // asked for at each handshake
let guest = typeof savedGuest === "string" ? savedGuest : null; // this tab's guest credential, from welcome
let joined = Array.isArray(savedRooms) ? savedRooms.filter((room) => typeof room === "string") : [];
let current = typeof savedRoom === "string" ? savedRoom : null;
let askedRooms = null; // the rooms the latest handshake asked for
let me = null; // {id, name, guest}, from welcome
let defaultRoom = "general";
let rooms = []; // every room on the server
let nameRefused = false;
const logs = new Logs(log); // room -> its lines, shown while it is current
const people = new Map(); // room -> Map(person id -> user)
const typists = new Map(); // room -> Map(person id -> name)
const unread = new Map(); // room -> messages that arrived while it was not current
const counts = new Map(); // room -> people, from list-rooms
let typingIn = null; // the room the server was last told this user types in
let typingSentAt = 0;
let token = null; // the signed identity, with TOKENS on
let guestName = null; // in demo token mode, the name of someone who picked none
let tokenRenewed = false; // asked for a new token after the server refused one

// auth is a function so every (re)connection sends the name, rooms and last messages of now,
// not of page load. The page connects once it has what it needs (a token, with TOKENS on).
const socket = io({ autoConnect: false, auth: (send) => send(handshake()) });
const outbox = new Outbox(socket, { onSent: delivered, onFailed: showFailed });

function handshake() {
  const auth = { protocol: 2 };
  if (name) auth.name = name;
  if (token) auth.token = token;
  else if (guest) auth.guest = guest; // the same guest again, if no other tab has it open
  askedRooms = joined.length ? joined.slice() : null;
  if (askedRooms) auth.rooms = askedRooms;
  // The last message of each room this page has: the server sends everything after it.
  const lastSeen = {};
  for (const room of askedRooms || []) {
    if (logs.has(room) && logs.of(room).lastSeen !== null) lastSeen[room] = logs.of(room).lastSeen;
  }
  if (Object.keys(lastSeen).length) auth.lastSeen = lastSeen;
  return auth;
}

// Connect (again), first getting a token for the chosen name when the demo issues them.
async function connect() {
  if (DEMO_TOKENS) {
    const wanted = name || (guestName ||= `Guest ${1000 + Math.floor(Math.random() * 9000)}`);
    let answer;
    try {
      const response = await fetch(TOKEN_URL, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: wanted }),
      });
      answer = await response.json();
    } catch {
      setState("offline", "could not get a sign-in token");
      setTimeout(connect, REFUSED_RETRY_MS);
      return;
    }
    if (!answer.ok) {
      if (socket.connected) return refuseRename(answer.error); // keep the name and the connection
      return refuseName(answer.error);
    }
    token = answer.token;
    // The server takes the name from the token at connecting only: connect again with this one.
    if (socket.active) socket.disconnect();
  }
  socket.connect();
}

// --- Small helpers ----------------------------------------------------------------------

function setState(state, detail) {
  status.dataset.state = state;
  status.textContent = detail ? `${STATES[state]} (${detail})` : STATES[state];
}

function currentState() {
  if (socket.connected) return "connected";
  return socket.active ? "reconnecting" : "offline";
}

function showError(text) {
  error.textContent = text;
  error.hidden = !text;
}

function remember() {
  tabSaved.set("rooms", joined);
  if (current) tabSaved.set("room", current);
}

// --- The log ----------------------------------------------------------------------------

function addNotice(room, text) {
  logs.of(room).addNotice(el("li", "notice", text));
}

// Show a message from the server (live, from history or catching up), once. One this tab
// sent and still shows as unsent becomes that line, now sent.
function receive(message, { fresh }) {
  const own = message.clientId !== undefined && outbox.settle(message.clientId);
  if (own) return delivered(own, message);
  const item = messageLine(message.user.name, message.text);
  stamp(item, message);
  if (me && message.user.id === me.id) item.classList.add("own");
  if (!logs.of(message.room).addMessage(item, message.id)) return;
  if (fresh && message.room !== current && !item.classList.contains("own")) { // one's own, from another tab, is read
    unread.set(message.room, (unread.get(message.room) || 0) + 1);
    renderRooms();
  }
}

// --- Delivery: this tab's own messages, pending until the server has them ------------------

function send(room, text) {
  const entry = outbox.add(room, text);
  showUnsent(entry);
}

function showUnsent(entry) {
  entry.item = messageLine(me ? me.name : name || "You", entry.text);
  entry.item.classList.add("own");
  if (entry.state === "failed") showFailed(entry);
  else showDelivery(entry.item, "pending");
  logs.of(entry.room).addUnsent(entry.item);
}

function delivered(entry, message) {
  if (!logs.has(entry.room)) return; // left meanwhile
  logs.of(entry.room).settle(entry.item, message.id); // before it is stamped with that id
  stamp(entry.item, message);
  showDelivery(entry.item, "sent");
}

function showFailed(entry) {
  showDelivery(entry.item, "failed", entry.error, [
    ["Retry", () => {
      showDelivery(entry.item, "pending");
      outbox.retry(entry);
    }],
    ["Edit", () => { // take the text back to the composer, to change or send later
      outbox.drop(entry);
      logs.of(entry.room).remove(entry.item);
      input.value = entry.text;
      input.focus();
    }],
  ]);
}

function showOlder() {
  const room = current;
  const roomLog = logs.of(room);
  loadOlder.disabled = true;
  socket.emit("history", { room, before: roomLog.oldest() ?? undefined }, (ack) => {
    loadOlder.disabled = false;
    if (!(ack && ack.ok)) return showError(ack ? ack.error : "no answer");
    if (!logs.has(room) || logs.of(room) !== roomLog) return; // left meanwhile
    for (const message of ack.messages) receive(message, { fresh: false });
    roomLog.more = ack.more;
    renderOlder();
  });
}

// --- Rooms, people, typing --------------------------------------------------------------

function switchTo(room) {
  if (room !== current) stopTyping();
  current = room;
  unread.delete(room);
  remember();
  logs.show(room);
  if (!wide.matches) panels[0].open = false;
  render();
}

function render() {
  roomTitle.textContent = current || "";
  renderRooms();
  renderPeople();
  renderTyping();
  renderOlder();
}

function renderOlder() {
  loadOlder.hidden = !(current && logs.has(current) && logs.of(current).more);
}

function renderRooms() {
  // Redrawing would drop the keyboard focus: find the control again afterwards.
  const focused = roomList.contains(document.activeElement) ? document.activeElement : null;
  const focusKey = focused && [focused.closest("li").dataset.room, focused.classList.contains("leave")];
  const single = joined.length <= 1;
  roomList.replaceChildren(...rooms.map((room) => {
    const item = el("li");
    item.dataset.room = room;
    const button = el("button", "room", room);
    button.type = "button";
    if (joined.includes(room)) {
      button.setAttribute("aria-current", String(room === current));
      const missed = unread.get(room);
      if (missed) {
        const badge = el("span", "unread", String(missed));
        badge.append(el("span", "visually-hidden", " unread"));
        button.append(" ", badge);
      }
      const leave = el("button", "leave", "×");
      leave.type = "button";
      leave.title = single ? "You are in no other room" : `Leave ${room}`;
      leave.setAttribute("aria-label", `Leave ${room}`);
      leave.disabled = single;
      leave.addEventListener("click", () => leaveRoom(room));
      button.addEventListener("click", () => switchTo(room));
      item.append(button, leave);
    } else {
      button.classList.add("not-joined");
      button.append(" ", el("span", "join", "join"));
      button.addEventListener("click", () => joinRoom(room));
      item.append(button);
    }
    const count = joined.includes(room) ? (people.get(room) || new Map()).size : counts.get(room);
    if (count !== undefined) button.title = `${count} ${count === 1 ? "person" : "people"}`;
    return item;
  }));
  if (focusKey) {
    const item = roomList.querySelector(`li[data-room="${CSS.escape(focusKey[0])}"]`);
    const again = item && ((focusKey[1] && item.querySelector(".leave:enabled")) || item.querySelector(".room"));
    (again || roomList.querySelector(".room") || roomInput).focus();
  }
  const elsewhere = [...unread.values()].reduce((sum, n) => sum + n, 0);
  roomsSummary.textContent = [current, elsewhere && `${elsewhere} unread`].filter(Boolean).join(" · ");
}

function renderPeople() {
  const here = [...(people.get(current) || new Map()).values()];
  here.sort((a, b) => a.name.localeCompare(b.name));
  peopleList.replaceChildren(...here.map((user) => {
    const item = el("li", user.guest ? "guest" : "", user.name);
    if (me && user.id === me.id) item.append(el("span", "you", " (you)"));
    return item;
  }));
  peopleCount.textContent = current ? `(${here.length})` : "";
}

function renderTyping() {
  const names = [...(typists.get(current) || new Map()).values()];
  let text = "";
  if (names.length === 1) text = `${names[0]} is typing…`;
  else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
  else if (names.length > 2) text = `${names[0]}, ${names[1]} and ${names.length - 2} more are typing…`;
  typingLine.textContent = text;
}

function forget(room) {
  joined = joined.filter((r) => r !== room);
  for (const map of [logs, people, typists, unread]) map.delete(room);
  // What was not sent there cannot be any more.
  for (const entry of [...outbox.entries.values()]) if (entry.room === room) outbox.drop(entry);
  if (current === room || !current) current = joined[0] || null;
}

function joinRoom(room) {
  showError("");
  socket.emit("join-room", { room }, (ack) => {
    if (ack && ack.ok) switchTo(ack.room); // the presence snapshot came first and added it to joined
    else showError(ack ? ack.error : "not joined");
  });
}

function leaveRoom(room) {
  showError("");
  if (typingIn === room) stopTyping();
  socket.emit("leave-room", { room }, (ack) => {
    if (!(ack && ack.ok)) return showError(ack ? ack.error : "not left");
    const wasCurrent = room === current;
    forget(room);
    remember();
    if (wasCurrent && current) switchTo(current);
    else render();
  });
}

function setPerson(user) {
  for (const [room, members] of people) {
    if (!members.has(user.id)) continue;
    members.set(user.id, user);
    const typing = typists.get(room);
    if (typing && typing.has(user.id)) typing.set(user.id, user.name);
  }
}

// --- Typing -----------------------------------------------------------------------------

function emitTyping(room, typing) {
  // Not buffered while offline: a stale "typing" sent on reconnecting would only mislead.
  if (socket.connected) socket.emit("typing", { room, typing });
}

function startTyping() {
  if (!current) return;
  const now = Date.now();
  if (typingIn === current && now - typingSentAt < TYPING_RENEW_MS) return;
  typingIn = current;
  typingSentAt = now;
  emitTyping(current, true);
}

function stopTyping() {
  if (typingIn) emitTyping(typingIn, false);
  typingIn = null;
}

// --- Connection -------------------------------------------------------------------------

// The server sends welcome and presence before the socket's own "connect" event fires.
socket.on("welcome", (welcome) => {
  me = welcome.user;
  if (typeof welcome.guest === "string") {
    guest = welcome.guest; // a new one, when the server made this tab a new guest
    tabSaved.set("guest", guest);
  }
  defaultRoom = welcome.defaultRoom;
  rooms = welcome.rooms.slice();
  if (name) saveName(name); // accepted (a number may have been added: that is not saved)
  nameInput.value = me.name;
  nameInput.removeAttribute("aria-invalid");
  // The server entered the asked rooms that still exist (all lost if it restarted).
  joined = (askedRooms || [defaultRoom]).filter((room) => rooms.includes(room));
  for (const room of logs.keys()) if (!joined.includes(room)) forget(room);
  people.clear();
  typists.clear();
  typingIn = null;
  if (!joined.length) joinRoom(defaultRoom);
  if (!joined.includes(current)) current = joined[0] || defaultRoom;
  remember();
  switchTo(current);
});

socket.on("connect", () => {
  setState("connected");
  nameRefused = false;
  tokenRenewed = false;
  outbox.resend(); // what the server may not have: it answers a resend of what it has with the original
});
socket.on("disconnect", () => {
  setState(currentState());
  typists.clear();
  renderTyping();
});
socket.on("connect_error", (err) => {
  const code = err.data && err.data.code;
  if (code === "bad_name") return refuseName(err.message);
  if ((code === "bad_room" || code === "bad_handshake") && joined.length) {
    // A remembered room list the server refuses: start again in the default room.
    joined = [];
    remember();
    return socket.connect();
  }
  if (["token_required", "bad_token", "token_expired"].includes(code)) {
    // An expired token (or one from before the server's key changed): the demo issues another.
    if (DEMO_TOKENS && !tokenRenewed) {
      tokenRenewed = true;
      return connect();
    }
    setState("offline", "not signed in");
    return showError(`The server refused the connection: ${err.message}`);
  }
  setState(currentState(), err.message);
  // Refused for too many connections from this address: the client does not retry by
  // itself, so try again later.
  if (!socket.active && !code) setTimeout(connect, REFUSED_RETRY_MS);
});
socket.io.on("reconnect_attempt", () => setState("reconnecting"));
window.addEventListener("offline", () => setState("offline"));
window.addEventListener("online", () => setState(currentState()));
// Say goodbye when the page goes (a reload, a closed tab): a long-polling connection left
// open until its heartbeat times out would still hold this tab's guest, and the reloaded
// page would be made a new guest.
window.addEventListener("pagehide", () => socket.disconnect());
window.addEventListener("pageshow", (event) => {
  if (event.persisted) connect(); // back from the browser's page cache, disconnected
});

function refuseName(reason) {
  nameRefused = true;
  saveName(null);
  setState("offline", "pick another name");
  showError(`Your name was refused: ${reason}. Pick another one.`);
  nameInput.value = name;
  nameInput.setAttribute("aria-invalid", "true");
  nameInput.focus();
}

function refuseRename(reason) {
  nameInput.setAttribute("aria-invalid", "true");
  showError(reason);
}

// --- Events from the server -------------------------------------------------------------

socket.on("presence", ({ room, members }) => {
  people.set(room, new Map(members.map((user) => [user.id, user])));
  if (!joined.includes(room)) joined.push(room);
  remember();
  render();
});

socket.on("member-joined", ({ room, user }) => {
  if (!people.has(room)) return;
  people.get(room).set(user.id, user);
  addNotice(room, `${user.name} joined`);
  render();
});

socket.on("member-left", ({ room, user }) => {
  if (!people.has(room)) return;
  people.get(room).delete(user.id);
  if (typists.has(room)) typists.get(room).delete(user.id);
  addNotice(room, `${user.name} left`);
  render();
});

socket.on("member-renamed", ({ user, previous }) => {
  const mine = me && user.id === me.id;
  if (mine) {
    me = user;
    if (document.activeElement !== nameInput) nameInput.value = user.name;
  }
  for (const [room, members] of people) {
    if (members.has(user.id)) addNotice(room, mine ? `You are now ${user.name}` : `${previous} is now ${user.name}`);
  }
  setPerson(user);
  render();
});

socket.on("room-message", (message) => {
  if (!joined.includes(message.room)) return;
  const roomLog = logs.of(message.room);
  // Live messages come after everything this page has: a lower id means the server lost
  // its history and counts from 1 again.
  if (roomLog.lastSeen !== null && message.id <= roomLog.lastSeen) roomLog.renumbered();
  roomLog.seen(message.id);
  receive(message, { fresh: true });
});

// The latest messages on entering a room, or, when reconnecting, every one after lastSeen
// (in chunks: `after` says which id a chunk follows).
socket.on("history", ({ room, messages, more, after, gap }) => {
  if (!joined.includes(room)) return;
  const roomLog = logs.of(room);
  const catchingUp = after !== undefined;
  if (catchingUp && gap) addNotice(room, GAP_NOTICE);
  if (!catchingUp) roomLog.more = more;
  roomLog.seen(0); // the room's messages up to now are all here or older: an empty one has none
  for (const message of messages) {
    roomLog.seen(message.id);
    receive(message, { fresh: catchingUp });
  }
  renderOlder();
});

socket.on("typing", ({ room, user, typing }) => {
  if (!typists.has(room)) typists.set(room, new Map());
  if (typing) typists.get(room).set(user.id, user.name);
  else typists.get(room).delete(user.id);
  if (room === current) renderTyping();
});

socket.on("room-created", ({ room }) => {
  if (!rooms.includes(room)) rooms = [...rooms, room].sort();
  renderRooms();
});

socket.on("room-removed", ({ room }) => {
  rooms = rooms.filter((r) => r !== room);
  if (joined.includes(room)) forget(room);
  render();
});

socket.on("chat-error", (refusal) => {
  if (refusal.code === "token_expired") {
    // The server ends a connection whose token expires, and a client it disconnects does
    // not reconnect by itself: the demo issues a new token and connects with it.
    if (DEMO_TOKENS) return connect();
    setState("offline", "not signed in");
    return showError(`The server ended the connection: ${refusal.error}`);
  }
  showError(refusal.event === "connect" ? `Could not enter a remembered room: ${refusal.error}` : refusal.error);
});

// --- What the user does -----------------------------------------------------------------

composer.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value;
  if (!text.trim() || !current) return; // no room yet (connecting for the first time): keep the text
  showError("");
  input.value = "";
  input.focus();
  typingIn = null; // sending ends the typing state on the server
  send(current, text);
});

input.addEventListener("input", () => {
  if (input.value.trim()) startTyping();
  else stopTyping();
});

nameForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const wanted = nameInput.value.trim();
  showError("");
  nameNote.textContent = "";
  if (nameRefused || !socket.active || DEMO_TOKENS) {
    // Not connected because of the name (or at all), or names come from tokens: connect
    // (again) with this one; empty is a guest.
    if (DEMO_TOKENS && socket.connected && me && wanted === me.name) return;
    name = wanted;
    nameRefused = false;
    nameInput.removeAttribute("aria-invalid");
    if (!socket.connected) setState("connecting");
    return connect();
  }
  if (me && wanted === me.name) return;
  socket.emit("rename", { name: wanted }, (ack) => {
    if (!(ack && ack.ok)) {
      nameInput.setAttribute("aria-invalid", "true");
      return showError(ack ? ack.error : "not renamed");
    }
    name = wanted;
    saveName(name);
    me = ack.user;
    nameInput.value = me.name;
    nameInput.removeAttribute("aria-invalid");
    if (me.name !== wanted) nameNote.textContent = `“${wanted}” is taken: you are “${me.name}”.`;
  });
});
nameInput.addEventListener("focus", () => nameInput.select());

roomForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const room = roomInput.value.trim();
  if (!room) return;
  showError("");
  socket.emit("create-room", { room }, (ack) => {
    if (!(ack && ack.ok)) return showError(ack ? ack.error : "not created");
    roomInput.value = "";
    joinRoom(ack.room);
  });
});

loadOlder.addEventListener("click", showOlder);

$("refresh-rooms").addEventListener("click", () => {
  socket.emit("list-rooms", {}, (ack) => {
    if (!(ack && ack.ok)) return showError(ack ? ack.error : "no answer");
    rooms = ack.rooms.map((room) => room.name);
    counts.clear();
    for (const room of ack.rooms) counts.set(room.name, room.people);
    renderRooms();
  });
});

// Wide screens show the room and people lists beside the log; narrow ones fold them away,
// one open at a time (details elements sharing a name), so the log keeps some room.
const layout = () => panels.forEach((panel) => {
  panel.name = wide.matches ? "" : "lists";
  panel.open = wide.matches;
});
wide.addEventListener("change", layout);
layout();
for (const panel of panels) {
  panel.querySelector("summary").addEventListener("click", (event) => {
    if (wide.matches) event.preventDefault(); // nothing to unfold: the lists have the room
  });
}

// Messages an earlier load of this tab had not sent: shown as they were, sent once connected.
for (const entry of outbox.restore()) showUnsent(entry);
if (current) logs.show(current); // before connecting, so they show while it connects
connect();
