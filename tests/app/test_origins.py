"""The public origin and the accepted origins, from the settings, through the test client.

What a real server answers to each origin is in tests/live/test_headers.py.
"""

import pytest

from chat import create_app
from support import HANDSHAKE, TEST_SECRET


@pytest.mark.parametrize(
    ("settings", "origin"),
    [
        ({"PUBLIC_ORIGIN": "https://chat.example.com/"}, "https://chat.example.com"),
        ({"SERVER_NAME": "chat.example.com", "PREFERRED_URL_SCHEME": "https"}, "https://chat.example.com"),
        ({"SERVER_NAME": "chat.example.com:8443"}, "http://chat.example.com:8443"),
        ({"SERVER_NAME": "chat.example.com", "PUBLIC_ORIGIN": "https://other.example"}, "https://other.example"),
        ({}, None),
    ],
)
def test_public_origin_is_set_or_derived_from_server_name(settings, origin):
    """Take PUBLIC_ORIGIN as given, else derive it from SERVER_NAME and PREFERRED_URL_SCHEME."""
    assert create_app({"SECRET_KEY": TEST_SECRET, **settings}).config["PUBLIC_ORIGIN"] == origin


@pytest.mark.parametrize(
    "origin", ["chat.example.com", "ftp://chat.example.com", "https://chat.example.com/chat", "https://", 42]
)
def test_a_public_origin_that_is_no_origin_stops_the_start(origin):
    """Refuse a PUBLIC_ORIGIN that is not scheme://host[:port], naming the setting."""
    with pytest.raises(ValueError, match="CHAT_PUBLIC_ORIGIN"):
        create_app({"SECRET_KEY": TEST_SECRET, "PUBLIC_ORIGIN": origin})


def test_public_origin_and_cors_origins_are_both_accepted(make_app):
    """Accept the public origin beside CORS_ORIGINS; refuse the rest."""
    client = make_app(PUBLIC_ORIGIN="https://chat.example.com", CORS_ORIGINS="http://localhost:3001").test_client()
    for origin, status in [
        ("https://chat.example.com", 200),
        ("http://localhost:3001", 200),
        ("http://localhost", 400),
    ]:
        assert client.get(HANDSHAKE, headers={"Origin": origin}).status_code == status, origin
