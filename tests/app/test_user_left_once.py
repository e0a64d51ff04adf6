"""A disconnect says a user left only for a connection presence still knew, through the test client."""

from chat import socketio

USER_LEFT = {"message": "A user left the chat"}


def received(test_client, name):
    """Drain what ``test_client`` received; return the args of each ``name`` event."""
    return [item["args"] for item in test_client.get_received() if item["name"] == name]


def test_no_second_user_left_for_a_connection_already_dropped(app, socket_client):
    """Send no user-left when a connection that presence dropped already disconnects."""
    stays, dropped, leaves = socket_client(), socket_client(), socket_client()
    for test_client in (stays, dropped, leaves):
        test_client.get_received()
    # As other processes do with the connections of one they took for dead (and they
    # said it left then): presence no longer knows it when it disconnects here.
    sid = socketio.server.manager.sid_from_eio_sid(dropped.eio_sid, "/")
    app.extensions["chat"].stores.presence.disconnect(sid)
    dropped.disconnect()
    leaves.disconnect()
    assert received(stays, "user-left") == [[USER_LEFT]]
