"""Entry point for production servers, e.g. ``gunicorn --worker-class gevent wsgi:app``."""

from chat import create_app
from chat.shutdown import close_clients_on_sigterm

app = application = create_app()
close_clients_on_sigterm()
