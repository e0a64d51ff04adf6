"""HTTP routes: the demo page and the health check."""

from flask import Blueprint, current_app, render_template

bp = Blueprint("views", __name__)


@bp.get("/")
def index():
    """Serve the demo chat page."""
    return render_template("index.html")


@bp.get("/healthz")
def healthz():
    """Answer load balancers: the process is up, with its connection count."""
    return {"status": "ok", "connections": current_app.extensions["chat"].online}
