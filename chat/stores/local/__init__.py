"""The stores for one server process: state in memory, the history in SQLite.

Each module implements the store of the same name in chat/stores/base.py; its twin in
chat/stores/redis/ does the same for several processes.
"""

import sqlite3
from pathlib import Path


def open_database(path, schema):
    """Open the SQLite file at ``path`` (":memory:" for none) in WAL mode, with ``schema`` created.

    One connection per store, shared by the process's threads or greenlets behind the
    store's own lock; autocommit, so each store opens its transactions itself.
    """
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(schema)
    return db
