"""The fault suite's clients: full-protocol and original-protocol ones, each a thread sending the whole time.

Each talks to the servers through a relay of its own (support.relay.TcpProxy), which the
scenario, and the client itself at the worst moments, cut. Each records what its application
saw into the run's records (support.faults.checker), and behaves as a stock client would:

- Events that arrive before the Socket.IO CONNECT are held and handed on at the next CONNECT,
  a later connection's too: socket.io-client 4.x keeps them in its receive buffer, which a
  dying transport does not clear (``StockClient``). Events that arrive after the client
  itself disconnected (or gave up a connect), or after the server's DISCONNECT, are
  dropped, as socket.io-client drops them: it no longer listens to that connection.
- After a lost transport it reconnects by itself; after a Socket.IO DISCONNECT from the server
  it stays offline, as socket.io-client does (reason ``io server disconnect``), until healing
  (a person reloading the page).
- A full-protocol client reconnects with its guest credential (and resume secret, once the
  server gives one), and ``lastSeen`` the last id its application has of each conversation;
  it sends each message with a ``clientId`` and resends it until acknowledged.
- An original-protocol client sends ``newMessage`` and never resends: at most once.
"""

import random
import threading
import time
from dataclasses import dataclass

import socketio
from engineio.payload import Payload

from support.clients import InOrderEngineIOClient

from .checker import Connection, FullClient, OriginalClient, Run, Sent

ACK_TIMEOUT = 5  # seconds a send waits for its acknowledgement before it counts as pending
CONNECT_TIMEOUT = 5  # seconds a connect waits for CONNECT (a stopped process never answers)
UNSERVED_AFTER = (
    8  # seconds of sends all refused `internal` or unanswered on one connection before the client gives it up
)


@dataclass(frozen=True)
class Odds:
    """How often a client cuts its own connection at a worst moment: right after a send, during a connect, a catch-up."""

    after_send: float = 0.03
    during_connect: float = 0.15
    during_catch_up: float = 0.3


class StockClient(socketio.Client):
    """python-socketio's client, handing events on as socket.io-client 4.x does; ``on_wire`` sees each as it arrives."""

    def __init__(self, on_wire):
        super().__init__(reconnection=False)
        self.held = []  # events received before CONNECT, handed on at the next CONNECT
        self.on_wire = on_wire  # called with (event, its arguments, whether CONNECT has not come yet)
        self.listening = False  # from connect() until the client disconnects or the server does

    def _engineio_client_class(self):
        return InOrderEngineIOClient

    def connect(self, *args, **kwargs):
        """Connect; a connect given up (no CONNECT in time) stops listening, as ``disconnect`` does."""
        self.listening = True
        try:
            super().connect(*args, **kwargs)
        except Exception:
            self.listening = False
            raise

    def disconnect(self):
        """Stop listening to the connection, then end it.

        python-engineio's reading loop still hands on what arrives while the WebSocket
        closes (the server's goodbye may wait seconds on a stopped process), and python-socketio,
        its namespace gone, would count it as arriving before the next CONNECT. socket.io-client's
        ``disconnect()`` first unsubscribes the socket from its connection (``destroy()``), so
        none of it reaches the application, then or at the next CONNECT.
        """
        self.listening = False
        super().disconnect()

    def _handle_event(self, namespace, id, data):
        if not self.listening:
            return  # after the client's disconnect or the server's: socket.io-client drops it
        early = (namespace or "/") not in self.namespaces
        self.on_wire(data[0], data[1:], early)
        if early:
            self.held.append((namespace, id, data))
            return
        super()._handle_event(namespace, id, data)

    def _handle_disconnect(self, namespace):
        # As python-socketio's, but the Engine.IO session is closed from another thread: this
        # one is its reading loop (events are handled in order on it), which cannot join itself.
        if not self.connected:
            return
        self.listening = False  # socket.io-client's ondisconnect() destroys the socket: nothing after it arrives
        namespace = namespace or "/"
        self._trigger_event("disconnect", namespace, self.reason.SERVER_DISCONNECT)
        self._trigger_event("__disconnect_final", namespace)
        self.namespaces.pop(namespace, None)
        if not self.namespaces:
            self.connected = False
            threading.Thread(target=self.eio.disconnect, daemon=True).start()

    def _handle_connect(self, namespace, data):
        super()._handle_connect(namespace, data)
        held, self.held = self.held, []
        for event in held:
            super()._handle_event(*event)


