// Moderation on the page: who may moderate here (an administrator everywhere, a room's owner
// in it), the Remove button on others' messages, Mute and Ban beside the people, for the
// duration picked, and the text of the room's moderation notices. The server checks every
// action: these buttons only spare others the offer of what they may not do. Takes the
// socket and what it needs as arguments; user text reaches the page through textContent only.
import { el } from "./log.js";

export class Moderation {
  // me(): this person, {id, name}. duration(): the seconds picked. tools: the duration picker's
  // element, shown where this person may moderate. onError(text): a refusal to show.
  constructor(socket, { me, duration, tools, onError }) {
    this.socket = socket;
    this.me = me;
    this.duration = duration;
    this.tools = tools;
    this.onError = onError;
    this.admin = false;
    this.owners = new Map(); // room -> its owner's person id, from presence
    this.messages = new WeakMap(); // line -> the message it shows, to offer Remove again when rights change
  }

  welcome({ admin }) {
    this.admin = admin === true;
  }

  presence({ room, owner }) {
    if (owner) this.owners.set(room, owner);
    else this.owners.delete(room);
  }

  may(room) {
    if (!room || room.startsWith("dm:")) return false; // direct messages are not moderated
    return this.admin || (this.owners.get(room) !== undefined && this.owners.get(room) === this.me()?.id);
  }

  // Offer Remove on a line of someone else's message, where this person may moderate.
  decorate(line, message) {
    this.messages.set(line, message);
    line.querySelector(".moderation-actions")?.remove();
    if (message.deleted || line.classList.contains("deleted") || message.user.id === this.me()?.id || !this.may(message.room)) return;
    const actions = el("span", "moderation-actions");
    actions.append(this.button("Remove", "remove-message",
      () => this.request("remove-message", { room: message.room, id: message.id })));
    line.append(actions);
  }

  // Offer Remove again on ``lines`` (a room's, on entering it): who may moderate may have changed.
  redecorate(lines) {
    for (const line of lines) {
      const message = this.messages.get(line);
      if (message) this.decorate(line, message);
    }
  }

  // The Mute and Ban buttons beside another person in ``room``, or none.
  controls(user, room) {
    if (!this.may(room)) return [];
    const act = (event) => () => this.request(event, { room, person: user.id, seconds: this.duration() });
    return [this.button("Mute", "mute", act("mute"), `Mute ${user.name}`),
      this.button("Ban", "ban", act("ban"), `Ban ${user.name}`)];
  }

  // Show the duration picker where this person may moderate.
  drawn(room) {
    if (this.tools) this.tools.hidden = !this.may(room);
  }

  // The notice a moderation event shows in its room.
  noticeOf({ action, by, person, until, reason }) {
    const who = person ? person.name ?? person.id : "";
    const when = until ? new Date(until).toLocaleTimeString() : "";
    const why = reason ? `: ${reason}` : "";
    if (action === "remove-message") return `${by.name} removed a message`;
    if (action === "ban") return `${by.name} banned ${who} from the room until ${when}${why}`;
    if (action === "mute") return `${by.name} muted ${who} until ${when}${why}`;
    if (action === "unban") return `${by.name} lifted ${who}'s ban`;
    if (action === "unmute") return `${by.name} lifted ${who}'s mute`;
    return `${by.name}: ${action}`;
  }

  // A quiet button: its label comes from CSS (chat.css: content: attr(data-label)), so the line's
  // and the person's text stay theirs.
  button(text, className, act, label = text) {
    const button = el("button", `link-button moderate ${className}`);
    button.dataset.label = text;
    button.setAttribute("aria-label", label);
    button.type = "button";
    button.addEventListener("click", act);
    return button;
  }

  // The room is told, this tab included: the live events draw the change, not the acknowledgement.
  request(event, payload) {
    this.socket.emit(event, payload, (ack) => {
      if (!(ack && ack.ok)) this.onError(ack ? ack.error : "no answer");
    });
  }
}
