"""HTTP routes: the demo page and the health check."""

import secrets

from flask import Blueprint, abort, current_app, render_template, request, session
from werkzeug.exceptions import RequestEntityTooLarge

from .model import ChatError
from .validation import kind_of

bp = Blueprint("views", __name__)

# The largest body /token reads: {"name": ...} with a name of 32 characters, each escaped as
# \uXXXX\uXXXX, is under 400 bytes.
TOKEN_BODY_MAX = 4096


@bp.get("/")
def index():
    """Serve the demo chat page, giving the browser an id: each tab is a guest of its own, of this browser."""
    _identify_browser()
    config = current_app.config
    return render_template("index.html", tokens=config["TOKENS"], demo_tokens=config["DEMO_TOKENS"])


@bp.post("/token")
def demo_token():
    """Issue a signed token for a name of the caller's choosing: demo mode only (DEMO_TOKENS)."""
    state = current_app.extensions["chat"]
    if not (current_app.config["DEMO_TOKENS"] and state.tokens):
        abort(404)
    _identify_browser()
    try:
        # The demo's user is the browser: signed in, its tabs are one person.
        token = state.tokens.issue(session["browser"], _json_object(TOKEN_BODY_MAX).get("name"))
    except RequestEntityTooLarge:
        error = ChatError("too_long", f"the body is too long: the limit is {TOKEN_BODY_MAX:,} bytes")
        return {"ok": False, **error.as_dict()}, 413
    except ChatError as error:
        return {"ok": False, **error.as_dict()}, 400
    return {"ok": True, "token": token}


def _json_object(max_bytes):
    """Return the request's JSON object body ({} for none, or one that is not JSON); raise ChatError if another value.

    Raise RequestEntityTooLarge past ``max_bytes``, read or not.
    """
    request.max_content_length = max_bytes
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nesting deeper than the JSON decoder goes, which silent=True does not catch
        raise ChatError("bad_arguments", "the body must be a JSON object, not one nested this deep") from None
    if body is not None and not isinstance(body, dict):
        raise ChatError("bad_arguments", f'the body must be a JSON object, {{"name": ...}}, not {kind_of(body)}')
    return body or {}


def _identify_browser():
    """Give the browser a lasting id in its session cookie, unless it has one."""
    if "browser" not in session:
        session["browser"] = secrets.token_urlsafe(12)
        session.permanent = True


@bp.get("/healthz")
def healthz():
    """Answer load balancers: 200 while the process and its storage work, else 503; with the online counts."""
    state = current_app.extensions["chat"]
    problem = state.stores.history.check()
    if problem is not None:
        return {"status": "unavailable", "storage": problem}, 503
    return {"status": "ok", "connections": state.presence.connections, "people": state.presence.people}
