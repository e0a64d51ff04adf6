"""/metrics through the HTTP and Flask-SocketIO test clients: off by default, the token, the counts."""

import pytest

from support.metrics import SCRAPE_TOKEN, samples, total, value

BEARER = {"Authorization": f"Bearer {SCRAPE_TOKEN}"}


@pytest.fixture
def metrics_app(make_app):
    """Return an app with metrics on, and no token."""
    return make_app(METRICS=True)


def scrape(app, headers=None):
    """Scrape ``app``'s /metrics; return its samples, parsed by prometheus_client's parser."""
    response = app.test_client().get("/metrics", headers=headers)
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/plain"
    return samples(response.get_data(as_text=True))


def test_metrics_are_off_by_default(client):
    """Answer 404 at /metrics unless METRICS is on."""
    assert client.get("/metrics").status_code == 404


def test_metrics_with_a_token_refuse_a_scrape_without_it(make_app):
    """Answer 401 to a scrape without the bearer token, or with another one; the figures with it."""
    test_client = make_app(METRICS=True, METRICS_TOKEN=SCRAPE_TOKEN).test_client()
    for headers in ({}, {"Authorization": "Bearer " + "x" * len(SCRAPE_TOKEN)}, {"Authorization": SCRAPE_TOKEN}):
        response = test_client.get("/metrics", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert b"chat_" not in response.data
    assert test_client.get("/metrics", headers=BEARER).status_code == 200


def test_a_token_does_not_turn_metrics_on(make_app):
    """Answer 404 with a token set while METRICS is off."""
    assert make_app(METRICS_TOKEN=SCRAPE_TOKEN).test_client().get("/metrics", headers=BEARER).status_code == 404


@pytest.mark.parametrize(
    "settings, named",
    [
        ({"METRICS": "yes"}, "CHAT_METRICS"),
        ({"METRICS": True, "METRICS_TOKEN": "short"}, "CHAT_METRICS_TOKEN"),
        ({"METRICS": True, "METRICS_TOKEN": 12345678901234567890123456789012345}, "CHAT_METRICS_TOKEN"),
        ({"METRICS": True, "METRICS_TOKEN": "a token with spaces in it, long enough"}, "CHAT_METRICS_TOKEN"),
    ],
)
def test_bad_metrics_settings_stop_the_start(make_app, settings, named):
    """Refuse to start with a METRICS that is not a boolean or a METRICS_TOKEN that is guessable."""
    with pytest.raises(ValueError, match=named):
        make_app(**settings)


def test_messages_accepted_and_deliveries_are_counted(metrics_app, socket_client):
    """Count each message stored once, and each of its recipients as a delivery."""
    sender, listener, other = (socket_client(metrics_app) for _ in range(3))
    before = scrape(metrics_app)
    assert sender.emit("newMessage", "hello", callback=True) == {"ok": True}
    after = scrape(metrics_app)
    assert value(after, "chat_messages_accepted_total") - value(before, "chat_messages_accepted_total") == 1
    # The message reached the three clients: three deliveries, the sender's included.
    assert value(after, "chat_deliveries_total") - value(before, "chat_deliveries_total") == 3
    assert listener.get_received() and other.get_received()


def test_refusals_are_counted_by_event_and_code(metrics_app, socket_client):
    """Count every refusal under its event and code, and an unknown event's under "other", not its name."""
    sender = socket_client(metrics_app)
    before = scrape(metrics_app)
    assert sender.emit("newMessage", "", callback=True)["code"] == "empty"
    assert sender.emit("newMessage", 42, callback=True)["code"] == "not_text"
    assert sender.emit("made-up-event", "x", callback=True)["code"] == "unknown_event"
    after = scrape(metrics_app)

    def refusals(**labels):
        return value(after, "chat_refusals_total", **labels) - value(before, "chat_refusals_total", **labels)

    assert refusals(event="newMessage", code="empty") == 1
    assert refusals(event="newMessage", code="not_text") == 1
    assert refusals(event="other", code="unknown_event") == 1
    assert total(after, "chat_refusals_total", event="made-up-event") == 0
    assert value(after, "chat_messages_accepted_total") == value(before, "chat_messages_accepted_total")


def test_history_latency_is_observed(metrics_app, full):
    """Time the history's appends and reads into the chat_history_seconds histogram."""
    alice = full("Alice", target_app=metrics_app)
    before = scrape(metrics_app)
    assert alice.emit("send-message", {"room": "general", "text": "hi"}, callback=True)["ok"]
    assert alice.emit("history", {"room": "general"}, callback=True)["ok"]
    after = scrape(metrics_app)
    for operation in ("append", "read"):
        observed = value(after, "chat_history_seconds_count", operation=operation) - value(
            before, "chat_history_seconds_count", operation=operation
        )
        assert observed >= 1, operation


def test_people_online_come_from_the_presence(metrics_app, full):
    """Report the presence's count of people, as /healthz does."""
    full("Alice", target_app=metrics_app)
    full("Bob", target_app=metrics_app)
    assert value(scrape(metrics_app), "chat_people_online") == 2
    assert metrics_app.test_client().get("/healthz").json["people"] == 2


def test_an_internal_error_is_counted_as_a_refusal(metrics_app, socket_client, monkeypatch):
    """Count an event that failed inside the server under its event and the code internal."""
    sender = socket_client(metrics_app)
    before = scrape(metrics_app)

    def broken(*args, **kwargs):
        raise OSError("the disk is gone")

    monkeypatch.setattr(metrics_app.extensions["chat"].stores.delivery, "post", broken)
    assert sender.emit("newMessage", "hello", callback=True)["code"] == "internal"
    after = scrape(metrics_app)
    assert (
        value(after, "chat_refusals_total", event="newMessage", code="internal")
        - value(before, "chat_refusals_total", event="newMessage", code="internal")
    ) == 1


def test_a_refused_connection_is_counted(make_app, socket_client):
    """Count a connection refused for its token under the event connect and the refusal's code."""
    app = make_app(METRICS=True, TOKENS=True)
    before = scrape(app)
    refused = socket_client(app, auth={"protocol": 2})
    assert not refused.is_connected()
    after = scrape(app)
    assert (
        value(after, "chat_refusals_total", event="connect", code="token_required")
        - value(before, "chat_refusals_total", event="connect", code="token_required")
    ) == 1
