"""DATABASE_URL: what it accepts, its older name HISTORY_DATABASE, and its default."""

import pytest

from chat.stores.sql import database_url


@pytest.mark.parametrize(
    ("value", "driver", "database"),
    [
        ("/var/lib/chat/chat.sqlite3", "sqlite", "/var/lib/chat/chat.sqlite3"),
        (":memory:", "sqlite", None),
        ("sqlite:///relative.sqlite3", "sqlite", "relative.sqlite3"),
        ("postgresql://chat:secret@db/chat", "postgresql+psycopg", "chat"),
        ("postgres://chat:secret@db/chat", "postgresql+psycopg", "chat"),
        ("postgresql+psycopg://chat@db/chat", "postgresql+psycopg", "chat"),
    ],
)
def test_a_database_setting_becomes_a_url(value, driver, database):
    """Take a SQLite path or a URL; postgresql:// means psycopg 3."""
    url = database_url(value)
    assert (url.drivername, url.database) == (driver, database)


def test_history_database_is_still_read_and_database_url_wins(make_app, monkeypatch, tmp_path):
    """Use HISTORY_DATABASE when DATABASE_URL is unset, DATABASE_URL when both are, from the environment too."""
    old = str(tmp_path / "old-name.sqlite3")
    assert make_app(HISTORY_DATABASE=old).config["DATABASE_URL"] == old
    new = str(tmp_path / "new-name.sqlite3")
    assert make_app(HISTORY_DATABASE=old, DATABASE_URL=new).config["DATABASE_URL"] == new
    monkeypatch.delenv("CHAT_HISTORY_DATABASE")
    monkeypatch.setenv("CHAT_DATABASE_URL", new)
    assert make_app().config["DATABASE_URL"] == new
