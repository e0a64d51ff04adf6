"""Long-polling: more packets to a request, and a WSGI guard in front of Engine.IO's POST handling.

``PollingGuard`` is WSGI middleware around the app, the supported way in; only
``allow_batched_packets`` changes the library, a class attribute of Engine.IO's ``Payload``.
"""

import io
import logging
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

from engineio.payload import Payload

from .packets import POLLING_PACKET_TYPES, close_connection, frame_problem

logger = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def allow_batched_packets(max_packets: int) -> None:
    """Let one long-polling request carry up to ``max_packets`` Engine.IO packets.

    The socket.io JavaScript client sends everything it has queued in one POST; past
    Engine.IO's default of 16 packets the whole request is dropped, messages and all.
    Engine.IO reads this limit from a class attribute, so it is one value per process.
    """
    Payload.max_decode_packets = max_packets


class PollingGuard:
    """WSGI middleware checking a long-polling POST before Engine.IO reads it.

    - A body longer than ``max_bytes`` is answered 413 at once, unread (with or without a
      Content-Length), and its session closed. Engine.IO itself would answer only after a
      poll that, with no GET waiting, never comes.
    - A body that does not decode (not UTF-8, an empty or binary packet, a type a client
      never sends) is answered 400, and its session closed, instead of a traceback.
    """

    def __init__(self, wsgi_app: WSGIApp, sio_server: Any, max_bytes: int, path: str = "/socket.io/") -> None:
        self.wsgi_app = wsgi_app
        self.sio_server = sio_server
        self.max_bytes = max_bytes
        self.path = path

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST" or not environ.get("PATH_INFO", "").startswith(self.path):
            return self.wsgi_app(environ, start_response)
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        if query.get("transport", ["polling"])[0] != "polling":
            return self.wsgi_app(environ, start_response)
        sid = query.get("sid", [None])[0]
        engineio_socket = self.sio_server.eio.sockets.get(sid)
        if engineio_socket is not None and engineio_socket.closed:
            # Engine.IO keeps a closed session until its next poll, and fails a POST to it with a traceback.
            return self._refuse(sid, start_response, "400 BAD REQUEST", "a POST to its closed session", close=False)
        length = environ.get("CONTENT_LENGTH") or None
        if length is not None and not length.isdigit():
            return self._refuse(sid, start_response, "400 BAD REQUEST", f"a Content-Length of {length[:20]!r}")
        if length is not None and int(length) > self.max_bytes:
            return self._refuse(
                sid,
                start_response,
                "413 CONTENT TOO LARGE",
                f"a long-polling request of {int(length):,} bytes, over {self.max_bytes:,}",
            )
        if length is not None:
            body = environ["wsgi.input"].read(int(length))
        elif environ.get("wsgi.input_terminated"):  # chunked: read no more than the limit and one byte
            body = environ["wsgi.input"].read(self.max_bytes + 1)
        else:
            body = b""  # neither a length nor chunks: no body
        if len(body) > self.max_bytes:
            return self._refuse(
                sid,
                start_response,
                "413 CONTENT TOO LARGE",
                f"a long-polling request of more than {self.max_bytes:,} bytes",
            )
        problem = _payload_problem(body)
        if problem:
            return self._refuse(sid, start_response, "400 BAD REQUEST", problem.removeprefix("it sent "))
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.wsgi_app(environ, start_response)

    def _refuse(
        self, sid: str | None, start_response: Callable[..., Any], status: str, problem: str, close: bool = True
    ) -> list[bytes]:
        if close and sid is not None and sid in self.sio_server.eio.sockets:
            close_connection(self.sio_server, sid, f"it sent {problem}")
        else:
            logger.info("refused %s: %s", sid, problem)
        start_response(status, [("Content-Type", "text/plain"), ("Connection", "close")])
        return [status.split(" ", 1)[1].capitalize().encode()]


def _payload_problem(body: bytes) -> str | None:
    """Return why a long-polling request body is refused, or None for one Engine.IO can decode."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "it sent a long-polling request that is not UTF-8"
    if text.startswith("d="):  # JSONP, form-encoded
        text = urllib.parse.parse_qs(text).get("d", [""])[0]
    for encoded in text.split("\x1e"):
        problem = frame_problem(encoded, POLLING_PACKET_TYPES)
        if problem:
            return problem
    return None
