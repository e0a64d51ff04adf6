// The demo page, speaking the full protocol (protocol 2 in docs/protocol.md): names, rooms,
// presence, typing, history, delivery status, read markers, "seen by" and mentions, and no
// loss across reconnects. This module
// wires the parts together: each event from the server, and each thing the person does,
// becomes a call on the page's state (page_state.js), then the page draws what changed
// (render.js). Each room's lines are kept by log.js, this tab's unsent messages by outbox.js.
import { MessageChanges } from "./changes.js";
import { Logs } from "./log.js";
import { Moderation } from "./moderation.js";
import { Outbox } from "./outbox.js";
import { PageState, store } from "./page_state.js";
import { View, notice, receivedLine, showFailed, showPending, showSeenBy, showSent, unsentLine } from "./render.js";

const $ = (id) => document.getElementById(id);
const composer = $("composer");
const input = $("text");
const nameForm = $("name-form");
const nameInput = $("name");
const roomForm = $("room-form");
const roomInput = $("new-room");
const loadOlder = $("load-older");
const panels = [$("rooms-panel"), $("people-panel")];
const wide = window.matchMedia("(min-width: 48rem)"); // as in chat.css

const REFUSED_RETRY_MS = 10000;
const READ_RETRY_MS = 1000; // the server's read allowance refills at READ_RATE (2) a second
const GAP_NOTICE = "Some older messages are no longer available";
// With signed identities on, the server takes names from tokens; in demo mode the page asks
// POST /token for one with the name the person picks.
const TOKENS = document.body.dataset.tokens === "true";
const DEMO_TOKENS = TOKENS && document.body.dataset.demoTokens === "true";
const TOKEN_URL = document.body.dataset.tokenUrl;

const state = new PageState({ tab: store(() => sessionStorage), browser: store(() => localStorage) });
const logs = new Logs($("messages")); // room -> its lines, shown while it is current
const view = new View({
  status: $("status"), error: $("error"), nameInput, nameNote: $("name-note"),
  roomTitle: $("room-title"), roomList: $("rooms"), roomInput, roomsSummary: $("rooms-summary"),
  peopleList: $("people"), peopleCount: $("people-count"), typingLine: $("typing"), loadOlder, panels,
  dmList: $("dms"),
}, wide, {
  switchTo, join: joinRoom, leave: leaveRoom, openDm,
  personControls: (user, room) => moderation.controls(user, room),
  peopleDrawn: (room) => moderation.drawn(room),
});

// auth is a function so every (re)connection sends the name, rooms and last messages of now,
// not of page load. The page connects once it has what it needs (a token, with TOKENS on).
const socket = io({ autoConnect: false, auth: (send) => send(changes.handshake(state.handshake(lastSeenOf))) });
const outbox = new Outbox(socket, { onSent: delivered, onFailed: failed });
// Edits, deletions and reactions: drawn on the lines, caught up with lastChange.
const changes = new MessageChanges(socket, {
  lineOf: (room, id) => (logs.has(room) ? logs.of(room).lines.find((line) => line.dataset.id === String(id)) : null),
  me: () => state.me,
  ask: (text) => window.prompt("Edit your message", text),
  onError: showError,
});

// Moderation: Remove on others' messages, Mute and Ban beside people, for owners and administrators.
const moderation = new Moderation(socket, {
  me: () => state.me,
  duration: () => Number($("moderation-duration").value),
  tools: $("moderation-tools"),
  onError: showError,
});
// A token pasted into "Sign in with a token" (an administrator's, from flask issue-token):
// used as it is, never replaced by a demo token for a name.
let pastedToken = false;

function lastSeenOf(room) {
  return logs.has(room) ? logs.of(room).lastSeen : null;
}

// Connect (again), first getting a token for the chosen name when the demo issues them.
async function connect() {
  if (DEMO_TOKENS && !pastedToken) {
    let answer;
    try {
      const response = await fetch(TOKEN_URL, {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name: state.tokenName() }),
      });
      answer = await response.json();
    } catch {
      setStatus("offline", "could not get a sign-in token");
      setTimeout(connect, REFUSED_RETRY_MS);
      return;
    }
    if (!answer.ok) {
      if (socket.connected) return refuseRename(answer.error); // keep the name and the connection
      return refuseName(answer.error);
    }
    state.signedIn(answer.token);
    // The server takes the name from the token at connecting only: connect again with this one.
    if (socket.active) socket.disconnect();
  }
  socket.connect();
}

