"""What a setting is: its declaration (``Setting``) and the checks of one value (``Check``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..validation import ROOM_NAME, ROOM_NAME_RULE


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Check:
    """A rule one setting's value must meet, and what it must be, as the refusal says it."""

    must_be: str
    test: Callable[[Any], bool]

    def __call__(self, name: str, value: object) -> None:
        """Raise ValueError naming ``CHAT_<name>`` unless ``value`` passes."""
        if not self.test(value):
            raise ValueError(f"CHAT_{name} must be {self.must_be}, not {value!r}")


POSITIVE = Check("a positive number", lambda value: is_number(value) and value > 0)
WHOLE = Check("a whole number, 0 or more", lambda value: is_whole(value) and value >= 0)
COUNT = Check("a whole number, 1 or more", lambda value: is_whole(value) and value >= 1)
SECONDS = Check("a number of seconds, 0 or more", lambda value: is_number(value) and value >= 0)
DAYS = Check("a number of days, 0 or more", lambda value: is_number(value) and value >= 0)
BOOL = Check("true or false", lambda value: isinstance(value, bool))
BYTES = Check("a whole number of bytes", is_whole)
ROOM = Check(
    f"a room name ({ROOM_NAME_RULE})", lambda value: isinstance(value, str) and ROOM_NAME.fullmatch(value) is not None
)
ASYNC_MODE = Check("threading or gevent", lambda value: value in (None, "threading", "gevent"))
TEXT = Check("a non-empty string", lambda value: value is None or isinstance(value, str) and value != "")
# A JWT secret may also be bytes (from test_config), as SECRET_KEY may.
SECRET = Check(
    "a non-empty string",
    lambda value: value is None or isinstance(value, bytes) or isinstance(value, str) and value != "",
)
CLAIM = Check("a claim name", lambda value: isinstance(value, str) and value != "")
LEEWAY = Check("a number of seconds from 0 to 300", lambda value: is_number(value) and 0 <= value <= 300)


@dataclass(frozen=True)
class Setting:
    """One setting: ``CHAT_<name>`` in the environment, ``app.config[name]`` in the code.

    ``type`` is the value's type (str, int, float, bool or list), which decides how the
    environment's text is read (``parse``); ``check`` (if any) refuses a value that
    makes no sense on its own (settings that must agree are checked by ``RELATIONS``); ``derive``
    (if any) computes the value from the others when it is None; ``shown`` is the default as the
    README says it, where the value itself would not say it well.
    """

    name: str
    type: type
    default: Any
    check: Check | None
    meaning: str
    shown: str | None = None
    derive: Callable[[Mapping[str, Any]], Any] | None = None

    def shown_default(self, derived: Mapping[str, Any]) -> str:
        """Return the default as the README's table says it; ``derived`` holds the derived defaults."""
        if self.shown is not None:
            return self.shown
        if self.derive is not None:
            return f"derived: `{derived[self.name]}`"
        if self.default is None:
            return "none"
        if isinstance(self.default, bool):
            return f"`{json.dumps(self.default)}`"
        return f"`{self.default}`"

    def parse(self, text: str) -> Any:
        """Return the value of ``CHAT_<name>=text``: JSON where it is JSON, else the text itself.

        A string setting keeps its text when the text is JSON of another type (a secret of
        digits, a room named ``true``); ``null`` clears a setting whose default is None.
        """
        try:
            value = json.loads(text)
        except ValueError:
            return text
        if self.type is str and not isinstance(value, str) and not (value is None and self.default is None):
            return text
        return value
