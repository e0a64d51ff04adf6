"""A real-time chat on Flask-SocketIO: the application factory."""

from flask import Flask
from flask_cors import CORS
from flask_socketio import SocketIO
from werkzeug.middleware.proxy_fix import ProxyFix

from . import engine, settings
from .redis_queue import ChatRedisManager
from .state import ChatState

socketio = SocketIO()
cors = CORS()


def create_app(test_config=None):
    """Create the Flask app with its Socket.IO server, configured from the environment."""
    app = Flask(__name__, instance_relative_config=True,
                template_folder="../templates", static_folder="../static")
    settings.load(app, test_config)
    queue = None  # several processes share broadcasts and state through Redis
    if app.config["REDIS_URL"]:
        queue = ChatRedisManager(app.config["REDIS_URL"], app.config["REDIS_CHANNEL"])
    state = app.extensions["chat"] = ChatState.from_config(app.config, host_id=queue.host_id if queue else None)
    if queue:
        queue.attach(state.history, state.room_lock)

    from . import events, views  # noqa: F401  (events registers the Socket.IO handlers)
    app.register_blueprint(views.bp)

    if app.config["CORS_ORIGINS"]:
        cors.init_app(app, origins=app.config["CORS_ORIGINS"])
    engine.check_versions()
    socketio.init_app(app, client_manager=queue, **engine.socketio_options(app.config))
    engine.configure_websockets(socketio.server.eio, app.config["MAX_PACKET_BYTES"],
                                app.config["WEBSOCKET_COMPRESSION"])
    engine.allow_batched_packets(app.config["MAX_PACKETS_PER_REQUEST"])
    engine.bound_send_queues(socketio.server.eio, app.config["MAX_QUEUED_PACKETS"])
    engine.guard_packets(socketio.server)
    app.wsgi_app = engine.PollingGuard(app.wsgi_app, socketio.server, app.config["MAX_PACKET_BYTES"])

    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        # Outermost, so Socket.IO sees the client's address too, not the proxy's.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    return app
