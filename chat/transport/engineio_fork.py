"""A fork of python-engineio 4.15.1's ``engineio.socket.Socket._websocket_handler``, alone in this module.

- Project: python-engineio (https://github.com/miguelgrinberg/python-engineio), MIT License,
  Copyright (c) 2015 Miguel Grinberg.
- Version: 4.15.1 (``versions.WRITTEN_FOR``; ``check_versions`` refuses to start with another).
- Function forked: ``engineio.socket.Socket._websocket_handler`` (the threading/gevent
  Socket, not ``engineio.async_socket.AsyncSocket``): the upgrade from long-polling (the
  probe, then the UPGRADE packet), then the loop reading the client's packets.
- Why: Engine.IO sends to a WebSocket client through a queue and a writer greenlet per
  client, one system call and one gevent Timeout per packet. The chat's fan-out writes
  each broadcast's frame straight into every recipient's socket through an ``Outbox``
  (``outbox.py``); Engine.IO has no option for another writer, and its handler starts its
  own, so the handler is copied with the writer replaced.
- What differs from the original:
  - the writer task is gone: once on WebSocket, the session's queue is swapped for an
    Outbox, into which whatever long-polling left in Engine.IO's queue is moved first;
  - at the end the Outbox is drained (``put(None)``, ``wait_written``) and the raw socket
    closed, as simple-websocket's reader thread would have, since that thread never ran;
  - the original's ``settimeout`` loop over ``ws._sock`` / ``ws.socket`` is left out: the
    chat's WebSocket wrapper (``websocket.py``) has neither attribute, so it did nothing;
  - Engine.IO's bare ``except:`` clauses are ``except Exception``.

Used only on the fast path (gevent, no compression): ``websocket.py`` calls
``serve_websocket`` in place of Engine.IO's handler. Check it against every new
python-engineio release, in ``engineio/socket.py``, before moving ``WRITTEN_FOR``.
"""

from typing import Any

from engineio import exceptions as engineio_exceptions
from engineio import packet as eio_packet

from .outbox import Outbox


def serve_websocket(engineio_socket: Any, websocket: Any) -> list[bytes]:
    """Serve one Engine.IO WebSocket connection as Engine.IO's own handler does, but sending through an Outbox.

    A copy of python-engineio 4.15.1's ``Socket._websocket_handler`` (the upgrade from
    long-polling, then the reading loop), where the writer task and its queue are replaced
    by an Outbox once the connection is on WebSocket.
    """
    s = engineio_socket
    server = s.server

    def websocket_wait() -> Any:
        data = websocket.wait()
        if data and len(data) > server.max_http_buffer_size:
            raise ValueError("packet is too large")
        return data

    if s.connected:
        # An upgrade from long-polling: the probe, then the UPGRADE packet.
        s.upgrading = True
        decoded = eio_packet.Packet(encoded_packet=websocket_wait())
        if decoded.packet_type != eio_packet.PING or decoded.data != "probe":
            server.logger.info("%s: Failed websocket upgrade, no PING packet", s.sid)
            s.upgrading = False
            return []
        websocket.send(eio_packet.Packet(eio_packet.PONG, data="probe").encode())
        s.queue.put(eio_packet.Packet(eio_packet.NOOP))  # ends the waiting long-polling GET
        encoded = websocket_wait()
        decoded = eio_packet.Packet(encoded_packet=encoded)
        if decoded.packet_type != eio_packet.UPGRADE:
            s.upgraded = False
            server.logger.info(
                "%s: Failed websocket upgrade, expected UPGRADE packet, received %s instead.", s.sid, encoded
            )
            s.upgrading = False
            return []
        s.upgraded = True
        s.upgrading = False
    else:
        s.connected = True
        s.upgraded = True

    # From here every packet for this client goes through the Outbox, in order: first
    # whatever long-polling left in Engine.IO's queue, then the rest as it comes. No
    # greenlet switch can come between the two.
    outbox = Outbox(s, websocket.ws.sock, websocket.close)
    left = s.queue
    s.queue = outbox
    while not left.empty():
        outbox.put(left.get(block=False))
    del left  # this frame lives as long as the connection: let the old queue go

    server.logger.info("%s: Upgrade to websocket successful", s.sid)
    while True:
        try:
            encoded = websocket_wait()
        except Exception as error:
            if not s.closed:
                server.logger.info('%s: Unexpected error "%s", closing connection', s.sid, str(error))
            break
        if encoded is None:
            break  # the client closed the connection
        try:
            s.receive(eio_packet.Packet(encoded_packet=encoded))
        except engineio_exceptions.UnknownPacketError:
            pass
        except engineio_exceptions.SocketIsClosedError:
            server.logger.info("Receive error -- socket is closed")
            break
        except Exception:
            server.logger.exception("Unknown receive error")
            break

    outbox.put(None)
    outbox.wait_written()
    s.close(wait=False, abort=True, reason=server.reason.TRANSPORT_CLOSE)
    websocket.ws.sock.close()  # as simple-websocket's reader thread does when it ends
    return []
