"""The port: how the core announces what happened, without knowing of Socket.IO.

The core names who hears an event by connection id, by group (chat/model.py names the
groups) or by person; chat/events.py implements this over Socket.IO, and a core test passes
a fake that records what was sent.
"""

from collections.abc import Sequence
from typing import Any, Protocol

Event = dict[str, Any]  # an event's payload: a JSON object
Groups = str | Sequence[str]  # one group, or several (each connection hears the event once)
Skip = str | Sequence[str] | None  # connection ids that must not hear it


class Port(Protocol):
    """Deliver the core's events to connections, groups and people, and put connections in groups."""

    def to_connection(self, connection: str, event: str, data: Event) -> None:
        """Send ``event`` to one connection."""

    def to_groups(self, groups: Groups, event: str, data: Event, skip: Skip = None) -> None:
        """Send ``event`` to every connection in ``groups``, but not to those of ``skip``."""

    def to_person(self, person_id: str, event: str, data: Event, skip: Skip = None) -> None:
        """Send ``event`` to every full-protocol connection of a person, but not to those of ``skip``."""

    def join(self, connection: str, group: str) -> None:
        """Put ``connection`` (of any process) in ``group``."""

    def leave(self, connection: str, group: str) -> None:
        """Take ``connection`` out of ``group``."""

    def disconnect(self, connection: str) -> None:
        """End ``connection``, on whichever process holds it."""

    def close_now(self, connection: str, event: str, data: Event) -> None:
        """Send this process's ``connection`` ``event``, then end it: both at once, not through a message queue."""
