"""The live stores' interfaces: presence, rooms that exist, typing and the limits; in this process or in Redis."""

from abc import ABC, abstractmethod
from collections.abc import Callable

from ...model import Member, no_such_room, not_in_room
from ...validation import room_name

Clock = Callable[[], float]  # seconds: time.monotonic in one process, time.time (shared) with Redis
Departure = tuple[str, Member]  # (room, member): the member left the room, and the room is to be told
Resumed = tuple[str, str]  # (connection, host): a guest's earlier connection, and the process (host_id) that held it

UNIMPLEMENTED = "This method must be implemented in a subclass."


class Presence(ABC):
    """People online, per room; names unique among them by key (chat.names.name_key: a look-alike is the same name).

    A person is one or more connections with one person id. A person is in a room while any
    of their connections is; a stable person whose last connection drops stays in its
    rooms for ``grace_seconds``, so a quick reconnect does not flap them out and back in.
    ``host_id`` names this process among those sharing the store.
    """

    host_id: str

    @abstractmethod
    def connect(self, connection: str, person_id: str, name: str | None = None, stable: bool = True) -> Member:
        """Add ``connection`` for ``person_id``; return the person as others see them.

        A person already online keeps their name. A new one gets ``name`` (or a guest
        name), with a number added when someone online has the same name.
        """
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def connect_guest(
        self,
        connection: str,
        guest_id: str,
        name: str | None = None,
        browser: str | None = None,
        resumes: Resumed | None = None,
        opened: float | None = None,
    ) -> tuple[Member | None, list[Departure]]:
        """Add ``connection`` as guest ``guest_id`` of ``browser``; return (member, departures now).

        A guest has one connection at a time: while ``guest_id`` has an open one (a
        duplicated tab), add nothing and return (None, []), so the caller makes the
        newcomer a new guest. ``resumes`` is the guest's connection the client itself had
        before (proven by its resume secret), so the client is that guest's tab: every
        connection presence still holds for the guest that ``opened`` (the wall-clock time
        its Engine.IO session opened; None: unknown) before this one is one the tab left
        (that one, its process dead or stalled or not aware of the cut yet; or a later one
        whose welcome never reached the tab), and is dropped first, whichever process holds
        it, as a disconnect drops it but keeping the person and their name, so the client
        takes its person over at once. One opened after it is the tab's newer connection
        (this connect reached presence late, its process stopped meanwhile): it stays, and
        the late newcomer, whose client gave up on it, is a new guest. A new guest asking
        for a name held only by a guest of the same browser with no connection left (a tab
        closed within its grace period) gets that name, and that guest leaves their rooms
        now: those are the departures.
        """
        raise NotImplementedError(UNIMPLEMENTED)

    def disconnect(self, connection: str) -> list[Departure]:
        """Drop ``connection``; return the (room, member) departures that happen now.

        Rooms whose last connection of a stable person this was are kept for the grace
        period instead; ``expire`` reports them if the person has not come back.
        """
        return self.disconnect_known(connection)[1]

    @abstractmethod
    def disconnect_known(self, connection: str) -> tuple[bool, list[Departure]]:
        """Drop ``connection`` as ``disconnect`` does; return (whether presence still knew it, departures).

        A connection is unknown when it was never connected, was dropped already, or (with
        Redis) was dropped by other processes that took its process for dead: then those
        processes said it left, and its disconnect here must not say so again.
        """
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def enter(self, connection: str, room: str) -> tuple[Member, bool]:
        """Put ``connection`` in ``room``; return (member, whether the person is new to the room)."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def exit(self, connection: str, room: str) -> tuple[Member, bool]:
        """Take ``connection`` out of ``room``; return (member, whether the person left the room).

        Raise ChatError ``not_in_room`` if the connection is not in it.
        """
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def rename(self, connection: str, name: str | None) -> tuple[Member, str]:
        """Rename the person behind ``connection``; return (member, previous name)."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def member(self, connection: str) -> Member:
        """Return the person behind ``connection`` as others see them."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def rooms_of(self, connection: str) -> set[str]:
        """Return the rooms ``connection`` is in."""
        raise NotImplementedError(UNIMPLEMENTED)

    def require_in(self, connection: str, room: str) -> None:
        """Raise ChatError ``not_in_room`` unless ``connection`` is in ``room``."""
        if room not in self.rooms_of(connection):
            raise not_in_room(room)

    @abstractmethod
    def rooms_of_person(self, person_id: str) -> set[str]:
        """Return the rooms others see the person in (including those within their grace period)."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def connections_of_person(self, person_id: str) -> set[str]:
        """Return every open connection of the person, on any process."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def members(self, room: str) -> list[Member]:
        """Return the people in ``room`` (including those within their grace period), by name."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def occupied(self, room: str) -> bool:
        """Return whether anyone is in ``room``, or may come back to it."""
        raise NotImplementedError(UNIMPLEMENTED)

    @property
    @abstractmethod
    def people(self) -> int:
        """Return how many people are online, on every process."""
        raise NotImplementedError(UNIMPLEMENTED)

    @property
    @abstractmethod
    def connections(self) -> int:
        """Return how many connections are open, on every process."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def expire(self) -> list[Departure]:
        """End grace periods that ran out; return those (room, member) departures."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def heartbeat(self) -> bool:
        """Record this process as alive: call it every second or so, from the expiry loop.

        Return False if other processes took it for dead meanwhile and dropped its
        connections: its clients are online for nobody now, so disconnect them (they will
        reconnect, and be connected afresh).
        """
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def drop_silent_hosts(self) -> tuple[list[Departure], int]:
        """Drop the connections of other processes silent too long; return (departures, connections dropped).

        Their people get the grace period too, and those with none leave now, in the
        departures. Only the one call that drops a process counts its connections, so each
        is counted once among all processes.
        """
        raise NotImplementedError(UNIMPLEMENTED)


