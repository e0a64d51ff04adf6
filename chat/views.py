"""HTTP routes: the demo page and the health check."""

import secrets

from flask import Blueprint, abort, current_app, render_template, request, session

from .model import ChatError

bp = Blueprint("views", __name__)


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
    body = request.get_json(silent=True) or {}
    try:
        # The demo's user is the browser: signed in, its tabs are one person.
        token = state.tokens.issue(session["browser"], body.get("name"))
    except ChatError as error:
        return {"ok": False, **error.as_dict()}, 400
    return {"ok": True, "token": token}


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
