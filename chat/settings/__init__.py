"""Settings, each declared once: its name, type, default, check and meaning.

``SETTINGS`` (declared.py) is the one list. From it ``load`` (loading.py) fills ``app.config``
(the defaults, then ``CHAT_*`` environment variables parsed by type, then a ``test_config``
mapping) and runs the start-up checks, and readme.py writes the README's settings table:
``python -m chat.settings`` prints it. kinds.py says what a setting and a check are; sizes.py
derives the packet sizes from the other settings.
"""

from .declared import BY_NAME, DEFAULTS, SETTINGS, derived_defaults
from .kinds import Check, Setting
from .loading import MIN_METRICS_TOKEN_LENGTH, MIN_SECRET_KEY_BYTES, Config, check, load
from .readme import TABLE_BEGIN, TABLE_END, readme_table, table, write_readme_table
from .sizes import flood_allowance_bytes, longest_packet

__all__ = [
    "BY_NAME",
    "DEFAULTS",
    "MIN_METRICS_TOKEN_LENGTH",
    "MIN_SECRET_KEY_BYTES",
    "SETTINGS",
    "TABLE_BEGIN",
    "TABLE_END",
    "Check",
    "Config",
    "Setting",
    "check",
    "derived_defaults",
    "flood_allowance_bytes",
    "load",
    "longest_packet",
    "readme_table",
    "table",
    "write_readme_table",
]
