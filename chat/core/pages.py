"""Pages bounded in bytes: how much of a history (or of its changes) one client is sent at once.

What waits for a client counts against MAX_QUEUED_BYTES (chat/transport/send_queues.py), so
a history sent in one go must be bounded in bytes, not only in messages: a page of longest
messages is 200 times larger than one of short ones. Each item is measured as it goes out,
JSON-encoded as python-socketio sends it (ASCII, every other code point escaped: an emoji
takes twelve bytes), so the bound holds whatever the text.
"""

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from ..model import Message

Item = TypeVar("Item")


def encoded_size(item: Any) -> int:
    """Return the bytes ``item`` takes in an event's JSON, with the comma that separates it from the next."""
    return len(json.dumps(item)) + 1


def newest_within(
    newest_first: Iterable[Item], max_bytes: int, size: Callable[[Item], int] = encoded_size
) -> tuple[list[Item], bool, int]:
    """Take items, newest first, while they fit in ``max_bytes``; return them oldest first, whether some were left, their size.

    The newest item is taken even when it alone is larger, so that a client paging back
    always gets somewhere. ``newest_first`` is read no further than needed.
    """
    kept: list[Item] = []
    total = 0
    for item in newest_first:
        item_size = size(item)
        if kept and total + item_size > max_bytes:
            kept.reverse()
            return kept, True, total
        kept.append(item)
        total += item_size
    kept.reverse()
    return kept, False, total


def oldest_within(oldest_first: Iterable[Item], max_bytes: int) -> tuple[list[Item], bool, int]:
    """Take items, oldest first, while they fit in ``max_bytes``; return them, whether some were left, their size.

    ``oldest_first`` is read no further than needed.
    """
    kept: list[Item] = []
    total = 0
    for item in oldest_first:
        item_size = encoded_size(item)
        if total + item_size > max_bytes:
            return kept, True, total
        kept.append(item)
        total += item_size
    return kept, False, total


def message_size(message: Message) -> int:
    """Return the bytes ``message`` takes in an event's JSON, as ``encoded_size`` counts them."""
    return encoded_size(message.as_dict())
