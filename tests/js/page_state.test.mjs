// The page's state (static/page_state.js) on its own: no DOM, no socket, stores in memory.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { PageState, TYPING_RENEW_MS, store } from "../../static/page_state.js";

// A Storage of its own (the part page_state.js uses), so each test starts empty.
function memoryArea(initial = {}) {
  const items = new Map(Object.entries(initial));
  return {
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    setItem: (key, value) => items.set(key, String(value)),
    removeItem: (key) => items.delete(key),
    items,
  };
}

function makeState({ tab = {}, browser = {} } = {}) {
  const tabArea = memoryArea(tab);
  const browserArea = memoryArea(browser);
  const state = new PageState({ tab: store(() => tabArea), browser: store(() => browserArea) });
  return { state, tabArea, browserArea };
}

const alice = { id: "p-alice", name: "Alice", guest: false };
const bob = { id: "p-bob", name: "Bob", guest: false };
const me = { id: "p-me", name: "Me", guest: true };

function welcomed(state, extra = {}) {
  state.handshake(() => null);
  state.welcome({ user: me, guest: "g-1", defaultRoom: "general", rooms: ["general", "music"], ...extra });
  return state;
}

describe("store", () => {
  it("keeps JSON under chat.<key> and reads back null for anything unusable", () => {
    const area = memoryArea({ "chat.broken": "{not json" });
    const kept = store(() => area);
    kept.set("rooms", ["a", "b"]);
    assert.equal(area.getItem("chat.rooms"), '["a","b"]');
    assert.deepEqual(kept.get("rooms"), ["a", "b"]);
    assert.equal(kept.get("broken"), null);
    assert.equal(kept.get("missing"), null);
  });

  it("forgets quietly when storage is off", () => {
    const off = store(() => { throw new Error("SecurityError"); });
    off.set("name", "Alice");
    assert.equal(off.get("name"), null);
  });
});

