"""The direct message handlers: open one, list one's own.

A direct message (DM) is a conversation of two people (chat/core/dms.py); the events that
take a room take its id too. Anyone but its two people is refused ``not_found``, as for a DM
that does not exist.
"""

from typing import Any

from ..events import chat, current_sid, full_protocol_event
from ..validation import person_id as valid_person_id


@full_protocol_event("open-dm")
def open_dm(payload: dict[str, Any]) -> dict[str, Any]:
    """Sent by a full-protocol client with a person's id: open (or reopen) the DM of the two; acknowledge with it.

    The other person must be online, or have been seen within DM_SEEN_SECONDS, unless the
    DM exists already. A new DM is announced (``dm-opened``) to the other person's
    connections and to the opener's other connections.
    """
    person = valid_person_id(payload.get("person"))
    return {"ok": True, "dm": chat().dms.open(current_sid(), person)}


@full_protocol_event("list-dms", limit=False)
def list_dms(payload: dict[str, Any]) -> dict[str, Any]:
    """Sent by a full-protocol client: acknowledge with its person's DMs, each with the other person and its last id.

    A page asks on every connect, so it takes from the read allowance, as mark-read does,
    not from the flood allowance that sending needs.
    """
    return {"ok": True, "dms": chat().dms.mine(current_sid())}
