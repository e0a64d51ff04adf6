"""Display names: what a valid one is, when two are the same, and guest names."""

import secrets
import unicodedata

from . import text
from .model import ChatError

MAX_NAME_LENGTH = 32


def display_name(value):
    """Return ``value`` trimmed, if it is an acceptable display name; raise ChatError if not."""
    if not isinstance(value, str):
        raise ChatError("bad_name", "the name must be a string")
    name = value.strip()
    if not name:
        raise ChatError("bad_name", "the name is empty")
    if len(name) > MAX_NAME_LENGTH:
        raise ChatError("bad_name", f"the name is too long: {len(name)} characters, the limit is {MAX_NAME_LENGTH}")
    hidden = text.hidden_in(name)
    if hidden is not None:
        raise ChatError("bad_name", f"the name contains a character that does not show or is not allowed ({hidden})")
    return name


def name_key(name: str) -> str:
    """Return what makes two names the same: the UTS #39 skeleton of the NFKC case-folded name, spaces collapsed.

    So ``Alice``, ``ＡＬＩＣＥ`` and Cyrillic ``Аlice`` are one name. The skeleton is folded
    again, as some of its prototypes are capitals ("0" becomes "O"). For comparing only.
    """
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(text.skeleton(folded).casefold().split())


def with_suffix(name, taken):
    """Return ``name``, or ``name`` with the lowest " 2", " 3", ... suffix whose key is not in ``taken``."""
    if name_key(name) not in taken:
        return name
    number = 2
    while True:
        suffix = f" {number}"
        candidate = name[: MAX_NAME_LENGTH - len(suffix)].rstrip() + suffix
        if name_key(candidate) not in taken:
            return candidate
        number += 1


def guest_name():
    """Return a readable name for someone who gave none."""
    return f"Guest {secrets.randbelow(9000) + 1000}"
