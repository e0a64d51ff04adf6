"""Direct messages (DMs): opening one, listing one's own, and a DM's history for one of its people.

A DM is a conversation of two people, named ``dm:`` and 24 hex digits (chat/model.py
``dm_id``). Its messages reach every full-protocol connection of both people, in their
``full-person:<id>`` groups, so neither needs to join it to receive them; the requests that
take a room take its id too. Access is the policy's (chat/core/policy.py).
"""

import functools
from collections.abc import Callable
from typing import Any

from ..model import ChatError, Member, dm_id, full_person_group
from ..stores import base
from .creations import Creations
from .policy import Policy
from .port import Port


def _as_dict(dm: str, other: Member) -> dict[str, Any]:
    return {"id": dm, "with": other.as_dict()}


class DirectMessages:
    """Open and list DMs; give a DM's history to one of its people."""

    def __init__(
        self,
        port: Port,
        policy: Policy,
        dms: base.DirectMessages,
        history: base.History,
        delivery: base.Delivery,
        read_limit: base.FloodControl,
        creations: Creations,
        key: bytes,
    ) -> None:
        self._port = port
        self._policy = policy
        self._dms = dms
        self._history = history
        self._delivery = delivery
        self._read_limit = read_limit
        self._creations = creations
        self._key = key  # keys the hash that names a DM, so an id reveals nothing of its people

    def dm_id(self, person_a: str, person_b: str) -> str:
        """Return the id of the DM of two person ids: the same whichever of them asks."""
        return str(dm_id(self._key, person_a, person_b))

    def open(self, connection: str, person: str) -> dict[str, Any]:
        """Open (or reopen) the DM of ``connection``'s person and ``person``; return it as ``{"id", "with"}``.

        The other person must be online, or have been seen within DM_SEEN_SECONDS, unless the
        DM exists already. A new DM counts against the address's limit (DMS_OPENED_PER_ADDRESS),
        and neither person may be in DMS_PER_PERSON already. A new DM is announced (``dm-opened``) to the other person's
        connections and to the opener's other connections.
        """
        me = self._policy.person(connection)
        if person == me.id:
            raise ChatError("bad_arguments", "a direct message is with someone else: you cannot open one with yourself")
        dm = self.dm_id(me.id, person)
        known = dict(self._dms.of_person(me.id))
        other = self._dms.seen(person) or known.get(dm)
        if other is None:
            raise ChatError("not_found", "there is nobody with that id online or seen recently")
        if dm not in known:
            self._creations.take_dm(connection)
        if self._dms.open(dm, me, other):
            self._port.to_person(other.id, "dm-opened", {"dm": _as_dict(dm, me)})
            self._port.to_person(me.id, "dm-opened", {"dm": _as_dict(dm, other)}, skip=connection)
        return _as_dict(dm, other)

    def mine(self, connection: str) -> list[dict[str, Any]]:
        """Return ``connection``'s person's DMs, each with the other person and its last id.

        It takes from the read allowance (a page asks on every connect), not from the flood
        allowance that sending needs; raise ChatError ``rate_limited`` when none is left.
        """
        wait = self._read_limit.take(connection)
        if wait:
            raise ChatError("rate_limited", f"too many requests: wait {wait:.1f} s before asking again")
        me = self._policy.person(connection)
        dms = self._dms.of_person(me.id)
        last_ids = self._history.last_ids([dm for dm, _ in dms])  # one query, whatever their number
        return [{**_as_dict(dm, other), "lastId": last_ids[dm]} for dm, other in dms]

    def members(self, connection: str, dm: str) -> list[Member]:
        """Return ``dm``'s two people, ``connection``'s person first: who a mention in it may name."""
        me = self._policy.person(connection)
        return [me] + [other for known, other in self._dms.of_person(me.id) if known == dm]

    def enter_on_connect(
        self, connection: str, person_id: str, dms: list[str], send_history: Callable[[str, int | None], None]
    ) -> list[tuple[str, ChatError]]:
        """Put ``connection`` in its person's DM audience, sending it each of ``dms``'s history with ``send_history(dm, upto)``.

        The audience carries every DM of the person, so it is joined once, under the locks
        of all ``dms``, and each history is met with its live delivery there: a message
        sent meanwhile arrives once, live or in the history. Return the DMs refused, with why.
        """
        allowed, refused = [], []
        for dm in dms:
            try:
                self._policy.require_dm_party(connection, dm)
            except ChatError as error:
                refused.append((dm, error))
            else:
                allowed.append(dm)
        join = functools.partial(self._port.join, connection, full_person_group(person_id))
        self._delivery.enter_together(allowed, join, send_history)
        return refused

    def enter(self, connection: str, dm: str, send_history: Callable[[int | None], None]) -> None:
        """Send ``connection`` ``dm``'s history with ``send_history(upto)``, met with its live delivery.

        The connection is in its person's DM group from the connect on, so there is nothing to
        join: the delivery only orders that history with what is in flight.
        """
        self._policy.require_dm_party(connection, dm)
        self._delivery.enter(dm, lambda: None, send_history)
