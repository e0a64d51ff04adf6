// The demo page: the original gateway's protocol (see docs/protocol.md).
// User text only ever reaches the page through textContent, never as HTML.
(() => {
  "use strict";

  const messages = document.getElementById("messages");
  const status = document.getElementById("status");
  const error = document.getElementById("error");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");

  const STATES = {
    connecting: "Connecting…",
    connected: "Connected",
    reconnecting: "Reconnecting…",
    offline: "Offline",
  };

  // Same origin as the page; the client picks the transport (polling, then WebSocket).
  const socket = io();

  function setState(state, detail) {
    status.dataset.state = state;
    status.textContent = detail ? `${STATES[state]} (${detail})` : STATES[state];
  }

  function add(text, kind) {
    const item = document.createElement("li");
    item.className = kind;
    item.textContent = text;
    const atBottom = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 40;
    messages.append(item);
    if (atBottom) item.scrollIntoView({ block: "end" });
  }

  function showError(text) {
    error.textContent = text;
    error.hidden = !text;
  }

  const REFUSED_RETRY_MS = 10000;

  function currentState() {
    if (socket.connected) return "connected";
    return socket.active ? "reconnecting" : "offline";
  }

  socket.on("connect", () => setState("connected"));
  socket.on("disconnect", () => setState(currentState()));
  socket.on("connect_error", (err) => {
    setState(currentState(), err.message);
    // The server refused the connection (too many from this address): the client
    // does not retry by itself, so try again later.
    if (!socket.active) setTimeout(() => socket.connect(), REFUSED_RETRY_MS);
  });
  socket.io.on("reconnect_attempt", () => setState("reconnecting"));
  window.addEventListener("offline", () => setState("offline"));
  window.addEventListener("online", () => setState(currentState()));

  socket.on("message", (text) => add(String(text), "message"));
  socket.on("user-joined", (notice) => add(notice.message, "notice"));
  socket.on("user-left", (notice) => add(notice.message, "notice"));
  socket.on("chat-error", (refusal) => showError(refusal.error));

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    showError("");
    input.value = "";
    input.focus();
    socket.emit("newMessage", text, (ack) => {
      if (ack && ack.ok) return;
      // Refused: say why (the chat-error event does too) and give the text back to edit.
      showError(ack ? ack.error : "not sent");
      if (!input.value) input.value = text;
    });
  });
})();
