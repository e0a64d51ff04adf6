"""Any text in any field of any event, through the test client: a clear answer, never ``internal``.

Properties over generated text (hypothesis), every code point included: message text is
kept exactly as sent; every other field either takes the text or refuses it with its own
code (chat/text.py), and refuses it whenever it holds a lone surrogate or U+0000.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.clients import received

ANY_TEXT = st.text(st.characters(codec=None), min_size=1, max_size=40)
SOME_TEXT = st.text(st.characters(codec=None), max_size=10)
ODD = st.one_of(st.just("\x00"), st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF))
NOT_PLAIN = st.builds(lambda before, odd, after: before + odd + after, SOME_TEXT, ODD, SOME_TEXT)
EXAMPLES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# (event, payload with "{}" where the generated text goes, the code refusing what a field may not hold)
FIELDS = [
    ("send-message", {"room": "general", "text": "hi", "clientId": "{}"}, "bad_text"),
    ("send-message", {"room": "general", "text": "hi", "mentions": ["{}"]}, "bad_text"),
    ("react", {"room": "general", "id": 1, "emoji": "{}"}, "bad_emoji"),
    ("open-dm", {"person": "{}"}, "bad_text"),
    ("rename", {"name": "{}"}, "bad_name"),
    ("join-room", {"room": "{}"}, "bad_room"),
    ("history", {"room": "{}"}, "bad_room"),
    ("ban", {"room": "general", "person": "{}", "seconds": 60}, "bad_text"),
    ("mute", {"room": "general", "person": "someone", "seconds": 60, "reason": "{}"}, "bad_text"),
]


def filled(value, text):
    """Return ``value`` with ``text`` in place of every "{}"."""
    if value == "{}":
        return text
    if isinstance(value, dict):
        return {key: filled(item, text) for key, item in value.items()}
    if isinstance(value, list):
        return [filled(item, text) for item in value]
    return value


@pytest.fixture
def alice(make_app, full):
    """Return a full-protocol client with a message in the default room, on an app whose flood control is off."""
    app = make_app(FLOOD_BURST=0)
    client = full("Alice", target_app=app)
    assert client.emit("send-message", {"room": "general", "text": "first"}, callback=True)["ok"]
    return client


@EXAMPLES
@given(text=ANY_TEXT.filter(str.strip))
def test_message_text_of_any_code_points_is_kept_exactly(alice, text):
    """Keep and echo any message text exactly, every code point included."""
    ack = alice.emit("send-message", {"room": "general", "text": text}, callback=True)
    assert ack["ok"] and ack["message"]["text"] == text


@pytest.mark.parametrize(
    ("event", "payload", "code"),
    FIELDS,
    ids=[f"{e}-{next(k for k, v in p.items() if '{}' in str(v))}" for e, p, _ in FIELDS],
)
def test_any_text_in_a_field_is_answered_clearly(alice, event, payload, code):
    """Take any text in the field or refuse it with a clear code: never internal; always refuse what is not plain."""

    @EXAMPLES
    @given(text=ANY_TEXT)
    def check(text):
        ack = alice.emit(event, filled(payload, text), callback=True)
        assert ack["ok"] or ack["code"] != "internal", ack

    @EXAMPLES
    @given(text=NOT_PLAIN)
    def refused(text):
        ack = alice.emit(event, filled(payload, text), callback=True)
        assert ack["ok"] is False and ack["code"] == code, ack

    check()
    refused()
    received(alice)
