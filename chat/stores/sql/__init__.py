"""Durable data in one SQL database: SQLite for one process, PostgreSQL for several.

The room registry, the history, direct messages, changes, read markers, mentions and
moderation records live here (SQLAlchemy Core, the tables of schema.py); live state
(presence, typing, limits, delivery) stays in memory or Redis. One ``Database`` is shared
by every store of a process. What differs between the two databases is kept in this module:

- SQLite: one connection, shared by the process's threads (or greenlets) behind one lock,
  each transaction ``BEGIN IMMEDIATE``, WAL mode with ``synchronous=NORMAL`` (a committed
  transaction survives the process being killed; a power cut would need FULL).
- PostgreSQL (``postgresql+psycopg``): a connection pool, each transaction READ COMMITTED;
  numbering takes a row lock on the room's counter row (``INSERT ... ON CONFLICT DO UPDATE
  ... RETURNING``), which holds until commit, so ids are committed in their order.
"""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import StaticPool

T = TypeVar("T")


def database_url(value: str) -> URL:
    """Return the SQLAlchemy URL of a DATABASE_URL setting: a SQLite path, ``:memory:``, or a URL.

    ``postgresql://`` and ``postgres://`` mean psycopg 3, the driver requirements.txt brings.
    """
    if "://" not in value:
        return make_url("sqlite://" if value == ":memory:" else f"sqlite:///{value}")
    url = make_url(value.replace("postgres://", "postgresql://", 1) if value.startswith("postgres://") else value)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url


class Rollback(Exception):
    """Raised inside a transaction to roll it back and return ``result`` from ``Database.transaction``."""

    def __init__(self, result: Any) -> None:
        super().__init__("rolled back")
        self.result = result


class Database:
    """An engine for the durable stores, and the transactions they run on it."""

    def __init__(self, url: str | URL) -> None:
        self.url = database_url(url) if isinstance(url, str) else url
        self.sqlite = self.url.get_backend_name() == "sqlite"
        self.postgresql = self.url.get_backend_name() == "postgresql"
        self.closed = False
        self.engine: Engine
        if self.sqlite:
            path = self.url.database
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine = sa.create_engine(
                self.url, poolclass=StaticPool, connect_args={"check_same_thread": False, "timeout": 30}
            )
            sa.event.listen(self.engine, "connect", _sqlite_connected)
            sa.event.listen(self.engine, "begin", _sqlite_begin)
            self._lock: Any = threading.Lock()
            # One connection, kept: checking one out of the pool per transaction costs more than the INSERT.
            self._connection: Connection | None = None
        else:
            # Pre-ping: a database restarted meanwhile leaves pooled connections dead.
            # connect_timeout: a request waits at most this long for a database that went away.
            self.engine = sa.create_engine(
                self.url, pool_pre_ping=True, pool_size=5, max_overflow=20, connect_args={"connect_timeout": 5}
            )
            self._lock = nullcontext()
            self._connection = None

    @property
    def shared(self) -> bool:
        """Return whether several processes can share this database (not SQLite)."""
        return not self.sqlite

    def close(self) -> None:
        """Let go of every connection; the stores fail from now on."""
        self.closed = True
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
        self.engine.dispose()

    def _open(self) -> None:
        if self.closed:
            raise sa.exc.ResourceClosedError("the database was closed")

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """Yield a connection in a transaction, committed when the block ends, rolled back if it raises."""
        self._open()
        if not self.sqlite:
            with self.engine.begin() as connection:
                yield connection
            return
        with self._lock:
            connection = self._kept()
            with connection.begin():
                yield connection

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """Yield a connection for reads."""
        self._open()
        if not self.sqlite:
            with self.engine.connect() as connection:
                yield connection
            return
        with self._lock:
            connection = self._kept()
            try:
                yield connection
            finally:
                connection.rollback()  # end the read's transaction, so the file's WAL can move on

    def _kept(self) -> Connection:
        if self._connection is None:
            self._connection = self.engine.connect()
        return self._connection

    def transaction(self, work: Callable[[Connection], T]) -> T:
        """Run ``work(connection)`` in one transaction and return its result; ``Rollback(result)`` undoes it."""
        try:
            with self.begin() as connection:
                return work(connection)
        except Rollback as rollback:
            undone: T = rollback.result  # what ``work`` raised with, in place of its return
            return undone

    def driver_transaction(self, work: Callable[[Any], T]) -> T:
        """SQLite only: run ``work(sqlite3 connection)`` in one BEGIN IMMEDIATE ... COMMIT on the kept connection.

        For the fan-out's hot path (SqlHistory.append), where SQLAlchemy's own work per
        transaction and statement would cost one process several times what SQLite does.
        ``Rollback(result)`` undoes it, as in ``transaction``.
        """
        self._open()
        with self._lock:
            raw = self._kept().connection.driver_connection
            assert raw is not None, "an open SQLAlchemy connection always has its sqlite3 connection"
            raw.execute("BEGIN IMMEDIATE")
            try:
                result = work(raw)
            except Rollback as rollback:
                raw.execute("ROLLBACK")
                undone: T = rollback.result
                return undone
            except BaseException:
                raw.execute("ROLLBACK")
                raise
            raw.execute("COMMIT")
            return result

    def read(self, work: Callable[[Connection], T]) -> T:
        """Run ``work(connection)`` for reads and return its result."""
        with self.connect() as connection:
            return work(connection)

    def insert(self, table: sa.Table) -> Any:
        """Return an INSERT of ``table`` with this dialect's ``on_conflict_do_*`` (SQLite and PostgreSQL share it)."""
        return (sqlite.insert if self.sqlite else postgresql.insert)(table)

    def check(self) -> str | None:
        """Return None if the database answers, else what is wrong with it."""
        try:
            self.read(lambda connection: connection.execute(sa.text("SELECT 1")).scalar())
        except sa.exc.SQLAlchemyError as error:
            return f"database: {error}"
        return None


def _sqlite_connected(dbapi_connection: Any, record: Any) -> None:
    # Transactions are begun by _sqlite_begin, not by the driver, which would defer the lock.
    dbapi_connection.isolation_level = None
    dbapi_connection.execute("PRAGMA journal_mode=WAL")
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")  # see the module docstring


def _sqlite_begin(connection: Connection) -> None:
    # IMMEDIATE takes the write lock now: a transaction that reads then writes cannot fail half way.
    connection.exec_driver_sql("BEGIN IMMEDIATE")
