"""The library versions the transport was written for, checked before any change is made to them."""

from importlib import metadata

# gevent too: the WebSocket fast path relies on its sendmsg raising at once with MSG_DONTWAIT.
WRITTEN_FOR = {
    "python-engineio": "4.15.1",
    "python-socketio": "5.18.1",
    "simple-websocket": "1.1.0",
    "gevent": "26.9.0",
}


def check_versions() -> None:
    """Raise RuntimeError unless the transport libraries are the versions this package was written for."""
    for package, expected in WRITTEN_FOR.items():
        found = metadata.version(package)
        if found != expected:
            raise RuntimeError(
                f"chat/transport/ was written for {package} {expected}, but {package} {found} is installed: "
                f"install the version in requirements.txt, or check chat/transport/ against {found} first"
            )
