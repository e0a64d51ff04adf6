"""The Redis queue's message format, as chat/transport/message_queue.py writes it for the stores to publish."""

from socketio import PubSubManager

from chat import transport


def test_an_emit_message_is_what_python_socketio_publishes_for_one_argument():
    """Build the dictionary PubSubManager.emit publishes for one argument to a room, with the given host id."""
    published = []
    manager = PubSubManager()
    manager.host_id = "host-1"
    manager._publish = published.append  # the queue: recorded, not sent
    manager._handle_emit = lambda message: None  # no local clients to deliver to
    manager.emit("message", "hi", namespace="/", room="seed")
    assert published == [transport.emit_message("message", "hi", "seed", "host-1")]