function setStatus(status, detail) {
  state.setStatus(status, detail);
  view.status(state);
}

function currentStatus() {
  if (socket.connected) return "connected";
  return socket.active ? "reconnecting" : "offline";
}

function showError(text) {
  state.setError(text);
  view.error(state);
}

function refuseName(reason) {
  state.nameRefusedFor(reason);
  view.status(state);
  view.error(state);
  view.name(state.name, { focus: true });
  view.nameMarks(state);
}

function refuseRename(reason) {
  state.renameRefused(reason);
  view.nameMarks(state);
  view.error(state);
}

// --- The log ----------------------------------------------------------------------------

function addNotice(room, text) {
  logs.of(room).addNotice(notice(text));
}

// Show a message from the server (live, from history or catching up), once. One this tab
// sent and still shows as unsent becomes that line, now sent.
function receive(message, { fresh }) {
  const own = message.clientId !== undefined && outbox.settle(message.clientId);
  if (own) return delivered(own, message);
  const line = receivedLine(message, state);
  if (!logs.of(message.room).addMessage(line, message.id)) return;
  changes.show(line, message);
  moderation.decorate(line, message);
  if (state.received(message, { fresh })) view.rooms(state);
}

// --- Read markers: the current room is read as it is shown ---------------------------------

let marking = null; // the room a mark-read is on its way for: one at a time, then the newest again

// Tell the server the room shown is read up to its newest message here, if it does not know.
function markRead() {
  if (marking || !socket.connected || !logs.has(state.current)) return;
  const room = state.current;
  const id = state.toMarkRead(logs.of(room).lastSeen);
  if (id === null) return;
  marking = room;
  socket.emit("mark-read", { room, id }, (ack) => {
    marking = null;
    // Over the server's read allowance: try again once it has refilled some.
    if (ack && ack.dropped) return setTimeout(markRead, READ_RETRY_MS);
    if (ack && ack.ok) state.markerMoved(ack);
    view.rooms(state);
    // More may have come meanwhile, or another room be shown now.
    if (ack && ack.ok && (ack.moved || room !== state.current)) markRead();
  });
}

// "Seen by" under this person's latest message in the room shown: ask who read it so far;
// receipts tell of later readers.
function askSeenBy(room) {
  if (!logs.has(room)) return;
  const own = logs.of(room).lines.filter((line) => line.classList.contains("own") && line.dataset.id !== undefined);
  if (!own.length) return;
  const id = Number(own[own.length - 1].dataset.id);
  socket.emit("seen-by", { room, id }, (ack) => {
    if (!(ack && ack.ok) || ack.dropped) return;
    for (const user of ack.by) state.readBy(room, user, id);
    drawSeenBy(room);
  });
}

function drawSeenBy(room) {
  if (room === state.current && logs.has(room)) showSeenBy(logs.of(room).lines, room, state);
}

// What this tab leaves or loses: its log, and what was not sent there (it cannot be any more).
function dropRoom(room) {
  logs.delete(room);
  changes.forget(room);
  for (const entry of [...outbox.entries.values()]) if (entry.room === room) outbox.drop(entry);
}

// --- Delivery: this tab's own messages, pending until the server has them ------------------

function showUnsent(entry) {
  entry.item = unsentLine(entry, state);
  if (entry.state === "failed") failed(entry);
  else showPending(entry.item);
  logs.of(entry.room).addUnsent(entry.item);
}

function delivered(entry, message) {
  if (!logs.has(entry.room)) return; // left meanwhile
  logs.of(entry.room).settle(entry.item, message.id); // before it is stamped with that id
  showSent(entry.item, message);
  changes.show(entry.item, message);
  moderation.decorate(entry.item, message);
  drawSeenBy(entry.room);
  if (entry.room === state.current) markRead();
}

function failed(entry) {
  showFailed(entry.item, entry.error, {
    retry: () => {
      showPending(entry.item);
      outbox.retry(entry);
    },
    edit: () => { // take the text back to the composer, to change or send later
      outbox.drop(entry);
      logs.of(entry.room).remove(entry.item);
      input.value = entry.text;
      input.focus();
    },
  });
}

