"""The session cookie: SameSite=Lax always, Secure whenever the request came over HTTPS."""

from flask import has_request_context, request
from flask.sessions import SecureCookieSessionInterface


class ChatSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the cookie's Secure flag decided per request.

    SESSION_COOKIE_SECURE is one value for the whole process, but one server may be reached
    over plain HTTP on 127.0.0.1 and over HTTPS through its proxy (X-Forwarded-Proto, read by
    ProxyFix when TRUSTED_PROXIES is set): a cookie sent over HTTPS is marked Secure, so the
    browser never sends it back in the clear.
    """

    def get_cookie_secure(self, app):
        return super().get_cookie_secure(app) or (has_request_context() and request.is_secure)

    def get_cookie_samesite(self, app):
        # Lax: sent on a top-level visit from another site, never on its forms or fetches.
        return super().get_cookie_samesite(app) or "Lax"
