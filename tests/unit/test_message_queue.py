"""The Redis queue's message format, as chat/transport/message_queue.py writes it for the Lua scripts."""

import json

import pytest
from socketio import PubSubManager

from chat import transport


@pytest.mark.parametrize("data", ["plain", 'quote " and \\ backslash', {"id": 7, "text": "é😀"}, [1, None, True]])
def test_a_message_built_around_its_data_is_the_encoded_message(data):
    """Put any data's JSON between the two halves and get exactly the encoded emit message."""
    before, after = transport.encoded_around("room-message", "room:general", "publisher")
    assert before + json.dumps(data) + after == transport.encode(
        transport.emit_message("room-message", data, "room:general", "publisher")
    )


def test_an_emit_message_is_what_python_socketio_publishes_for_one_argument():
    """Build the dictionary PubSubManager.emit publishes for one argument to a room, with the given host id."""
    published = []
    manager = PubSubManager()
    manager.host_id = "host-1"
    manager._publish = published.append  # the queue: recorded, not sent
    manager._handle_emit = lambda message: None  # no local clients to deliver to
    manager.emit("message", "hi", namespace="/", room="seed")
    assert published == [transport.emit_message("message", "hi", "seed", "host-1")]
