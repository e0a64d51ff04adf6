"""Entry point for production servers, e.g. ``gunicorn -k gevent -w 1 wsgi:app``."""

from chat import create_app

app = application = create_app()