class SimulatedClient:
    """A client in its own thread: connects through its relay, sends, records; ``stop`` ends it."""

    def __init__(self, name, relay, seed, run: Run, odds: Odds):
        Payload.max_decode_packets = 100_000  # a catch-up after a cut is many packets in one go
        self.name = name
        self.relay = relay
        self.run = run
        self.odds = odds
        self.rng = random.Random(f"{seed}-{name}")  # the sending thread's decisions
        self.event_rng = random.Random(f"{seed}-{name}-events")  # the receiving thread's
        self.seq = 0
        self.faults = True  # cut itself at the worst moments; off while healing
        self.sending = True
        self.offline = False  # disconnected by the server: stays so until healing
        self.told = False  # a chat-error came just before the server's DISCONNECT
        self.stopped = threading.Event()
        self.last_answer = None  # the latest acknowledgement, for the scenario's reports
        self.failing_since = None  # when this connection's sends began to fail, if they all do since
        self.client = StockClient(self._on_wire)
        self.client.on("chat-error", self._chat_error)
        self.client.on("disconnect", self._disconnected)
        self.thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        """End the thread, then the connection."""
        self.stopped.set()
        self.thread.join(ACK_TIMEOUT + CONNECT_TIMEOUT + 5)
        try:
            self.client.disconnect()
        except Exception:  # noqa: BLE001 - the connection may be half gone; nothing is recorded any more
            pass

    def _on_wire(self, event, args, early):
        pass

    def _chat_error(self, error):
        self.told = bool(isinstance(error, dict) and error.get("code"))

    def _disconnected(self, reason=None):
        if reason == self.client.reason.SERVER_DISCONNECT:
            if not self.told:
                self.record.left_offline += 1
            # Offline until healing; while healing (a resumed process drops its clients) it reloads at once.
            self.offline = self.faults
        self.told = False

    def __repr__(self):
        connected = "connected" if self.online() else "offline" if self.offline else "not connected"
        return f"<{self.name} {connected}, last answer {self.last_answer!r}>"

    def reload(self):
        """Come back after the server disconnected this client, as a person reloading the page would."""
        self.offline = False

    def online(self):
        """Tell whether the client is connected; clear a connection whose transport died as it connected.

        python-socketio's connect() sets ``connected`` after CONNECT has arrived: a transport
        lost in between (a cut during the connect) leaves it set on a dead session.
        """
        if self.client.connected and self.client.eio.state != "connected":
            self.client.connected = False
            self.client.namespaces = {}
        return self.client.connected

    # The thread: connect when not connected, else send one message; until stopped.

    def _loop(self):
        delay = 0.1
        while not self.stopped.is_set():
            if not self.online():
                if self.offline or not self._connect():
                    self.stopped.wait(delay)
                    delay = min(delay * 2, 1.0)
                continue
            delay = 0.1
            if self.sending or self.pending():
                self._send()
                self.stopped.wait(self.rng.uniform(0.1, 0.6))
            else:
                self.stopped.wait(0.1)

    def _connect(self):
        """Connect once (cut during it, at the odds); return whether it connected."""
        if self.faults and self.rng.random() < self.odds.during_connect:
            threading.Timer(self.rng.uniform(0, 0.2), self.relay.drop).start()
        try:
            self.client.connect(
                self.relay.url, transports=["websocket"], auth=self.auth(), wait_timeout=CONNECT_TIMEOUT, retry=False
            )
            self.failing_since = None
            return True
        except (socketio.exceptions.ConnectionError, ValueError, OSError):
            try:
                self.client.eio.disconnect(abort=True)
            except Exception:  # noqa: BLE001 - a half-open session: nothing more to close
                pass
            return False

    def _emit(self, event, data):
        """Emit ``event`` and wait for its acknowledgement; cut right after, at the odds. Return it, or None."""
        answered = threading.Event()
        answer = []
        self.told = False

        def acknowledged(*args):
            answer.append(args[0] if args else None)
            answered.set()

        try:
            self.client.emit(event, data, callback=acknowledged)
        except socketio.exceptions.BadNamespaceError:
            return None
        if self.faults and self.rng.random() < self.odds.after_send:
            self.relay.drop()
        answered.wait(ACK_TIMEOUT)
        self.last_answer = answer[0] if answer else "no acknowledgement"
        self._judge_service(answer[0] if answer else None)
        return answer[0] if answer else None

    def _judge_service(self, answer):
        """Give up a connection that refuses every send (`internal`, `not_in_room`), or answers none, for UNSERVED_AFTER seconds.

        A stopped process or a database restart refuses for a moment; longer, the connection
        is broken on the server's side while open on the client's (the suite's clients send
        only where they asked to be at connect): it counts (``unserved``), and the client
        connects again, as a person would reload the page.
        """
        if isinstance(answer, dict) and answer.get("ok"):
            self.failing_since = None
            return
        now = time.monotonic()
        self.failing_since = self.failing_since or now
        if now - self.failing_since >= UNSERVED_AFTER and self.online():
            self.record.unserved += 1
            self.failing_since = None
            self.client.disconnect()

    def auth(self):
        raise NotImplementedError

    def pending(self):
        return False

    def _send(self):
        raise NotImplementedError


