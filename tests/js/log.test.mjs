// Each room's message log (static/log.js): ids in order, each message once, unsent lines at the
// bottom, the limit on lines kept. A small stand-in for the DOM: log.js only builds and moves
// elements, and puts user text in textContent.
import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";

import { LOG_LIMIT, Logs, messageLine, showDelivery, stamp } from "../../static/log.js";

class FakeElement {
  constructor(tag) {
    this.tagName = tag.toUpperCase();
    this.className = "";
    this.dataset = {};
    this.children = [];
    this.parent = null;
    this.listeners = {};
    this.ownText = "";
    this.scrollTop = 0;
    this.clientHeight = 100;
    const element = this;
    this.classList = {
      contains: (name) => element.className.split(" ").includes(name),
      toggle(name, on) {
        const names = new Set(element.className.split(" ").filter(Boolean));
        if (on) names.add(name);
        else names.delete(name);
        element.className = [...names].join(" ");
      },
    };
  }

  get textContent() {
    return this.ownText + this.children.map((child) => (typeof child === "string" ? child : child.textContent)).join("");
  }

  set textContent(text) {
    this.children = [];
    this.ownText = String(text);
  }

  get scrollHeight() {
    return 20 * this.children.length;
  }

  adopt(node) {
    if (typeof node !== "string") {
      node.remove();
      node.parent = this;
    }
    return node;
  }

  append(...nodes) {
    for (const node of nodes) this.children.push(this.adopt(node));
  }

  after(...nodes) {
    const siblings = this.parent.children;
    siblings.splice(siblings.indexOf(this) + 1, 0, ...nodes.map((node) => this.parent.adopt(node)));
  }

  insertBefore(node, next) {
    this.adopt(node);
    const index = next === null ? this.children.length : this.children.indexOf(next);
    this.children.splice(index, 0, node);
  }

  replaceChildren(...nodes) {
    for (const child of this.children) if (typeof child !== "string") child.parent = null;
    this.children = [];
    this.append(...nodes);
  }

  remove() {
    if (!this.parent) return;
    this.parent.children.splice(this.parent.children.indexOf(this), 1);
    this.parent = null;
  }

  querySelector(selector) {
    for (const child of this.children) {
      if (typeof child === "string") continue;
      if (child.classList.contains(selector.slice(1))) return child;
      const found = child.querySelector(selector);
      if (found) return found;
    }
    return null;
  }

  addEventListener(type, listener) {
    this.listeners[type] = listener;
  }

  getBoundingClientRect() {
    return { top: 0, bottom: 10 };
  }
}

beforeEach(() => {
  globalThis.document = { createElement: (tag) => new FakeElement(tag) };
});

const line = (text) => messageLine("Alice", text);
// A line as chat.js adds a stored message: stamped with its id first.
function stored(text, id) {
  const item = line(text);
  stamp(item, { id, user: { name: "Alice" }, ts: 0 });
  return item;
}
const texts = (log) => log.lines.map((item) => item.querySelector(".text").textContent);

describe("messageLine, stamp and showDelivery", () => {
  it("puts the author and the text in as text, and the stored id and time in with stamp", () => {
    const item = messageLine("<b>Alice</b>", "<img src=x onerror=alert(1)>");
    assert.equal(item.querySelector(".author").textContent, "<b>Alice</b>");
    assert.equal(item.querySelector(".text").textContent, "<img src=x onerror=alert(1)>");
    stamp(item, { id: 12, user: { name: "Alice 2" }, ts: Date.UTC(2026, 0, 2, 3, 4, 5) });
    assert.equal(item.dataset.id, "12");
    assert.equal(item.querySelector(".author").textContent, "Alice 2");
    assert.equal(item.querySelector(".time").dateTime, "2026-01-02T03:04:05.000Z");
  });

  it("labels the delivery state in words, with the reason and the actions of a failure", () => {
    const item = line("hello");
    showDelivery(item, "pending");
    assert.equal(item.dataset.delivery, "pending");
    assert.equal(item.classList.contains("unsent"), true);
    assert.equal(item.querySelector(".delivery").textContent, "pending");
    let retried = 0;
    showDelivery(item, "failed", "too_long", [["Retry", () => retried++]]);
    assert.equal(item.querySelector(".delivery").textContent, "failed: too_long");
    item.querySelector(".actions").children[0].listeners.click();
    assert.equal(retried, 1);
    showDelivery(item, "sent");
    assert.equal(item.classList.contains("unsent"), false);
    assert.equal(item.querySelector(".actions"), null);
  });
});

