"""Prometheus metrics at /metrics, off unless METRICS is on; optionally behind a bearer token.

The figures, and how each adds up over several gunicorn workers (prometheus_client's
multiprocess mode, on when PROMETHEUS_MULTIPROC_DIR is set; see gunicorn.conf.py):

- ``chat_connections{protocol, transport}``: this process's Socket.IO connections, a gauge
  in ``livesum`` mode (the live workers' values added up). Set from the Socket.IO groups
  (``seed``, ``full``) at every scrape and every expiry sweep (once a second), so a client
  that upgrades from long-polling to WebSocket moves, and nothing is counted per event.
- ``chat_people_online``: the people online, read from the presence store at scrape time
  (with Redis, the shared presence: the whole deployment's count, never a per-worker sum).
- ``chat_messages_accepted_total``, ``chat_refusals_total{event, code}``: counters, summed.
- ``chat_deliveries_total``: the recipients of every emit (a broadcast's, or one reply's),
  counted once per emit with its number of addressees, never once per recipient (the hot
  path); summed. A connection the emit skips (the newcomer of its own ``user-joined``, a
  typist's own connections) is among the addressees, so counted: at most a few an emit.
- ``chat_slow_clients_cut_total``: connections closed because too much waited to be sent
  to them (MAX_QUEUED_PACKETS, MAX_QUEUED_BYTES); summed.
- ``chat_history_seconds{operation}``: the history store's latency, ``append`` (storing a
  message, and with Redis publishing it) and ``read`` (pages, catch-up, resend lookups);
  a histogram, summed.
- ``chat_queue_publish_failures_total``: publications to the Redis message queue that
  failed; summed.

Every hook below is a no-op while metrics are off: one global test and a return.
"""

import hmac
import logging
import os
import threading
import time
from typing import TypeVar

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from . import transport
from .model import FULL, SEED

CONNECTIONS = Gauge(
    "chat_connections",
    "Socket.IO connections, by protocol and transport",
    ["protocol", "transport"],
    multiprocess_mode="livesum",
)
MESSAGES_ACCEPTED = Counter("chat_messages_accepted", "Messages accepted: stored and delivered")
REFUSALS = Counter("chat_refusals", "Client events refused to their sender, by event and code", ["event", "code"])
DELIVERIES = Counter("chat_deliveries", "Events delivered: the recipients of every broadcast")
SLOW_CLIENTS_CUT = Counter("chat_slow_clients_cut", "Connections closed because too much waited to be sent to them")
HISTORY_SECONDS = Histogram(
    "chat_history_seconds",
    "The history store's latency, by operation",
    ["operation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
QUEUE_PUBLISH_FAILURES = Counter("chat_queue_publish_failures", "Publications to the Redis message queue that failed")

PROTOCOLS = {SEED: "original", FULL: "full"}
OTHER_EVENT = "other"  # the event label of a refused event whose name is no handler's

# History methods timed, and the operation each counts as.
HISTORY_OPERATIONS = {
    "append": "append",
    "append_and_publish": "append",
    "find": "read",
    "latest": "read",
    "before": "read",
    "after": "read",
}

# On once an app of this process has METRICS on, then for good: the hooks below read it on the
# hot path, outside any app context. Production runs one app per process; tests make many,
# and an app without METRICS counting too costs nothing but the counting (its /metrics is 404).
enabled = False
_events = {"connect"}  # the names of the client events with a handler: the only event labels

bp = Blueprint("metrics", __name__)
logger = logging.getLogger(__name__)


def init_app(app, sio_server):
    """Turn the hooks on if ``app`` has METRICS on, and count the deliveries of its ``sio_server``."""
    global enabled
    app.register_blueprint(bp)
    if app.config["METRICS"]:
        enabled = True
    if enabled:
        count_deliveries(sio_server.manager)


def known_event(name):
    """Record ``name`` as a client event with a handler, so its refusals are labelled by it."""
    _events.add(name)


def refused(event, code):
    """Count a refusal of client event ``event`` with ``code``."""
    if enabled:
        REFUSALS.labels(event if event in _events else OTHER_EVENT, code).inc()


def message_accepted():
    """Count a message stored and delivered."""
    if enabled:
        MESSAGES_ACCEPTED.inc()


def delivered(recipients):
    """Count one broadcast's ``recipients``: once per broadcast, whatever their number."""
    if enabled and recipients:
        DELIVERIES.inc(recipients)


def slow_client_cut():
    """Count a connection closed because it stopped reading."""
    if enabled:
        SLOW_CLIENTS_CUT.inc()


def publish_failed():
    """Count a publication to the Redis message queue that failed."""
    if enabled:
        QUEUE_PUBLISH_FAILURES.inc()


def count_deliveries(manager):
    """Count the recipients of every broadcast ``manager`` (python-socketio's client manager) sends.

    Every emit, in this process's own or arriving from the Redis queue, is counted once,
    with its number of recipients, in one increment (chat/transport/connections.py).
    """
    transport.count_recipients(manager, delivered)


HistoryT = TypeVar("HistoryT")


def time_history(history: HistoryT) -> HistoryT:
    """Time ``history``'s appends and reads into ``chat_history_seconds``, wrapping this instance only."""
    for name, operation in HISTORY_OPERATIONS.items():
        method = getattr(history, name, None)
        if method is not None:
            setattr(history, name, _timed(method, HISTORY_SECONDS.labels(operation)))
    return history


# Whether this thread (greenlet, under gevent) is inside a timed history call: a store's
# append looks its clientId up with find, which must not count as a read of its own.
_timing = threading.local()


def _timed(method, histogram):
    def timed(*args, **kwargs):
        if getattr(_timing, "active", False):
            return method(*args, **kwargs)
        _timing.active = True
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            histogram.observe(time.perf_counter() - start)
            _timing.active = False

    timed.__name__ = timed.__qualname__ = method.__name__
    timed.__doc__ = method.__doc__
    return timed


def refresh_connections(sio_server):
    """Set ``chat_connections`` from this process's Socket.IO groups and each connection's transport now."""
    if not enabled:
        return
    for group, counts in transport.connections_by_transport(sio_server, PROTOCOLS).items():
        for transport_name, count in counts.items():
            CONNECTIONS.labels(PROTOCOLS[group], transport_name).set(count)


class _People:
    """A collector of the people online, read from the presence store at scrape time."""

    def __init__(self, presence):
        self.presence = presence

    def collect(self):
        try:
            people = self.presence.people
        except Exception:  # Redis away: the other figures still answer, and say so (publish failures)
            logger.warning("people online left out of /metrics: the presence store did not answer", exc_info=True)
            return
        yield GaugeMetricFamily("chat_people_online", "People online, from the (shared) presence", value=people)


@bp.get("/metrics")
def scrape():
    """Answer Prometheus in its text format: 404 while METRICS is off, 401 without the METRICS_TOKEN."""
    config = current_app.config
    if not config["METRICS"]:
        abort(404)
    token = config["METRICS_TOKEN"]
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return Response(
                "a bearer token is required\n",
                401,
                {"WWW-Authenticate": 'Bearer realm="metrics"'},
                mimetype="text/plain",
            )
    from . import socketio

    refresh_connections(socketio.server)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Every worker writes its figures to files there; this reads them all.
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    people = CollectorRegistry()
    people.register(_People(current_app.extensions["chat"].presence))
    return Response(generate_latest(registry) + generate_latest(people), mimetype=CONTENT_TYPE_LATEST)