function showOlder() {
  const room = state.current;
  const roomLog = logs.of(room);
  view.loadingOlder(true);
  socket.emit("history", { room, before: roomLog.oldest() ?? undefined }, (ack) => {
    view.loadingOlder(false);
    if (!(ack && ack.ok)) return showError(ack ? ack.error : "no answer");
    if (!logs.has(room) || logs.of(room) !== roomLog) return; // left meanwhile
    for (const message of ack.messages) receive(message, { fresh: false });
    roomLog.more = ack.more;
    view.older(state, logs);
  });
}

// --- Rooms and typing -------------------------------------------------------------------

function switchTo(room) {
  if (room !== state.current) stopTyping();
  state.switchedTo(room);
  logs.show(room);
  view.roomPicked();
  view.room(state, logs);
  drawSeenBy(room);
  markRead();
}

function joinRoom(room) {
  showError("");
  socket.emit("join-room", { room }, (ack) => {
    if (ack && ack.ok) switchTo(ack.room); // the presence snapshot came first and joined it
    else showError(ack ? ack.error : "not joined");
  });
}

function leaveRoom(room) {
  showError("");
  if (state.typingIn === room) stopTyping();
  socket.emit("leave-room", { room }, (ack) => {
    if (!(ack && ack.ok)) return showError(ack ? ack.error : "not left");
    const wasCurrent = state.left(room);
    dropRoom(room);
    if (wasCurrent && state.current) switchTo(state.current);
    else view.room(state, logs);
  });
}

function emitTyping(room, typing) {
  // Not buffered while offline: a stale "typing" sent on reconnecting would only mislead.
  if (socket.connected) socket.emit("typing", { room, typing });
}

function startTyping() {
  const room = state.startTyping(Date.now());
  if (room) emitTyping(room, true);
}

function stopTyping() {
  const room = state.stopTyping();
  if (room) emitTyping(room, false);
}

// --- Direct messages ------------------------------------------------------------------

// Know a direct message, then get its history (or, having some, what came after it): its
// live messages reach this tab from the connect on, without joining.
function enterDm(dm, { show = false } = {}) {
  state.dmOpened(dm);
  view.dms(state);
  const lastSeen = lastSeenOf(dm.id);
  socket.emit("join-room", { room: dm.id, ...(lastSeen !== null && { lastSeen }) }, (ack) => {
    if (!(ack && ack.ok)) return showError(ack ? ack.error : "no answer");
    if (show) switchTo(dm.id);
  });
}

function openDm(user) {
  showError("");
  socket.emit("open-dm", { person: user.id }, (ack) => {
    if (!(ack && ack.ok)) return showError(ack ? ack.error : "not opened");
    enterDm(ack.dm, { show: true });
  });
}

// This person's direct messages, after each (re)connect: another device may have opened some.
function restoreDms() {
  socket.emit("list-dms", {}, (ack) => {
    if (!(ack && ack.ok)) return;
    for (const dm of ack.dms) enterDm(dm);
  });
}

socket.on("dm-opened", ({ dm }) => enterDm(dm));

// --- Connection -------------------------------------------------------------------------

// The server sends welcome, presence and the histories right after the socket's "connect":
// the page says it is connected once welcomed, when it knows who and where it is.
socket.on("welcome", (welcome) => {
  state.welcome(welcome);
  moderation.welcome(welcome);
  for (const room of logs.keys()) if (!state.isJoined(room)) dropRoom(room);
  view.name(state.me.name);
  view.nameMarks(state);
  if (!state.joined.length) joinRoom(state.defaultRoom);
  switchTo(state.current);
  restoreDms();
  state.connected();
  view.status(state);
});

