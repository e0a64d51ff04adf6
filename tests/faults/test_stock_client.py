"""The fault suite's stock client behaves as socket.io-client 4.8 where the checker depends on it."""

from support import TIMEOUT
from support.faults.clients import StockClient

LATE_EVENT = '2["message","sent to a connection the client has left"]'  # a Socket.IO EVENT packet


def test_what_arrives_after_the_client_disconnected_never_reaches_it(live_server):
    """Drop an event that arrives after the client's own disconnect, then and at the next CONNECT.

    python-engineio's reading loop still hands on what arrives while the WebSocket closes;
    socket.io-client's ``disconnect()`` unsubscribes first (``destroy()``), so none of it is
    kept for the next connection, unlike what arrives before a CONNECT.
    """
    server = live_server("gevent")
    received = []
    client = StockClient(lambda event, args, early: None)
    client.on("message", received.append)
    client.connect(server.url, transports=["websocket"], wait_timeout=TIMEOUT)
    client.disconnect()
    client._handle_eio_message(LATE_EVENT)  # as the reading loop hands it on while the WebSocket closes
    client.connect(server.url, transports=["websocket"], wait_timeout=TIMEOUT)
    try:
        assert client.held == [] and received == []
    finally:
        client.disconnect()
