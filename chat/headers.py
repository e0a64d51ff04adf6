"""Security headers on every HTTP response, from a WSGI middleware around the whole app.

Around the whole app, not in Flask's ``after_request``, so that the answers Engine.IO gives
itself at ``/socket.io/`` (handshakes, polls, refusals) carry them too.
"""

# The demo page loads its scripts and stylesheet from this server and runs no inline script,
# so everything is 'self'. connect-src 'self' covers the page's own ws:// and wss:// too.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    # frame-ancestors above, for browsers that know CSP; this for those that do not.
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
)


class SecurityHeaders:
    """WSGI middleware: add the security headers to every response that does not set them itself."""

    def __init__(self, app, headers=SECURITY_HEADERS):
        self.app = app
        self.headers = headers

    def __call__(self, environ, start_response):
        def start_with_headers(status, response_headers, exc_info=None):
            present = {name.lower() for name, _ in response_headers}
            extra = [(name, value) for name, value in self.headers if name.lower() not in present]
            return start_response(status, list(response_headers) + extra, exc_info)

        return self.app(environ, start_with_headers)