socket.on("connect", () => {
  outbox.resend(); // what the server may not have: it answers a resend of what it has with the original
});
socket.on("disconnect", () => {
  state.disconnected(currentStatus());
  view.status(state);
  view.typing(state);
});
socket.on("connect_error", (err) => {
  const code = err.data && err.data.code;
  if (code === "bad_name") return refuseName(err.message);
  if ((code === "bad_room" || code === "bad_handshake") && state.joined.length) {
    // A remembered room list the server refuses: start again in the default room.
    state.roomsRefused();
    return socket.connect();
  }
  if (["token_required", "bad_token", "token_expired"].includes(code)) {
    // An expired token (or one from before the server's key changed): the demo issues another.
    if (DEMO_TOKENS && !pastedToken && state.renewToken()) return connect();
    setStatus("offline", "not signed in");
    return showError(`The server refused the connection: ${err.message}`);
  }
  if (code === "banned") {
    setStatus("offline", "banned");
    return showError(`The server refused the connection: ${err.message}`);
  }
  setStatus(currentStatus(), err.message);
  // Refused for too many connections from this address: the client does not retry by
  // itself, so try again later.
  if (!socket.active && !code) setTimeout(connect, REFUSED_RETRY_MS);
});
socket.io.on("reconnect_attempt", () => setStatus("reconnecting"));
window.addEventListener("offline", () => setStatus("offline"));
window.addEventListener("online", () => setStatus(currentStatus()));
// Say goodbye when the page goes (a reload, a closed tab): a long-polling connection left
// open until its heartbeat times out would still hold this tab's guest, and the reloaded
// page would be made a new guest.
window.addEventListener("pagehide", () => socket.disconnect());
window.addEventListener("pageshow", (event) => {
  if (event.persisted) connect(); // back from the browser's page cache, disconnected
});

// --- Events from the server -------------------------------------------------------------

socket.on("presence", ({ room, members, owner }) => {
  moderation.presence({ room, owner });
  if (logs.has(room)) moderation.redecorate(logs.of(room).lines);
  state.presence(room, members);
  view.room(state, logs);
});

socket.on("member-joined", ({ room, user }) => {
  if (!state.memberJoined(room, user)) return;
  addNotice(room, `${user.name} joined`);
  view.room(state, logs);
});

socket.on("member-left", ({ room, user }) => {
  if (!state.memberLeft(room, user)) return;
  addNotice(room, `${user.name} left`);
  view.room(state, logs);
});

socket.on("member-renamed", ({ user, previous }) => {
  const mine = state.isMe(user);
  for (const room of state.memberRenamed(user)) {
    addNotice(room, mine ? `You are now ${user.name}` : `${previous} is now ${user.name}`);
  }
  if (mine) view.name(user.name, { unlessEditing: true });
  view.room(state, logs);
});

socket.on("room-message", (message) => {
  if (!state.isJoined(message.room)) return;
  const roomLog = logs.of(message.room);
  // Live messages come after everything this page has: a lower id means the server lost
  // its history and counts from 1 again.
  if (roomLog.lastSeen !== null && message.id <= roomLog.lastSeen) roomLog.renumbered();
  roomLog.seen(message.id);
  receive(message, { fresh: true });
  if (message.room === state.current) markRead();
});

// The latest messages on entering a room, or, when reconnecting, every one after lastSeen
// (in chunks: `after` says which id a chunk follows).
socket.on("history", ({ room, messages, more, after, gap, lastChange }) => {
  if (!state.isJoined(room)) return;
  changes.known(room, lastChange ?? 0); // absent: the room has had no change yet
  const roomLog = logs.of(room);
  const catchingUp = after !== undefined;
  if (catchingUp && gap) addNotice(room, GAP_NOTICE);
  if (!catchingUp) roomLog.more = more;
  roomLog.seen(0); // the room's messages up to now are all here or older: an empty one has none
  for (const message of messages) {
    roomLog.seen(message.id);
    receive(message, { fresh: catchingUp });
  }
  view.older(state, logs);
  if (!more) askSeenBy(room);
  if (room === state.current) markRead();
});

socket.on("read-marker", (marker) => {
  state.markerMoved(marker);
  view.rooms(state);
});

socket.on("receipt", ({ room, id, by }) => {
  state.readBy(room, by, id);
  drawSeenBy(room);
});

for (const event of ["message-edited", "message-deleted", "reaction"]) {
  socket.on(event, (change) => {
    if (state.isJoined(change.room)) changes.apply(event, change);
  });
}

// After a catch-up's history: the edits, deletions and reactions since this page's lastChange.
socket.on("changes", ({ room, changes: missed, last, gap }) => {
  if (!state.isJoined(room)) return;
  if (gap) addNotice(room, "Some edits, deletions or reactions may not be shown: reload to see them");
  for (const change of missed) changes.apply(change.event, change);
  changes.known(room, last);
});

