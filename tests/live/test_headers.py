"""What every HTTP answer tells the browser: security headers, the session cookie, accepted origins.

Against a real server process, so the answers Engine.IO gives itself at /socket.io/ are
covered as well as Flask's. The public origin's settings, through the test client, are in
tests/app/test_origins.py.
"""

import pytest
import requests
import websocket

from support import HANDSHAKE, TIMEOUT

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def assert_security_headers(response):
    """Assert ``response`` carries every security header, its CSP forbidding framing and foreign scripts."""
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (response.url, name, response.headers)
    policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert policy["frame-ancestors"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["default-src"] == "'self'"


@pytest.mark.parametrize("kind", ["flask", "gevent"])
def test_every_http_answer_carries_the_security_headers(live_server, kind):
    """Send the headers on the page, /healthz, a static file, a 404, and Engine.IO's own answers."""
    server = live_server(kind)
    answers = {
        "/": 200,
        "/healthz": 200,
        "/static/chat.js": 200,
        "/no-such-page": 404,
        HANDSHAKE: 200,  # Engine.IO's own handshake, which Flask never sees
        "/socket.io/?EIO=4&transport=polling&sid=unknown": 400,  # and its own refusal
    }
    for path, status in answers.items():
        response = requests.get(server.url + path, timeout=TIMEOUT)
        assert response.status_code == status, path
        assert_security_headers(response)
    refused = requests.get(server.url + HANDSHAKE, headers={"Origin": "http://evil.example"}, timeout=TIMEOUT)
    assert refused.status_code == 400
    assert_security_headers(refused)


def cookie_header(response):
    """Return the Set-Cookie header of the session cookie in ``response``."""
    (cookie,) = [value for name, value in response.raw.headers.items() if name.lower() == "set-cookie"]
    assert cookie.startswith("session=")
    return [part.strip().lower() for part in cookie.split(";")]


@pytest.mark.parametrize(
    ("trusted", "forwarded", "secure"),
    [
        (0, {}, False),
        (0, {"X-Forwarded-Proto": "https"}, False),  # no proxy is trusted: a client cannot claim HTTPS
        (1, {}, False),
        (1, {"X-Forwarded-Proto": "https"}, True),
    ],
)
def test_session_cookie_is_lax_and_secure_over_https(live_server, trusted, forwarded, secure):
    """Mark the session cookie SameSite=Lax, and Secure when a trusted proxy says the request was HTTPS."""
    server = live_server(TRUSTED_PROXIES=trusted)
    cookie = cookie_header(requests.get(server.url + "/", headers=forwarded, timeout=TIMEOUT))
    assert "samesite=lax" in cookie and "httponly" in cookie
    assert ("secure" in cookie) is secure


def test_public_origin_refuses_a_dns_rebinding_handshake(live_server):
    """Judge the Origin by PUBLIC_ORIGIN: a page whose Host and Origin are both its own is refused."""
    public = "https://chat.example.com"
    server = live_server(PUBLIC_ORIGIN=public)
    attacker = f"attacker.example:{server.port}"
    rebinding = {"Host": attacker, "Origin": f"http://{attacker}"}
    assert requests.get(server.url + HANDSHAKE, headers=rebinding, timeout=TIMEOUT).status_code == 400
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(
            f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket",
            host=attacker,
            origin=f"http://{attacker}",
            timeout=TIMEOUT,
        )
    # The same Host-free check lets the public origin in, whatever Host the proxy passes on.
    assert requests.get(server.url + HANDSHAKE, headers={"Origin": public}, timeout=TIMEOUT).status_code == 200
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket", origin=public, timeout=TIMEOUT
    )
    assert ws.recv().startswith("0")
    ws.close()
