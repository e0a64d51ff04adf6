"""Alembic's environment for the chat's database: run by chat/stores/sql/migrate.py (and ``flask db-upgrade``).

SQLite alters tables in batch mode (a copy of the table), since its ALTER TABLE cannot do
most changes. On PostgreSQL the upgrade runs under a session-level advisory lock, so
several processes starting at once upgrade once: the others wait, then find nothing to do.
"""

import sqlalchemy as sa
from alembic import context

from chat.stores.sql.schema import metadata

# Any fixed 64-bit number: the key every process's upgrade locks on.
MIGRATION_LOCK = 0x63686174_6D696772  # "chatmigr"


def run_migrations(connection: sa.Connection) -> None:
    """Upgrade on ``connection``, under the advisory lock on PostgreSQL."""
    locked = connection.dialect.name == "postgresql"
    if locked:
        connection.execute(sa.select(sa.func.pg_advisory_lock(MIGRATION_LOCK)))
        connection.commit()
    try:
        context.configure(
            connection=connection, target_metadata=metadata, render_as_batch=connection.dialect.name == "sqlite"
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    finally:
        if locked:
            connection.execute(sa.select(sa.func.pg_advisory_unlock(MIGRATION_LOCK)))
            connection.commit()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("no database to upgrade: run the migrations through chat/stores/sql/migrate.py")
    engine = sa.create_engine(url)
    with engine.connect() as own:
        run_migrations(own)
    engine.dispose()
