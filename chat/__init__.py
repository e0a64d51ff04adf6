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
    app = Flask(__name__, instance_relative_config=True, template_folder="../templates", static_folder="../static")
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
    # The transport's changes to python-socketio and python-engineio: the options (after the
    # version check) before init_app, everything else after it (chat/transport/).
    socketio.init_app(app, client_manager=stores.client_manager, **transport.socketio_options(app.config))
    metrics.init_app(app, socketio.server)
    transport.install(app, socketio.server, stores.connection_limit, metrics.slow_client_cut)

    # Around Engine.IO's middleware too, so its own answers at /socket.io/ carry the headers.
    app.wsgi_app = SecurityHeaders(app.wsgi_app)
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        # Outermost, so Socket.IO sees the client's address too, not the proxy's, and the
        # session cookie is marked Secure when the client's request was HTTPS.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    return app
