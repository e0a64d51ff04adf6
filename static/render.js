// What the page shows of its state (page_state.js): the connection, the error, the name box,
// the rooms, the people and typists of the current room, and this tab's own message lines.
// Each function reads the state and draws; none changes it or talks to the server. User text
// only ever reaches the page through textContent, never as HTML.
import { el, messageLine, showDelivery, stamp } from "./log.js";

const STATUS = {
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

// A message line from the server (live, from history or catching up).
export function receivedLine(message, state) {
  const item = messageLine(message.user.name, message.text);
  stamp(item, message);
  if (state.isMe(message.user)) item.classList.add("own");
  if (state.mentionsMe(message)) {
    item.classList.add("mention");
    item.querySelector(".text").before(el("span", "visually-hidden", "mentions you: "));
  }
  return item;
}

// "Seen by" under this person's latest message in the room shown (lines: its log's lines),
// and on no other line.
export function showSeenBy(lines, room, state) {
  const own = lines.filter((line) => line.classList.contains("own") && line.dataset.id !== undefined);
  for (const line of own) line.querySelector(".seen-by")?.remove();
  const latest = own[own.length - 1];
  if (!latest) return;
  const names = state.seenBy(room, Number(latest.dataset.id));
  if (!names.length) return;
  // Drawn by chat.css from data-names, so a line's text stays its message's.
  const seen = el("span", "seen-by");
  seen.dataset.names = names.join(", ");
  latest.append(seen);
}

// A line for this tab's message the server does not have yet (entry is an outbox entry).
export function unsentLine(entry, state) {
  const item = messageLine(state.me ? state.me.name : state.name || "You", entry.text);
  item.classList.add("own");
  return item;
}

export function showSent(item, message) {
  stamp(item, message);
  showDelivery(item, "sent");
}

export function showPending(item) {
  showDelivery(item, "pending");
}

// A line the server refused: the reason, and Retry and Edit (to change it or send it later).
export function showFailed(item, reason, { retry, edit }) {
  showDelivery(item, "failed", reason, [["Retry", retry], ["Edit", edit]]);
}

export function notice(text) {
  return el("li", "notice", text);
}

export class View {
  // elements: the page's parts, by the names below. wide: the media query of a wide screen.
  // actions: what the room list's buttons do, switchTo(room), join(room) and leave(room).
  constructor(elements, wide, actions) {
    this.elements = elements;
    this.wide = wide;
    this.actions = actions;
  }

  // Everything that depends on the current room.
  room(state, logs) {
    this.elements.roomTitle.textContent = state.titleOf(state.current);
    this.elements.roomTitle.classList.toggle("dm", state.isDm(state.current));
    this.rooms(state);
    this.people(state);
    this.typing(state);
    this.older(state, logs);
  }

  status(state) {
    const { status } = this.elements;
    status.dataset.state = state.status;
    status.textContent = state.statusDetail ? `${STATUS[state.status]} (${state.statusDetail})` : STATUS[state.status];
  }

  error(state) {
    this.elements.error.textContent = state.error;
    this.elements.error.hidden = !state.error;
  }

  // The name box's marks; its value is the person's to edit, set only by name().
  nameMarks(state) {
    const { nameInput, nameNote } = this.elements;
    if (state.nameInvalid) nameInput.setAttribute("aria-invalid", "true");
    else nameInput.removeAttribute("aria-invalid");
    // The note is a live region: writing the same text again could have it read out again.
    if (nameNote.textContent !== state.nameNote) nameNote.textContent = state.nameNote;
  }

  // Put a name in the name box (the server's, or the refused one to correct), unless the
  // person is editing it and only someone's rename brought it.
  name(value, { unlessEditing = false, focus = false } = {}) {
    const { nameInput } = this.elements;
    if (unlessEditing && nameInput.ownerDocument.activeElement === nameInput) return;
    nameInput.value = value;
    if (focus) nameInput.focus();
  }

  rooms(state) {
    const { roomList, roomInput, roomsSummary } = this.elements;
    // Redrawing would drop the keyboard focus: find the control again afterwards.
    const active = roomList.ownerDocument.activeElement;
    const focused = roomList.contains(active) ? active : null;
    const focusKey = focused && [focused.closest("li").dataset.room, focused.classList.contains("leave")];
    const single = state.joined.length <= 1;
    roomList.replaceChildren(...state.rooms.map((room) => {
      const item = el("li");
      item.dataset.room = room;
      const button = el("button", "room", room);
      button.type = "button";
      if (state.isJoined(room)) {
        button.setAttribute("aria-current", String(room === state.current));
        const missed = state.unread.get(room);
        if (missed) {
          const badge = el("span", "unread", String(missed));
          badge.append(el("span", "visually-hidden", " unread"));
          button.append(" ", badge);
        }
        const mentioned = state.mentions.get(room);
        if (mentioned) {
          const badge = el("span", "mention-count", `@${mentioned}`);
          badge.append(el("span", "visually-hidden", ` mention${mentioned === 1 ? "" : "s"}`));
          button.append(" ", badge);
        }
        const leave = el("button", "leave", "×");
        leave.type = "button";
        leave.title = single ? "You are in no other room" : `Leave ${room}`;
        leave.setAttribute("aria-label", `Leave ${room}`);
        leave.disabled = single;
        leave.addEventListener("click", () => this.actions.leave(room));
        button.addEventListener("click", () => this.actions.switchTo(room));
        item.append(button, leave);
      } else {
        button.classList.add("not-joined");
        button.append(" ", el("span", "join", "join"));
        button.addEventListener("click", () => this.actions.join(room));
        item.append(button);
      }
      const count = state.headcount(room);
      if (count !== undefined) button.title = `${count} ${count === 1 ? "person" : "people"}`;
      return item;
    }));
    if (focusKey) {
      const item = roomList.querySelector(`li[data-room="${CSS.escape(focusKey[0])}"]`);
      const again = item && ((focusKey[1] && item.querySelector(".leave:enabled")) || item.querySelector(".room"));
      (again || roomList.querySelector(".room") || roomInput).focus();
    }
    const elsewhere = state.unreadElsewhere();
    roomsSummary.textContent = [state.current, elsewhere && `${elsewhere} unread`].filter(Boolean).join(" · ");
    this.dms(state);
  }

  // The direct messages, each a button to show it, with its unread count.
  dms(state) {
    const { dmList } = this.elements;
    const dms = [...state.dms].sort(([, a], [, b]) => a.name.localeCompare(b.name));
    dmList.replaceChildren(...dms.map(([id, other]) => {
      const item = el("li");
      item.dataset.dm = id;
      const button = el("button", "room dm", other.name);
      button.type = "button";
      button.setAttribute("aria-current", String(id === state.current));
      const missed = state.unread.get(id);
      if (missed) {
        const badge = el("span", "unread", String(missed));
        badge.append(el("span", "visually-hidden", " unread"));
        button.append(" ", badge);
      }
      button.addEventListener("click", () => this.actions.switchTo(id));
      item.append(button);
      return item;
    }));
  }

  // The people of the current room; each other one's name is a button that opens a direct message.
  people(state) {
    const { peopleList, peopleCount } = this.elements;
    const here = [...(state.people.get(state.current) || new Map()).values()];
    here.sort((a, b) => a.name.localeCompare(b.name));
    peopleList.replaceChildren(...here.map((user) => {
      if (state.isMe(user)) {
        const item = el("li", user.guest ? "guest" : "", user.name);
        item.append(el("span", "you", " (you)"));
        return item;
      }
      const item = el("li", user.guest ? "guest" : "");
      const write = el("button", "person", user.name);
      write.type = "button";
      write.title = `Write to ${user.name} alone`;
      write.addEventListener("click", () => this.actions.openDm(user));
      item.append(write, ...(this.actions.personControls?.(user, state.current) || []));
      return item;
    }));
    peopleCount.textContent = state.current ? `(${here.length})` : "";
    this.actions.peopleDrawn?.(state.current);
  }

  typing(state) {
    const names = state.typistNames();
    let text = "";
    if (names.length === 1) text = `${names[0]} is typing…`;
    else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
    else if (names.length > 2) text = `${names[0]}, ${names[1]} and ${names.length - 2} more are typing…`;
    this.elements.typingLine.textContent = text;
  }

  // While older messages are asked for, the button waits for them.
  loadingOlder(busy) {
    this.elements.loadOlder.disabled = busy;
  }

  older(state, logs) {
    const { current } = state;
    this.elements.loadOlder.hidden = !(current && logs.has(current) && logs.of(current).more);
  }

  // Wide screens show the room and people lists beside the log; narrow ones fold them away,
  // one open at a time (details elements sharing a name), so the log keeps some room.
  layout() {
    for (const panel of this.elements.panels) {
      panel.name = this.wide.matches ? "" : "lists";
      panel.open = this.wide.matches;
    }
  }

  // A room was picked: on a narrow screen, fold the room list away to show its log.
  roomPicked() {
    if (!this.wide.matches) this.elements.panels[0].open = false;
  }
}
