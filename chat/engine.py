"""Socket.IO and Engine.IO server options derived from the settings."""

from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI


def async_mode(config):
    """Return the configured async mode, or gevent when gevent has patched the standard library."""
    if config["ASYNC_MODE"]:
        return config["ASYNC_MODE"]
    try:
        from gevent import monkey
    except ImportError:
        return "threading"
    return "gevent" if monkey.is_module_patched("socket") else "threading"


def socketio_options(config):
    """Return the keyword arguments for ``SocketIO.init_app``."""
    origins = config["CORS_ORIGINS"]
    return {
        "async_mode": async_mode(config),
        # None makes Engine.IO accept same-origin requests only; a list or "*" widens that.
        "cors_allowed_origins": ("*" if origins == ["*"] else origins) or None,
        # Handle a connection's events one at a time, in order: per-sender order depends on it.
        "async_handlers": False,
        "max_http_buffer_size": config["MAX_PACKET_BYTES"],
        "ping_interval": config["PING_INTERVAL"],
        "ping_timeout": config["PING_TIMEOUT"],
    }


def limit_websocket_messages(eio_server, max_bytes):
    """Make WebSocket connections refuse a message larger than ``max_bytes`` while reading it.

    Engine.IO checks the size of a WebSocket message only after simple-websocket has
    buffered all of it, so one client could make the server hold any amount of memory.
    simple-websocket can stop at a size (closing with 1009, "message too big"), but
    Engine.IO does not pass one; this wraps its WebSocket class to do so.
    """
    websocket_class = eio_server._async["websocket"]
    if not (isinstance(websocket_class, type) and issubclass(websocket_class, SimpleWebSocketWSGI)):
        return  # another WebSocket server (gevent-websocket, ...) enforces its own limits

    class LimitedWebSocket(websocket_class):
        def __init__(self, handler, server, **kwargs):
            super().__init__(handler, server, **kwargs)
            self.server_args["max_message_size"] = max_bytes

    # Engine.IO shares one _async table per mode across servers: replace it, don't mutate it.
    eio_server._async = {**eio_server._async, "websocket": LimitedWebSocket}