class Rooms(ABC):
    """Rooms that exist: the default one for good, created ones until they stay empty too long.

    ``default``, ``max_rooms`` and ``idle_seconds`` are attributes of every backend.
    """

    default: str
    max_rooms: int
    idle_seconds: float

    @abstractmethod
    def __contains__(self, room: str) -> bool:
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def names(self) -> list[str]:
        """Return the room names, sorted."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def create(self, room: str) -> str:
        """Create ``room``, empty; raise ChatError if it exists or the limit is reached."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def restore(self, room: str) -> None:
        """Bring back a room that existed before a restart, empty from now."""
        raise NotImplementedError(UNIMPLEMENTED)

    def require(self, room: object) -> str:
        """Return ``room`` if it exists; raise ChatError if not."""
        name: str = room_name(room)
        if name not in self:
            raise no_such_room(name)
        return name

    @abstractmethod
    def occupied(self, room: str, occupied: bool) -> None:
        """Record whether anyone is in ``room`` now."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def expire(self) -> list[str]:
        """Remove created rooms that have been empty for ``idle_seconds``; return their names."""
        raise NotImplementedError(UNIMPLEMENTED)


class Typing(ABC):
    """Typing states per (room, person), each ending ``timeout`` seconds after its last renewal."""

    @abstractmethod
    def start(self, room: str, member: Member) -> bool:
        """Start or renew ``member``'s typing in ``room``; return True if they were not typing there."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def stop(self, room: str, person_id: str) -> bool:
        """Stop typing; return True if the person was typing there."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def expire(self) -> list[Departure]:
        """End the states not renewed in time; return their (room, member) pairs."""
        raise NotImplementedError(UNIMPLEMENTED)


class FloodControl(ABC):
    """Give each connection an allowance of events that reconnecting does not refill.

    Every connection has a token bucket: ``burst`` events at once, refilled at ``rate`` a
    second. When a connection closes with a partly used bucket, the bucket is parked under
    its client address until it would be full again; the next connection from that
    address, on any process, takes over the most used parked bucket. So disconnecting and
    reconnecting never gives more than waiting would, while people behind one address
    still have one bucket each. A ``burst`` of 0 turns it off; ``rate`` is then unused.
    """

    burst: int
    rate: float

    @property
    def enabled(self) -> bool:
        """Return whether the allowance is counted at all."""
        return self.burst > 0

    @abstractmethod
    def open(self, connection: str, address: str | None) -> None:
        """Start counting events for a new ``connection`` from ``address`` (None: the server gave none)."""
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def take(self, connection: str) -> float:
        """Count one event; return 0 if allowed, else the seconds until one is.

        A connection that was never opened (or is closed) is not counted: return 0.
        """
        raise NotImplementedError(UNIMPLEMENTED)

    @abstractmethod
    def close(self, connection: str) -> None:
        """Stop counting for ``connection``, parking its bucket if it is not full."""
        raise NotImplementedError(UNIMPLEMENTED)


class RateLimit(ABC):
    """Count events per key (a person, a client address): a burst of ``burst``, refilled over ``period`` seconds.

    With several processes the limit holds for all of them together. A ``burst`` of 0 turns
    it off. A key's count is forgotten once its bucket is full again, so the state it keeps is
    bounded by the keys active within one ``period``.
    """

    burst: int
    period: float

    @abstractmethod
    def take(self, key: str) -> float:
        """Count one event for ``key``; return 0 if allowed, else the seconds until one is."""
        raise NotImplementedError(UNIMPLEMENTED)


class ConnectionLimit(RateLimit):
    """Limit new connections per client address: a burst of ``per_minute``, refilled over a minute."""
