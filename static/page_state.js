// The demo page's state: who this tab is, its rooms and the current one, who is in them and
// who types, what is unread, and how the connection and the name stand. Named functions
// change it; nothing here touches the DOM or the socket. chat.js translates the server's
// events into these calls, render.js shows the result, log.js keeps each room's lines and
// outbox.js this tab's unsent messages.

export const TYPING_RENEW_MS = 2000; // the server forgets a typing state not renewed within TYPING_TIMEOUT (5 s)

// Each tab is a person of its own (a guest, unless signed in). What the tab remembers, across
// reloads, is in sessionStorage: its guest credential, its name, its rooms and the current
// one (a duplicated tab copies them; the server makes the copy a new guest). What the browser
// remembers, in localStorage, is only the name last chosen, offered to a new tab.
export function store(area) {
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

const text = (value) => (typeof value === "string" ? value : null);

export class PageState {
  // tab and browser are stores (see store()): what this tab and this browser remember.
  constructor({ tab, browser }) {
    this.tab = tab;
    this.browser = browser;
    const savedName = text(tab.get("name")) ?? text(browser.get("name"));
    const savedRooms = tab.get("rooms");
    this.name = savedName ?? ""; // asked for at each handshake
    this.guest = text(tab.get("guest")); // this tab's guest credential, from welcome
    // The resume secret of this page's latest connection, from welcome: in memory only, so a
    // duplicated tab (which copies sessionStorage) lacks it and becomes a guest of its own.
    this.resume = null;
    this.joined = Array.isArray(savedRooms) ? savedRooms.filter((room) => typeof room === "string") : [];
    this.current = text(tab.get("room"));
    this.askedRooms = null; // the rooms the latest handshake asked for
    this.me = null; // {id, name, guest}, from welcome
    this.defaultRoom = "general";
    this.rooms = []; // every room on the server
    this.people = new Map(); // room -> Map(person id -> user)
    this.typists = new Map(); // room -> Map(person id -> name)
    this.unread = new Map(); // room -> messages that arrived while it was not current
    this.mentions = new Map(); // room -> those of them that mention this person
    this.readUpTo = new Map(); // room -> the id this person has read up to, as the server last said
    this.seen = new Map(); // room -> Map(reader id -> {name, upTo}): who has read this person's messages
    this.counts = new Map(); // room -> people, from list-rooms
    this.dms = new Map(); // direct message id -> the other person, {id, name, guest}
    this.typingIn = null; // the room the server was last told this user types in
    this.typingSentAt = 0;
    this.status = "connecting"; // connecting, connected, reconnecting or offline
    this.statusDetail = "";
    this.error = ""; // the refusal or failure shown to the user, if any
    this.nameRefused = false; // not connected because the server refused the name
    this.nameInvalid = false; // the name box holds a name the server refused
    this.nameNote = ""; // what became of the name asked for, when it was not quite given
    this.token = null; // the signed identity, with signed identities on
    this.guestName = null; // in demo token mode, the name of someone who picked none
    this.tokenRenewed = false; // asked for a new token after the server refused one
  }

  isMe(user) {
    return this.me !== null && user.id === this.me.id;
  }

  isJoined(room) {
    return this.joined.includes(room) || this.dms.has(room);
  }

  // --- The connection -----------------------------------------------------------------

  // Return the auth of a (re)connection: the name, rooms and last messages of now.
  // lastSeenOf(room) is the id of the last message of that room this page has, or null.
  handshake(lastSeenOf) {
    const auth = { protocol: 2 };
    if (this.name) auth.name = this.name;
    if (this.token) auth.token = this.token;
    else if (this.guest) {
      auth.guest = this.guest; // the same guest again, if no other tab has it open
      // ... or at once, though the server still holds this page's last connection (its process died)
      if (this.resume) auth.resume = this.resume;
    }
    this.askedRooms = this.joined.length ? this.joined.slice() : null;
    if (this.askedRooms) auth.rooms = this.askedRooms;
    // The server sends everything after the last message of each room this page has.
    const lastSeen = {};
    for (const room of this.askedRooms || []) {
      const id = lastSeenOf(room);
      if (id !== null) lastSeen[room] = id;
    }
    if (Object.keys(lastSeen).length) auth.lastSeen = lastSeen;
    return auth;
  }

  setStatus(status, detail = "") {
    this.status = status;
    this.statusDetail = detail;
  }

  setError(error) {
    this.error = error;
  }

  connected() {
    this.setStatus("connected");
    this.nameRefused = false;
    this.tokenRenewed = false;
  }

  disconnected(status) {
    this.setStatus(status);
    this.typists.clear();
  }

  // The server refused the remembered room list: the next handshake asks for none, which
  // starts again in the default room.
  roomsRefused() {
    this.joined = [];
    this.remember();
  }

  // --- Names and tokens ---------------------------------------------------------------

  // Return the name to ask a demo token for: the chosen one, else a guest name kept for this page.
  tokenName() {
    return this.name || (this.guestName ||= `Guest ${1000 + Math.floor(Math.random() * 9000)}`);
  }

  signedIn(token) {
    this.token = token;
  }

  // Return whether to ask for a new token after the server refused this one: once in a row.
  renewToken() {
    if (this.tokenRenewed) return false;
    this.tokenRenewed = true;
    return true;
  }

  // The person asked for a name: what was said about the last one no longer holds.
  nameAsked() {
    this.error = "";
    this.nameNote = "";
  }

  // The person picked a name to connect (again) with; empty is a guest.
  nameChosen(name) {
    this.name = name;
    this.nameRefused = false;
    this.nameInvalid = false;
  }

  // The server refused the name to connect with: not connected until another is picked.
  nameRefusedFor(reason) {
    this.nameRefused = true;
    this.saveName(null);
    this.setStatus("offline", "pick another name");
    this.setError(`Your name was refused: ${reason}. Pick another one.`);
    this.nameInvalid = true;
  }

  // The server refused a new name while connected: the old one stays.
  renameRefused(reason) {
    this.nameInvalid = true;
    this.setError(reason);
  }

  // The server renamed this person as asked for `wanted` (with a number added if it was taken).
  renamed(wanted, user) {
    this.name = wanted;
    this.saveName(wanted);
    this.me = user;
    this.nameInvalid = false;
    if (user.name !== wanted) this.nameNote = `“${wanted}” is taken: you are “${user.name}”.`;
  }

  // --- Rooms and people ---------------------------------------------------------------

  // The server accepted the handshake: who this tab is, the rooms, the ones it entered.
  welcome({ user, guest, resume, defaultRoom, rooms, unread }) {
    this.me = user;
    if (typeof guest === "string") {
      this.guest = guest; // a new one, when the server made this tab a new guest
      this.tab.set("guest", guest);
    }
    this.resume = typeof resume === "string" ? resume : null;
    this.defaultRoom = defaultRoom;
    this.rooms = rooms.slice();
    if (this.name) this.saveName(this.name); // accepted (a number may have been added: that is not saved)
    this.nameInvalid = false;
    // The server entered the asked rooms that still exist (all lost if it restarted).
    this.joined = (this.askedRooms || [defaultRoom]).filter((room) => this.rooms.includes(room));
    for (const room of [...this.unread.keys()]) if (!this.isJoined(room)) this.unread.delete(room);
    this.people.clear();
    this.typists.clear();
    this.typingIn = null;
    if (!this.isJoined(this.current)) this.current = this.joined[0] || defaultRoom;
    this.unreadFromServer(unread || {});
    this.remember();
  }

  // The server's unread counts on connecting ({room: {count, mentions, readUpTo}}): they
  // replace this page's, which missed what came while it was away or read on another device.
  unreadFromServer(counts) {
    this.unread.clear();
    this.mentions.clear();
    for (const [room, { count, mentions, readUpTo }] of Object.entries(counts)) {
      this.readUpTo.set(room, readUpTo);
      if (!this.isJoined(room)) continue;
      if (count) this.unread.set(room, count);
      if (mentions) this.mentions.set(room, mentions);
    }
  }

  // This person's read marker moved (on this device or another): the server's counts hold.
  markerMoved({ room, id, unread, mentions }) {
    this.readUpTo.set(room, Math.max(this.readUpTo.get(room) || 0, id));
    if (room === this.current) return; // shown, so read here whatever another device says
    if (unread) this.unread.set(room, unread);
    else this.unread.delete(room);
    if (mentions) this.mentions.set(room, mentions);
    else this.mentions.delete(room);
  }

  // Return the id to tell the server the current room is read up to (its newest message
  // here, `newest`), or null when the server knows already.
  toMarkRead(newest) {
    const room = this.current;
    if (!room || newest === null || newest <= (this.readUpTo.get(room) || 0)) return null;
    return newest;
  }

  mentionsMe(message) {
    return this.me !== null && Array.isArray(message.mentions) && message.mentions.includes(this.me.id);
  }

  // Return the ids of the people of the current room that `text` names as @name, each by the
  // longest name the text goes on with (as the server does for text without mentions).
  mentionedIn(text) {
    const members = [...(this.people.get(this.current) || new Map()).values()];
    members.sort((a, b) => b.name.length - a.name.length);
    const ids = [];
    const lower = text.toLowerCase();
    for (let at = lower.indexOf("@"); at >= 0; at = lower.indexOf("@", at + 1)) {
      const rest = lower.slice(at + 1);
      const found = members.find((user) => {
        const name = user.name.toLowerCase();
        return rest.startsWith(name) && !/[\p{L}\p{N}]/u.test(rest.charAt(name.length));
      });
      if (found && !ids.includes(found.id)) ids.push(found.id);
    }
    return ids;
  }

  // Someone read this person's messages in `room` up to `upTo`.
  readBy(room, user, upTo) {
    if (!this.seen.has(room)) this.seen.set(room, new Map());
    const readers = this.seen.get(room);
    const known = readers.get(user.id);
    if (!this.isMe(user)) readers.set(user.id, { name: user.name, upTo: Math.max(upTo, known ? known.upTo : 0) });
  }

  // Return the names of those who have read message `id` of `room` (this person's own).
  seenBy(room, id) {
    return [...(this.seen.get(room) || new Map()).values()].filter((reader) => reader.upTo >= id)
      .map((reader) => reader.name).sort();
  }

  switchedTo(room) {
    this.current = room;
    this.unread.delete(room);
    this.mentions.delete(room);
    this.remember();
  }

  // Everyone in a room this tab is in (it may have just entered it).
  presence(room, members) {
    this.people.set(room, new Map(members.map((user) => [user.id, user])));
    if (!this.isJoined(room)) this.joined.push(room);
    this.remember();
  }

  // Return whether this changed a room this tab follows.
  memberJoined(room, user) {
    if (!this.people.has(room)) return false;
    this.people.get(room).set(user.id, user);
    return true;
  }

  // Return whether this changed a room this tab follows.
  memberLeft(room, user) {
    if (!this.people.has(room)) return false;
    this.people.get(room).delete(user.id);
    if (this.typists.has(room)) this.typists.get(room).delete(user.id);
    return true;
  }

  // Someone (maybe this person, from any tab) has a new name: return the rooms they are in here.
  memberRenamed(user) {
    if (this.isMe(user)) this.me = user;
    const rooms = [];
    for (const [room, members] of this.people) {
      if (!members.has(user.id)) continue;
      rooms.push(room);
      members.set(user.id, user);
      const typing = this.typists.get(room);
      if (typing && typing.has(user.id)) typing.set(user.id, user.name);
    }
    return rooms;
  }

  // This tab left the room: return whether it was the current one.
  left(room) {
    const wasCurrent = room === this.current;
    this.forget(room);
    this.remember();
    return wasCurrent;
  }

  roomCreated(room) {
    if (!this.rooms.includes(room)) this.rooms = [...this.rooms, room].sort();
  }

  // Return whether this tab was in the room.
  roomRemoved(room) {
    this.rooms = this.rooms.filter((r) => r !== room);
    if (!this.isJoined(room)) return false;
    this.forget(room);
    return true;
  }

  roomsListed(rooms) {
    this.rooms = rooms.map((room) => room.name);
    this.counts.clear();
    for (const room of rooms) this.counts.set(room.name, room.people);
  }

  // Return how many people are in the room, as far as this page knows (undefined: not known).
  headcount(room) {
    return this.isJoined(room) ? (this.people.get(room) || new Map()).size : this.counts.get(room);
  }

  // --- Direct messages ----------------------------------------------------------------

  // A direct message this person has (opened, listed, or opened with them): {id, with}.
  dmOpened({ id, with: other }) {
    this.dms.set(id, other);
  }

  isDm(room) {
    return this.dms.has(room);
  }

  // What the page calls a room or a direct message.
  titleOf(room) {
    return this.dms.has(room) ? `Direct messages with ${this.dms.get(room).name}` : room || "";
  }

  // --- Messages and typing ------------------------------------------------------------

  // A message was added to its room's log: return whether it made the room's unread count grow.
  received(message, { fresh }) {
    // Only live ones count, and one's own (from another tab) is read.
    if (!fresh || message.room === this.current || this.isMe(message.user)) return false;
    this.unread.set(message.room, (this.unread.get(message.room) || 0) + 1);
    if (this.mentionsMe(message)) this.mentions.set(message.room, (this.mentions.get(message.room) || 0) + 1);
    return true;
  }

  unreadElsewhere() {
    return [...this.unread.values()].reduce((sum, n) => sum + n, 0);
  }

  // Return whether it changed the current room's typists.
  typingChanged(room, user, typing) {
    if (!this.typists.has(room)) this.typists.set(room, new Map());
    if (typing) this.typists.get(room).set(user.id, user.name);
    else this.typists.get(room).delete(user.id);
    return room === this.current;
  }

  typistNames() {
    return [...(this.typists.get(this.current) || new Map()).values()];
  }

  // The person types in the current room: return the room to tell the server of, or null
  // while the last word to it is recent enough.
  startTyping(now) {
    if (!this.current) return null;
    if (this.typingIn === this.current && now - this.typingSentAt < TYPING_RENEW_MS) return null;
    this.typingIn = this.current;
    this.typingSentAt = now;
    return this.current;
  }

  // The person stopped typing: return the room to tell the server of, or null.
  stopTyping() {
    const room = this.typingIn;
    this.typingIn = null;
    return room;
  }

  // Sending a message ends the typing state on the server.
  sentMessage() {
    this.typingIn = null;
  }

  // --- Saving -------------------------------------------------------------------------

  saveName(name) {
    this.tab.set("name", name);
    this.browser.set("name", name);
  }

  remember() {
    this.tab.set("rooms", this.joined);
    if (this.current) this.tab.set("room", this.current);
  }

  forget(room) {
    this.joined = this.joined.filter((r) => r !== room);
    for (const map of [this.people, this.typists, this.unread, this.mentions, this.seen]) map.delete(room);
    if (this.current === room || !this.current) this.current = this.joined[0] || null;
  }
}
