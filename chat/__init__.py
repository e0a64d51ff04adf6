"""A real-time chat on Flask-SocketIO: the application factory."""

import time

from flask import Flask
from flask_cors import CORS
from flask_socketio import SocketIO
from werkzeug.middleware.proxy_fix import ProxyFix

from . import metrics, settings, transport
from .headers import SecurityHeaders
from .session import ChatSessionInterface
from .stores import open_stores

socketio = SocketIO()
cors = CORS()


def create_app(test_config=None, clock=time.monotonic):
    """Create the Flask app with its Socket.IO server, configured from the environment.

    ``clock`` times the chat's limits and expiries: tests pass a fake one.
    """
    app = Flask(__name__, instance_relative_config=True,
                template_folder="../templates", static_folder="../static")
    settings.load(app, test_config)
    app.session_interface = ChatSessionInterface()
    stores = open_stores(app.config, socketio.emit, clock)
    from .core import Chat
    from .events import SocketIOPort
    app.extensions["chat"] = Chat.from_config(app.config, stores, SocketIOPort(socketio), clock)

    from . import cli, handlers, views  # noqa: F401  (handlers registers the Socket.IO handlers)
    app.register_blueprint(views.bp)
    cli.init_app(app)

    if app.config["CORS_ORIGINS"]:
        cors.init_app(app, origins=app.config["CORS_ORIGINS"])
    transport.check_versions()
    options = transport.socketio_options(app.config)
    public, origins = app.config["PUBLIC_ORIGIN"], app.config["CORS_ORIGINS"]
    if public and origins != ["*"]:
        # Judge the Origin by the configured public origin, not by the Host header: a
        # DNS-rebinding page sends its own name as both, and would pass a Host-based check.
        options["cors_allowed_origins"] = [public, *origins]
    socketio.init_app(app, client_manager=stores.client_manager, **options)
    metrics.init_app(app, socketio.server)
    transport.configure_websockets(socketio.server.eio, app.config["MAX_PACKET_BYTES"],
                                app.config["WEBSOCKET_COMPRESSION"])
    transport.allow_batched_packets(app.config["MAX_PACKETS_PER_REQUEST"])
    transport.bound_send_queues(socketio.server.eio, app.config["MAX_QUEUED_PACKETS"], app.config["MAX_QUEUED_BYTES"])
    transport.limit_sessions(socketio.server.eio, stores.connection_limit)
    transport.close_idle_sessions(socketio.server, app.config["CONNECT_TIMEOUT"])
    transport.keep_falsy_auth(socketio.server)
    transport.guard_packets(socketio.server)
    app.wsgi_app = transport.PollingGuard(app.wsgi_app, socketio.server, app.config["MAX_PACKET_BYTES"])

    # Around Engine.IO's middleware too, so its own answers at /socket.io/ carry the headers.
    app.wsgi_app = SecurityHeaders(app.wsgi_app)
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        # Outermost, so Socket.IO sees the client's address too, not the proxy's, and the
        # session cookie is marked Secure when the client's request was HTTPS.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    return app
