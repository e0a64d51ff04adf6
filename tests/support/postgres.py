"""A private PostgreSQL server for the tests: its own data folder, port and socket, removed at the end.

Debian's ``postgresql`` package puts the server's programs under /usr/lib/postgresql/<version>/bin,
off PATH. The server refuses to run as root, so as root it runs as the ``postgres`` user, in a
folder of its own (pytest's tmp_path is root's, mode 0700, which that user cannot enter).
"""

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from support import TIMEOUT, free_port


def postgres_bin() -> Path | None:
    """Return the folder of PostgreSQL's server programs (the newest version installed), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(Path(path).parent.parent.name))
    return Path(found[-1]).parent if found else None


def _reachable_temp() -> str:
    """Return the temporary folder, or /tmp where the ``postgres`` user could not enter it (a TMPDIR of root's)."""
    folder = tempfile.gettempdir()
    if os.geteuid() == 0 and not os.stat(folder).st_mode & 0o001:
        return "/tmp"
    return folder


class PostgresServer:
    """A PostgreSQL server on a free loopback port, trusting local connections; ``database()`` makes empty ones."""

    def __init__(self, fsync: bool = False) -> None:
        """Prepare a server; ``fsync`` as in production (the benchmarks), off for the tests' speed."""
        self.fsync = fsync
        self.bin = postgres_bin()
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="chat-postgres-", dir=_reachable_temp()))
        self.data = self.directory / "data"
        self.process: subprocess.Popen[bytes] | None = None
        self._made = 0

    def _as_postgres(self, *command: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)

    def start(self) -> "PostgresServer":
        """Create the cluster once, start the server, and return once it accepts connections."""
        if self.bin is None:
            raise RuntimeError("PostgreSQL is missing: run `bash scripts/test.sh`, which installs it")
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        if not self.data.exists():
            subprocess.run(
                self._as_postgres(
                    str(self.bin / "initdb"),
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "-D",
                    str(self.data),
                ),
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        # As the postgres user itself, not through runuser: then this process is the server, which kill -9 reaches.
        user = {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}
        self.process = subprocess.Popen(
            [
                str(self.bin / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-k",
                str(self.directory),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"fsync={'on' if self.fsync else 'off'}",
                "-c",
                "max_connections=300",
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(self.directory / "server.log", "ab"),
            **user,
        )
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres exited:\n{(self.directory / 'server.log').read_text()}")
            ready = subprocess.run(
                [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if ready.returncode == 0:
                return self
            time.sleep(0.1)  # the server has no way to tell us it is ready
        raise RuntimeError("postgres did not start")

    def url(self, database: str = "postgres") -> str:
        """Return the URL of ``database`` on this server, as CHAT_DATABASE_URL takes it."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """Create an empty database and return its URL."""
        self._made += 1
        name = f"chat_{os.getpid()}_{self._made}"
        engine = sa.create_engine(
            self.url().replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
        )
        with engine.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)

    def stop(self, kill: bool = False) -> None:
        """Stop the server: a fast shutdown, or SIGKILL with ``kill`` (it recovers from its WAL on start)."""
        if self.process and self.process.poll() is None:
            # SIGINT is PostgreSQL's fast shutdown: SIGTERM would wait for every client to leave.
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGINT)
            self.process.wait(TIMEOUT)

    def remove(self) -> None:
        """Stop the server and delete its folder."""
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


def empty_database(url: str) -> None:
    """Empty every table of the chat's schema in the database at ``url``, numbering included."""
    from chat.stores.sql import Database
    from chat.stores.sql.migrate import upgrade
    from chat.stores.sql.schema import metadata

    database = Database(url)
    try:
        upgrade(database)
        names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
        with database.begin() as connection:
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY"))
    finally:
        database.close()
