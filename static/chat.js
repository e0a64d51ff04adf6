// The demo page, speaking the full protocol (protocol 2 in docs/protocol.md): names, rooms,
// presence and typing. User text only ever reaches the page through textContent, never as HTML.
(() => {
  "use strict";

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
  const LOG_LIMIT = 500; // lines kept per room

  // What this browser remembers: the name the user chose and the rooms they are in.
  const saved = {
    get(key) {
      try {
        return JSON.parse(localStorage.getItem(`chat.${key}`));
      } catch {
        return null;
      }
    },
    set(key, value) {
      try {
        localStorage.setItem(`chat.${key}`, JSON.stringify(value));
      } catch {
        // Storage is off (private mode): the page still works, it just forgets on reload.
      }
    },
  };
  const [savedName, savedRooms, savedRoom] = ["name", "rooms", "room"].map(saved.get);

  let name = typeof savedName === "string" ? savedName : ""; // asked for at each handshake
  let joined = Array.isArray(savedRooms) ? savedRooms.filter((room) => typeof room === "string") : [];
  let current = typeof savedRoom === "string" ? savedRoom : null;
  let askedRooms = null; // the rooms the latest handshake asked for
  let me = null; // {id, name, guest}, from welcome
  let defaultRoom = "general";
  let rooms = []; // every room on the server
  let nameRefused = false;
  const logs = new Map(); // room -> its lines (li elements), shown while it is current
  const people = new Map(); // room -> Map(person id -> user)
  const typists = new Map(); // room -> Map(person id -> name)
  const unread = new Map(); // room -> messages that arrived while it was not current
  const counts = new Map(); // room -> people, from list-rooms
  let typingIn = null; // the room the server was last told this user types in
  let typingSentAt = 0;

  // auth is a function so every (re)connection sends the name and rooms of now, not of page load.
  const socket = io({ auth: (send) => send(handshake()) });

  function handshake() {
    const auth = { protocol: 2 };
    if (name) auth.name = name;
    askedRooms = joined.length ? joined.slice() : null;
    if (askedRooms) auth.rooms = askedRooms;
    return auth;
  }

  // --- Small helpers ----------------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

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
    saved.set("rooms", joined);
    if (current) saved.set("room", current);
  }

  // --- The log ----------------------------------------------------------------------------

  function addLine(room, item) {
    if (!logs.has(room)) logs.set(room, []);
    const lines = logs.get(room);
    lines.push(item);
    if (lines.length > LOG_LIMIT) lines.shift().remove();
    if (room !== current) return;
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.append(item);
    if (atBottom) log.scrollTop = log.scrollHeight;
  }

  function addNotice(room, text) {
    addLine(room, el("li", "notice", text));
  }

  function addMessage(message) {
    const item = el("li", "message");
    if (me && message.user.id === me.id) item.classList.add("own");
    const time = el("time", "time", new Date(message.ts).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
    time.dateTime = new Date(message.ts).toISOString();
    item.append(el("span", "author", message.user.name), " ", time, " ", el("span", "text", message.text));
    addLine(message.room, item);
    if (message.room !== current && !item.classList.contains("own")) { // one's own, from another tab, is read
      unread.set(message.room, (unread.get(message.room) || 0) + 1);
      renderRooms();
    }
  }

  // --- Rooms, people, typing --------------------------------------------------------------

  function switchTo(room) {
    if (room !== current) stopTyping();
    current = room;
    unread.delete(room);
    remember();
    log.replaceChildren(...(logs.get(room) || []));
    log.scrollTop = log.scrollHeight;
    if (!wide.matches) panels[0].open = false;
    render();
  }

  function render() {
    roomTitle.textContent = current || "";
    renderRooms();
    renderPeople();
    renderTyping();
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
    defaultRoom = welcome.defaultRoom;
    rooms = welcome.rooms.slice();
    if (name) saved.set("name", name); // accepted (a number may have been added: that is not saved)
    nameInput.value = me.name;
    nameInput.removeAttribute("aria-invalid");
    // The server entered the asked rooms that still exist (all lost if it restarted).
    joined = (askedRooms || [defaultRoom]).filter((room) => rooms.includes(room));
    for (const room of logs.keys()) if (!joined.includes(room)) logs.delete(room);
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
    setState(currentState(), err.message);
    // Refused for too many connections from this address: the client does not retry by
    // itself, so try again later.
    if (!socket.active && !code) setTimeout(() => socket.connect(), REFUSED_RETRY_MS);
  });
  socket.io.on("reconnect_attempt", () => setState("reconnecting"));
  window.addEventListener("offline", () => setState("offline"));
  window.addEventListener("online", () => setState(currentState()));

  function refuseName(reason) {
    nameRefused = true;
    saved.set("name", null);
    setState("offline", "pick another name");
    showError(`Your name was refused: ${reason}. Pick another one.`);
    nameInput.value = name;
    nameInput.setAttribute("aria-invalid", "true");
    nameInput.focus();
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
    addMessage(message);
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
    showError(refusal.event === "connect" ? `Could not enter a remembered room: ${refusal.error}` : refusal.error);
  });

  // --- What the user does -----------------------------------------------------------------

  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    showError("");
    input.value = "";
    input.focus();
    typingIn = null; // sending ends the typing state on the server
    socket.emit("send-message", { room: current, text }, (ack) => {
      if (ack && ack.ok) return;
      // Refused: say why (the chat-error event does too) and give the text back to edit.
      showError(ack ? ack.error : "not sent");
      if (!input.value) input.value = text;
    });
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
    if (nameRefused || !socket.active) {
      // Not connected because of the name (or at all): connect with this one; empty is a guest.
      name = wanted;
      nameRefused = false;
      nameInput.removeAttribute("aria-invalid");
      setState("connecting");
      return socket.connect();
    }
    if (me && wanted === me.name) return;
    socket.emit("rename", { name: wanted }, (ack) => {
      if (!(ack && ack.ok)) {
        nameInput.setAttribute("aria-invalid", "true");
        return showError(ack ? ack.error : "not renamed");
      }
      name = wanted;
      saved.set("name", name);
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
})();
