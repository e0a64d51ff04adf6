"""The settings declared once: their list, the environment parsed by type, the README's table."""

from pathlib import Path
from typing import Any

import pytest

from chat import create_app, settings

README = Path(__file__).resolve().parents[2] / "README.md"
KEY = "k" * 32


def test_every_setting_is_declared_once() -> None:
    """Declare each setting under one name, with a meaning for the README."""
    names = [setting.name for setting in settings.SETTINGS]
    assert len(names) == len(set(names))
    assert all(setting.meaning and "|" not in setting.meaning for setting in settings.SETTINGS)
    assert settings.DEFAULTS == {setting.name: setting.default for setting in settings.SETTINGS}
    for setting in settings.SETTINGS:
        allowed = (int, float) if setting.type is float else setting.type  # 25 seconds is a float setting's 25.0
        assert setting.default is None or isinstance(setting.default, allowed), setting.name


def test_the_readme_table_is_the_generated_one() -> None:
    """Keep README.md's settings table equal to the one the settings write."""
    block = settings.readme_table(README.read_text(encoding="utf-8"))
    assert block.strip() == settings.table().strip(), (
        "README.md's settings table differs from chat/settings/declared.py: regenerate it with "
        "`python -m chat.settings --readme` (or print it with `python -m chat.settings`)"
    )


def test_the_table_shows_derived_defaults_computed() -> None:
    """Show a derived default as the value the defaults give, so the README cannot go stale."""
    rows = {line.split(" | ")[0]: line for line in settings.table().splitlines()}
    assert f"derived: `{settings.longest_packet(settings.DEFAULTS)}`" in rows["| `CHAT_MAX_EVENT_LENGTH`"]


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("FLOOD_BURST", "10", 10),
        ("FLOOD_RATE", "2.5", 2.5),
        ("TOKENS", "true", True),
        ("SECRET_KEY", "1" * 40, "1" * 40),  # digits stay a string: a key, not a number
        ("SECRET_KEY", '"' + "s" * 32 + '"', "s" * 32),  # JSON strings, as tests/support/servers.py writes them
        ("DEFAULT_ROOM", "true", "true"),
        ("JWT_AUDIENCE", "null", None),
        ("CORS_ORIGINS", '["http://a.example"]', ["http://a.example"]),
        ("FLOOD_BURST", "many", "many"),  # left as text for the check to name
    ],
)
def test_environment_values_are_parsed_by_type(name: str, text: str, value: Any) -> None:
    """Parse CHAT_<name> as JSON, except that a string setting keeps text that is JSON of another type."""
    assert settings.Setting(name, settings.BY_NAME[name].type, settings.DEFAULTS[name], None, "m").parse(text) == value


def test_a_setting_from_the_environment_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse a bad CHAT_* value with the setting's own message."""
    monkeypatch.setenv("CHAT_FLOOD_BURST", "many")
    with pytest.raises(ValueError, match="CHAT_FLOOD_BURST must be a whole number, 0 or more, not 'many'"):
        create_app({"SECRET_KEY": KEY})


def test_flask_settings_still_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read Flask's own settings from CHAT_* too: SERVER_NAME gives the public origin."""
    monkeypatch.setenv("CHAT_SERVER_NAME", "chat.example.com")
    assert create_app({"SECRET_KEY": KEY}).config["PUBLIC_ORIGIN"] == "http://chat.example.com"
