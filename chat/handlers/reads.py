"""The read-marker handlers: mark-read and seen-by (chat/core/reads.py keeps the rules)."""

from typing import Any

from ..events import chat, current_sid, full_protocol_event
from ..model import ChatError
from ..validation import conversation, message_id


def _required_id(payload: dict[str, Any]) -> int:
    value = message_id(payload.get("id"), "id")
    if value is None:
        raise ChatError("bad_arguments", "id must be a message id, a whole number")
    return int(value)


@full_protocol_event("mark-read", limit=False)
def mark_read(payload: dict[str, Any]) -> dict[str, Any]:
    """Sent by a full-protocol client with a room and a message id: move its person's marker forward to it.

    The marker never goes back, nor past the room's last id. When it moves, every connection
    of the person gets ``read-marker``, and the senders of the messages it passed get a
    ``receipt`` each. Requests over the read allowance are dropped quietly, as typing events are.
    """
    core, sid = chat(), current_sid()
    if not core.reads.take_allowance(sid):
        return {"ok": True, "dropped": True}
    room = conversation(payload.get("room"))
    upto = _required_id(payload)
    return {"ok": True, **core.reads.mark(sid, room, upto)}


@full_protocol_event("seen-by", limit=False)
def seen_by(payload: dict[str, Any]) -> dict[str, Any]:
    """Sent by a full-protocol client with a room and a message id: acknowledge with who has read up to it or past it.

    At most SEEN_BY_MAX people, with ``more`` saying whether others have too. Requests over
    the read allowance are dropped quietly.
    """
    core, sid = chat(), current_sid()
    if not core.reads.take_allowance(sid):
        return {"ok": True, "dropped": True}
    room = conversation(payload.get("room"))
    upto = _required_id(payload)
    return {"ok": True, **core.reads.seen_by(sid, room, upto)}