socket.on("typing", ({ room, user, typing }) => {
  if (state.typingChanged(room, user, typing)) view.typing(state);
});

socket.on("room-created", ({ room }) => {
  state.roomCreated(room);
  view.rooms(state);
});

socket.on("room-removed", ({ room }) => {
  if (state.roomRemoved(room)) dropRoom(room);
  view.room(state, logs);
});

// A moderation action in a room: its notice; one that bans this person takes the room away.
socket.on("moderation", (action) => {
  if (!state.isJoined(action.room)) return;
  addNotice(action.room, moderation.noticeOf(action));
  if (action.action !== "ban" || !state.isMe(action.person)) return;
  showError(`You were banned from ${action.room} until ${new Date(action.until).toLocaleTimeString()}`);
  if (action.room === state.defaultRoom) return; // the server ends this connection
  const wasCurrent = state.left(action.room);
  dropRoom(action.room);
  if (wasCurrent && state.current) switchTo(state.current);
  else view.room(state, logs);
});

socket.on("chat-error", (refusal) => {
  if (refusal.code === "token_expired") {
    // The server ends a connection whose token expires, and a client it disconnects does
    // not reconnect by itself: the demo issues a new token and connects with it.
    if (DEMO_TOKENS && !pastedToken) return connect();
    setStatus("offline", "not signed in");
    return showError(`The server ended the connection: ${refusal.error}`);
  }
  if (refusal.code === "banned" && refusal.event === "ban") {
    // Banned from the chat: the server disconnects this page next, and it stays offline.
    setStatus("offline", "banned");
    return showError(`The server ended the connection: ${refusal.error}`);
  }
  showError(refusal.event === "connect" ? `Could not enter a remembered room: ${refusal.error}` : refusal.error);
});

// --- What the person does ---------------------------------------------------------------

composer.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value;
  if (!text.trim() || !state.current) return; // no room yet (connecting for the first time): keep the text
  showError("");
  input.value = "";
  input.focus();
  state.sentMessage();
  showUnsent(outbox.add(state.current, text, state.mentionedIn(text)));
});

input.addEventListener("input", () => {
  if (input.value.trim()) startTyping();
  else stopTyping();
});

nameForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const wanted = nameInput.value.trim();
  state.nameAsked();
  view.error(state);
  view.nameMarks(state);
  if (state.nameRefused || !socket.active || DEMO_TOKENS) {
    // Not connected because of the name (or at all), or names come from tokens: connect
    // (again) with this one; empty is a guest.
    if (DEMO_TOKENS && socket.connected && state.me && wanted === state.me.name) return;
    pastedToken = false; // a name picked: a demo token for it
    state.nameChosen(wanted);
    view.nameMarks(state);
    if (!socket.connected) setStatus("connecting");
    return connect();
  }
  if (state.me && wanted === state.me.name) return;
  socket.emit("rename", { name: wanted }, (ack) => {
    if (!(ack && ack.ok)) return refuseRename(ack ? ack.error : "not renamed");
    state.renamed(wanted, ack.user);
    view.name(state.me.name);
    view.nameMarks(state);
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

// With signed identities on, a token from elsewhere (flask issue-token) can be pasted in.
const tokenForm = $("token-form");
tokenForm.hidden = !TOKENS;
tokenForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const token = $("token").value.trim();
  if (!token) return;
  $("token").value = "";
  showError("");
  pastedToken = true;
  state.signedIn(token);
  // The server takes the identity from the token at connecting only: connect again with this one.
  if (socket.active) socket.disconnect();
  setStatus("connecting");
  socket.connect();
});

$("refresh-rooms").addEventListener("click", () => {
  socket.emit("list-rooms", {}, (ack) => {
    if (!(ack && ack.ok)) return showError(ack ? ack.error : "no answer");
    state.roomsListed(ack.rooms);
    view.rooms(state);
  });
});

wide.addEventListener("change", () => view.layout());
view.layout();
for (const panel of panels) {
  panel.querySelector("summary").addEventListener("click", (event) => {
    if (wide.matches) event.preventDefault(); // nothing to unfold: the lists have the room
  });
}

// Messages an earlier load of this tab had not sent: shown as they were, sent once connected.
for (const entry of outbox.restore()) showUnsent(entry);
if (state.current) logs.show(state.current); // before connecting, so they show while it connects
connect();
