"""HTTP routes: the demo page and the health check."""

import secrets

from flask import Blueprint, current_app, render_template, session

bp = Blueprint("views", __name__)


@bp.get("/")
def index():
    """Serve the demo chat page, giving the browser a person id: its tabs are one person."""
    if "person" not in session:
        session["person"] = secrets.token_urlsafe(12)
        session.permanent = True
    return render_template("index.html")


@bp.get("/healthz")
def healthz():
    """Answer load balancers: the process is up, with how many connections and people it has."""
    presence = current_app.extensions["chat"].presence
    return {"status": "ok", "connections": presence.connections, "people": presence.people}