describe("PageState", () => {
  it("starts from what the tab remembers, else the browser's last name", () => {
    const { state } = makeState({ tab: { "chat.rooms": '["music", 3]', "chat.room": '"music"' },
                                  browser: { "chat.name": '"Alice"' } });
    assert.equal(state.name, "Alice");
    assert.deepEqual(state.joined, ["music"]);
    assert.equal(state.current, "music");
    assert.equal(makeState({ tab: { "chat.name": '"Tab"' }, browser: { "chat.name": '"Browser"' } }).state.name, "Tab");
  });

  it("asks in its handshake for the name, guest, rooms and last messages it has", () => {
    const { state } = makeState({ tab: { "chat.rooms": '["general", "music"]', "chat.guest": '"g-1"' } });
    state.nameChosen("Alice");
    const auth = state.handshake((room) => (room === "music" ? 41 : null));
    assert.deepEqual(auth, { protocol: 2, name: "Alice", guest: "g-1", rooms: ["general", "music"],
                             lastSeen: { music: 41 } });
    state.signedIn("a.jwt.token");
    const signed = state.handshake(() => null);
    assert.equal(signed.token, "a.jwt.token");
    assert.equal(signed.guest, undefined);
  });

  it("resumes its person with the secret of its last welcome, kept in memory, never in storage", () => {
    const { state, tabArea, browserArea } = makeState();
    welcomed(state, { resume: "r-1" });
    assert.deepEqual(state.handshake(() => null), { protocol: 2, guest: "g-1", rooms: ["general"], resume: "r-1" });
    assert.ok(![...tabArea.items.values(), ...browserArea.items.values()].some((value) => value.includes("r-1")));
    // A duplicated tab copies sessionStorage: its credential without the secret.
    const copy = makeState({ tab: Object.fromEntries(tabArea.items) }).state;
    assert.deepEqual(copy.handshake(() => null), { protocol: 2, guest: "g-1", rooms: ["general"] });
  });

  it("asks for no rooms in a first handshake", () => {
    assert.deepEqual(makeState().state.handshake(() => 1), { protocol: 2 });
  });

  it("enters the default room on welcome when it asked for none, and remembers the guest", () => {
    const { state, tabArea } = makeState();
    welcomed(state);
    assert.deepEqual(state.joined, ["general"]);
    assert.equal(state.current, "general");
    assert.deepEqual(state.me, me);
    assert.equal(tabArea.getItem("chat.guest"), '"g-1"');
    assert.equal(tabArea.getItem("chat.rooms"), '["general"]');
  });

  it("keeps on welcome only the asked rooms that still exist", () => {
    const { state } = makeState({ tab: { "chat.rooms": '["general", "gone"]', "chat.room": '"gone"' } });
    welcomed(state);
    assert.deepEqual(state.joined, ["general"]);
    assert.equal(state.current, "general");
  });

  it("takes the server's unread counts on welcome, for joined rooms only", () => {
    const { state } = makeState({ tab: { "chat.rooms": '["general", "music"]' } });
    welcomed(state, { unread: { music: { count: 3, mentions: 1, readUpTo: 7 },
                                jazz: { count: 9, mentions: 0, readUpTo: 2 } } });
    assert.deepEqual([...state.unread], [["music", 3]]);
    assert.deepEqual([...state.mentions], [["music", 1]]);
    assert.equal(state.readUpTo.get("jazz"), 2);
    assert.equal(state.unreadElsewhere(), 3);
  });

  it("counts live messages of other rooms as unread, and mentions of this person", () => {
    const { state } = makeState({ tab: { "chat.rooms": '["general", "music"]' } });
    welcomed(state);
    assert.equal(state.received({ room: "music", user: alice, mentions: [me.id] }, { fresh: true }), true);
    assert.equal(state.received({ room: "music", user: alice }, { fresh: false }), false);
    assert.equal(state.received({ room: "general", user: alice }, { fresh: true }), false);
    assert.equal(state.received({ room: "music", user: me }, { fresh: true }), false);
    assert.equal(state.unread.get("music"), 1);
    assert.equal(state.mentions.get("music"), 1);
    state.switchedTo("music");
    assert.equal(state.unread.has("music"), false);
    assert.equal(state.mentions.has("music"), false);
  });

  it("follows a read marker moved on another device, except in the room shown", () => {
    const { state } = makeState({ tab: { "chat.rooms": '["general", "music"]' } });
    welcomed(state);
    state.markerMoved({ room: "music", id: 10, unread: 2, mentions: 0 });
    assert.equal(state.unread.get("music"), 2);
    assert.equal(state.readUpTo.get("music"), 10);
    state.markerMoved({ room: "music", id: 5, unread: 0, mentions: 0 });
    assert.equal(state.unread.has("music"), false);
    assert.equal(state.readUpTo.get("music"), 10);
    state.unread.set("general", 4);
    state.markerMoved({ room: "general", id: 3, unread: 4, mentions: 0 });
    assert.equal(state.unread.get("general"), 4);
  });

  it("tells the server a room is read only past what it knows", () => {
    const { state } = makeState();
    welcomed(state);
    assert.equal(state.toMarkRead(null), null);
    assert.equal(state.toMarkRead(5), 5);
    state.markerMoved({ room: "general", id: 5, unread: 0, mentions: 0 });
    assert.equal(state.toMarkRead(5), null);
    assert.equal(state.toMarkRead(6), 6);
  });

  it("finds @mentions by the longest name the text goes on with, once each", () => {
    const { state } = makeState();
    welcomed(state);
    const ann = { id: "p-ann", name: "Ann", guest: false };
    const annMarie = { id: "p-am", name: "Ann Marie", guest: false };
    state.presence("general", [ann, annMarie, alice]);
    assert.deepEqual(state.mentionedIn("hi @ann marie and @ANN, @alice @alice"), ["p-am", "p-ann", "p-alice"]);
    assert.deepEqual(state.mentionedIn("@annie @alicealice mail@"), []);
  });

  it("keeps who joins, leaves and is renamed in the rooms it follows", () => {
    const { state } = makeState();
    welcomed(state);
    assert.equal(state.memberJoined("general", alice), false); // no presence yet: not followed
    state.presence("general", [me]);
    assert.equal(state.memberJoined("general", alice), true);
    state.typingChanged("general", alice, true);
    assert.deepEqual(state.typistNames(), ["Alice"]);
    assert.deepEqual(state.memberRenamed({ ...alice, name: "Alicia" }), ["general"]);
    assert.deepEqual(state.typistNames(), ["Alicia"]);
    assert.equal(state.headcount("general"), 2);
    assert.equal(state.memberLeft("general", alice), true);
    assert.deepEqual(state.typistNames(), []);
    assert.equal(state.headcount("general"), 1);
  });

  it("renames this person, noting a number added to a taken name", () => {
    const { state, tabArea, browserArea } = makeState();
    welcomed(state);
    state.renamed("Alice", { ...me, name: "Alice 2" });
    assert.equal(state.me.name, "Alice 2");
    assert.match(state.nameNote, /taken/);
    assert.equal(tabArea.getItem("chat.name"), '"Alice"');
    assert.equal(browserArea.getItem("chat.name"), '"Alice"');
  });

  it("goes offline asking for another name when the server refuses this one", () => {
    const { state, browserArea } = makeState();
    state.nameChosen("bad");
    state.nameRefusedFor("too long");
    assert.equal(state.status, "offline");
    assert.equal(state.nameRefused && state.nameInvalid, true);
    assert.match(state.error, /too long/);
    assert.equal(browserArea.getItem("chat.name"), "null");
    state.connected();
    assert.equal(state.nameRefused, false);
  });

  it("asks for a new token once in a row after a refusal", () => {
    const { state } = makeState();
    assert.equal(state.renewToken(), true);
    assert.equal(state.renewToken(), false);
    state.connected();
    assert.equal(state.renewToken(), true);
  });

  it("leaves a room, moving to another joined one", () => {
    const { state } = makeState({ tab: { "chat.rooms": '["general", "music"]', "chat.room": '"music"' } });
    welcomed(state);
    assert.equal(state.current, "music");
    assert.equal(state.left("music"), true);
    assert.equal(state.current, "general");
    assert.deepEqual(state.joined, ["general"]);
    assert.equal(state.roomRemoved("general"), true);
    assert.equal(state.current, null);
    assert.deepEqual(state.rooms, ["music"]);
  });

  it("lists rooms with their headcounts, sorted as they are created", () => {
    const { state } = makeState();
    welcomed(state);
    state.roomCreated("art");
    state.roomCreated("art");
    assert.deepEqual(state.rooms, ["art", "general", "music"]);
    state.roomsListed([{ name: "general", people: 3 }, { name: "jazz", people: 2 }]);
    assert.equal(state.headcount("jazz"), 2);
  });

  it("names a direct message by the other person, and counts it as joined", () => {
    const { state } = makeState();
    state.dmOpened({ id: "dm:abc", with: bob });
    assert.equal(state.isDm("dm:abc") && state.isJoined("dm:abc"), true);
    assert.equal(state.titleOf("dm:abc"), "Direct messages with Bob");
    assert.equal(state.titleOf("general"), "general");
  });

  it("keeps who has read this person's messages, never this person", () => {
    const { state } = makeState();
    welcomed(state);
    state.readBy("general", alice, 5);
    state.readBy("general", alice, 3); // a marker never goes back
    state.readBy("general", bob, 8);
    state.readBy("general", me, 9);
    assert.deepEqual(state.seenBy("general", 5), ["Alice", "Bob"]);
    assert.deepEqual(state.seenBy("general", 6), ["Bob"]);
  });

  it("renews the typing state at most every TYPING_RENEW_MS, and ends it once", () => {
    const { state } = makeState();
    welcomed(state);
    assert.equal(state.startTyping(1000), "general");
    assert.equal(state.startTyping(1000 + TYPING_RENEW_MS - 1), null);
    assert.equal(state.startTyping(1000 + TYPING_RENEW_MS), "general");
    assert.equal(state.stopTyping(), "general");
    assert.equal(state.stopTyping(), null);
    state.startTyping(99999);
    state.sentMessage();
    assert.equal(state.stopTyping(), null);
  });
});