describe("a room's log", () => {
  it("places messages by id, whatever order they arrive in, and each id once", () => {
    const log = new Logs(new FakeElement("ol")).of("general");
    assert.equal(log.addMessage(stored("three", 3), 3), true);
    assert.equal(log.addMessage(stored("one", 1), 1), true);
    assert.equal(log.addMessage(stored("two", 2), 2), true);
    assert.equal(log.addMessage(stored("two again", 2), 2), false);
    assert.deepEqual(texts(log), ["one", "two", "three"]);
    assert.equal(log.oldest(), 1);
    assert.equal(log.newest, 3);
  });

  it("keeps unsent lines at the bottom, below messages and notices that arrive after them", () => {
    const log = new Logs(new FakeElement("ol")).of("general");
    log.addMessage(stored("one", 1), 1);
    const mine = line("mine");
    showDelivery(mine, "pending");
    log.addUnsent(mine);
    log.addMessage(stored("two", 2), 2);
    const notice = document.createElement("li");
    notice.append(Object.assign(document.createElement("span"), { className: "text", textContent: "Bob joined" }));
    log.addNotice(notice);
    assert.deepEqual(texts(log), ["one", "two", "Bob joined", "mine"]);
  });

  it("settles an unsent line where it stands when its id is the newest, else moves it to its place", () => {
    const log = new Logs(new FakeElement("ol")).of("general");
    log.addMessage(stored("one", 1), 1);
    const mine = line("mine");
    showDelivery(mine, "pending");
    log.addUnsent(mine);
    showDelivery(mine, "sent");
    stamp(mine, { id: 5, user: { name: "Alice" }, ts: 0 });
    assert.equal(log.settle(mine, 5), true);
    assert.deepEqual(texts(log), ["one", "mine"]);
    assert.equal(log.settle(stored("dup", 5), 5), false);

    const late = line("late");
    showDelivery(late, "pending");
    log.addUnsent(late);
    log.addMessage(stored("nine", 9), 9);
    showDelivery(late, "sent");
    stamp(late, { id: 7, user: { name: "Alice" }, ts: 0 });
    assert.equal(log.settle(late, 7), true);
    assert.deepEqual(texts(log), ["one", "mine", "late", "nine"]);
  });

  it("keeps LOG_LIMIT lines as new messages arrive, then has older ones to load", () => {
    const log = new Logs(new FakeElement("ol")).of("general");
    for (let id = 1; id <= LOG_LIMIT + 2; id++) log.addMessage(stored(`m${id}`, id), id);
    assert.equal(log.lines.length, LOG_LIMIT);
    assert.equal(log.oldest(), 3);
    assert.equal(log.more, true);
    assert.equal(log.addMessage(stored("m1", 1), 1), true); // loading an older one pushes nothing out
    assert.equal(log.lines.length, LOG_LIMIT + 1);
    assert.equal(log.oldest(), 1);
  });

  it("forgets the ids of its lines when the server numbered the room afresh", () => {
    const log = new Logs(new FakeElement("ol")).of("general");
    log.addMessage(stored("one", 1), 1);
    log.seen(1);
    log.renumbered();
    assert.equal(log.lastSeen, null);
    assert.equal(log.oldest(), null);
    assert.equal(log.addMessage(stored("new one", 1), 1), true);
    assert.deepEqual(texts(log), ["one", "new one"]);
  });

  it("remembers the highest id seen from the server", () => {
    const log = new Logs(new FakeElement("ol")).of("general");
    log.seen(4);
    log.seen(2);
    assert.equal(log.lastSeen, 4);
  });
});

describe("Logs", () => {
  it("shows one room's lines in the view at a time, and adds to the view the room shown", () => {
    const view = new FakeElement("ol");
    const logs = new Logs(view);
    logs.of("general").addMessage(stored("in general", 1), 1);
    logs.of("music").addMessage(stored("in music", 1), 1);
    logs.show("general");
    assert.deepEqual(view.children.map((item) => item.querySelector(".text").textContent), ["in general"]);
    logs.of("general").addMessage(stored("more", 2), 2);
    logs.of("music").addMessage(stored("elsewhere", 2), 2);
    assert.equal(view.children.length, 2);
    logs.show("music");
    assert.deepEqual(view.children.map((item) => item.querySelector(".text").textContent), ["in music", "elsewhere"]);
    assert.deepEqual(logs.keys(), ["general", "music"]);
    logs.delete("music");
    assert.equal(logs.shown, null);
    assert.equal(logs.has("music"), false);
  });
});
