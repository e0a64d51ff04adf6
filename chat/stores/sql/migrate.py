"""Bring the database's schema to the newest revision with Alembic (migrations/), or tell where it stands."""

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from . import Database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Alembic's context is one per process (a module-level proxy): one upgrade at a time in a process.
_UPGRADING = threading.Lock()


def alembic_config(database: Database) -> Config:
    """Return the Alembic configuration of the chat's migrations for ``database``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


def upgrade(database: Database) -> None:
    """Upgrade ``database`` to the newest revision (env.py locks it on PostgreSQL; a no-op when current)."""
    config = alembic_config(database)
    with _UPGRADING, database._lock, database.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def current(database: Database) -> tuple[str | None, str | None]:
    """Return (the database's revision, the newest revision); the first is None for a database never upgraded."""
    head = ScriptDirectory.from_config(alembic_config(database)).get_current_head()
    with database._lock, database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision(), head
