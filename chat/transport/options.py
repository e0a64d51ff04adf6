"""The Socket.IO and Engine.IO options: the supported part of the transport, passed to ``SocketIO.init_app``."""

from collections.abc import Mapping
from typing import Any

from .packets import packet_class
from .versions import check_versions


def async_mode(config: Mapping[str, Any]) -> str:
    """Return the configured async mode, or gevent when gevent has patched the standard library."""
    if config["ASYNC_MODE"]:
        return str(config["ASYNC_MODE"])
    try:
        from gevent import monkey
    except ImportError:
        return "threading"
    return "gevent" if monkey.is_module_patched("socket") else "threading"


def socketio_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """Return the keyword arguments for ``SocketIO.init_app``, once the library versions are checked.

    The check comes first because the options already lean on the libraries' internals:
    the ``serializer`` is a subclass of python-socketio's packet class (``ChatPacket``).
    """
    check_versions()
    origins = config["CORS_ORIGINS"]
    # None makes Engine.IO accept same-origin requests only; a list or "*" widens that.
    allowed = ("*" if origins == ["*"] else origins) or None
    public = config["PUBLIC_ORIGIN"]
    if public and origins != ["*"]:
        # Judge the Origin by the configured public origin, not by the Host header: a
        # DNS-rebinding page sends its own name as both, and would pass a Host-based check.
        allowed = [public, *origins]
    return {
        "async_mode": async_mode(config),
        "cors_allowed_origins": allowed,
        # Handle a connection's events one at a time, in order: per-sender order depends on it.
        "async_handlers": False,
        "max_http_buffer_size": config["MAX_PACKET_BYTES"],
        "ping_interval": config["PING_INTERVAL"],
        "ping_timeout": config["PING_TIMEOUT"],
        "serializer": packet_class(config["MAX_EVENT_LENGTH"]),
    }
