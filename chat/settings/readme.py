"""The README's settings table, written from ``SETTINGS``: ``python -m chat.settings --readme``."""

from __future__ import annotations

from pathlib import Path

from .declared import SETTINGS, derived_defaults

# The lines around the settings table in README.md, which `python -m chat.settings --readme` rewrites.
TABLE_BEGIN = "<!-- settings-table:begin -->"
TABLE_END = "<!-- settings-table:end -->"


def table() -> str:
    """Return the Markdown table of every setting: its variable, default and meaning."""
    lines = ["| setting | default | meaning |", "|---|---|---|"]
    derived = derived_defaults()
    lines += [
        f"| `CHAT_{setting.name}` | {setting.shown_default(derived)} | {setting.meaning} |" for setting in SETTINGS
    ]
    return "\n".join(lines) + "\n"


def readme_table(readme: str) -> str:
    """Return the text between the settings-table markers of ``readme``, blank lines included; ValueError without them."""
    try:
        start = readme.index(TABLE_BEGIN + "\n") + len(TABLE_BEGIN) + 1
        end = readme.index(TABLE_END, start)
    except ValueError:
        raise ValueError(f"README.md has no {TABLE_BEGIN} ... {TABLE_END} block") from None
    return readme[start:end]


def write_readme_table(path: Path) -> None:
    """Replace the settings table between the markers of the README at ``path`` with ``table()``."""
    readme = path.read_text(encoding="utf-8")
    old = readme_table(readme)
    start = readme.index(TABLE_BEGIN + "\n") + len(TABLE_BEGIN) + 1
    # Blank lines around the table, so Markdown never reads a marker as a row of it.
    path.write_text(readme[:start] + "\n" + table() + "\n" + readme[start + len(old) :], encoding="utf-8")