class FullProtocolClient(SimulatedClient):
    """A full-protocol client in the conversations given; keeps its view by id, resends until acknowledged."""

    def __init__(self, name, relay, seed, run, odds, conversations):
        super().__init__(name, relay, seed, run, odds)
        self.conversations = conversations
        self.record = FullClient(name)
        run.full.append(self.record)
        self.last = dict.fromkeys(conversations, 0)
        self.guest = None
        self.resume = None
        self.unsent = []  # (conversation, text, clientId) not acknowledged yet, oldest first
        self.connection = Connection()
        self.cut_catch_up = False
        for event, handler in {
            "welcome": self._welcome,
            "history": self._history,
            "room-message": self._room_message,
        }.items():
            self.client.on(event, handler)

    def _on_wire(self, event, args, early):
        """Count what comes before CONNECT; cut at the first catch-up chunk, at the odds (held or not, as it arrives)."""
        self.connection.before_connect += early
        if event in ("history", "room-message") and args and isinstance(args[0], dict):
            messages = args[0].get("messages", [args[0]]) if event == "history" else [args[0]]
            arrived = self.connection.arrived.setdefault(args[0].get("room"), [])
            arrived += [message.get("id") for message in messages]
        if event == "history" and self.cut_catch_up and args and "after" in args[0]:
            self.cut_catch_up = False
            self.relay.drop()

    def auth(self):
        self.connection = Connection()
        self.record.connections.append(self.connection)
        self.cut_catch_up = self.faults and self.event_rng.random() < self.odds.during_catch_up
        self.connection.last_seen = dict(self.last)
        auth = {"protocol": 2, "name": self.name, "rooms": self.conversations, "lastSeen": dict(self.last)}
        if self.guest:
            auth["guest"] = self.guest
        if self.resume:
            auth["resume"] = self.resume  # the resume secret of issue 19, once the server gives one
        return auth

    def _welcome(self, welcome):
        self.connection.welcomes.append(welcome["user"]["id"])
        self.guest = welcome.get("guest", self.guest)
        self.resume = welcome.get("resume", self.resume)

    def _history(self, history):
        self._deliver(history["room"], history["messages"])

    def _room_message(self, message):
        self._deliver(message["room"], [message])

    def _deliver(self, conversation, messages):
        received = self.record.received.setdefault(conversation, [])
        for message in messages:
            received.append((message["id"], message["text"]))
            self.last[conversation] = max(self.last.get(conversation, 0), message["id"])

    def pending(self):
        return bool(self.unsent)

    def _send(self):
        if not self.unsent:
            self.seq += 1
            self.unsent.append(
                (self.rng.choice(self.conversations), f"{self.name}:{self.seq}", f"{self.name}-{self.seq}")
            )
        conversation, text, client_id = self.unsent[0]
        sent = Sent(self.name, conversation, text)
        self.run.sent.append(sent)
        ack = self._emit("send-message", {"room": conversation, "text": text, "clientId": client_id})
        if isinstance(ack, dict) and ack.get("ok"):
            sent.acked, sent.id = True, ack["message"]["id"]
            self.unsent.pop(0)


class OriginalProtocolClient(SimulatedClient):
    """A client of the original gateway: sends ``newMessage`` strings, records each ``message``, never resends."""

    def __init__(self, name, relay, seed, run, odds):
        super().__init__(name, relay, seed, run, odds)
        self.record = OriginalClient(name)
        run.original.append(self.record)
        self.client.on("message", self.record.received.append)

    def auth(self):
        return None

    def _send(self):
        self.seq += 1
        sent = Sent(self.name, "general", f"{self.name}:{self.seq}")
        self.run.sent.append(sent)
        ack = self._emit("newMessage", sent.text)
        sent.acked = isinstance(ack, dict) and ack.get("ok") is True


def wait_until(condition, timeout, step=0.1):
    """Poll ``condition`` until true or ``timeout`` seconds; return whether it became true."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(step)  # the clients' states have no single event to wait on
    return True
