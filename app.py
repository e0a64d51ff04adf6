"""Entry point for ``flask run``: the demo chat on http://127.0.0.1:5000/."""

from chat import create_app

app = create_app()
