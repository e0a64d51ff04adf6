"""Mentions: which people a message names, kept as person ids so a later rename does not break them.

Pure functions, no chat state: the handlers pass in the room's members and the limit.
"""

import unicodedata
from collections.abc import Iterable

from .model import ChatError, Member
from .names import name_key
from .text import plain

MENTION_ID_MAX = 64  # a person id: as long as a token's sub (chat/identity.py SUB_MAX)


def requested(value: object, max_mentions: int) -> list[str]:
    """Return the person ids a ``send-message`` names in ``mentions`` (none if absent); raise ChatError if bad."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(item, str) and 0 < len(item) <= MENTION_ID_MAX for item in value
    ):
        raise ChatError("bad_arguments", "mentions must be a list of person ids")
    if len(value) > max_mentions:
        raise ChatError("too_many_mentions", f"a message may mention at most {max_mentions} people, not {len(value)}")
    return [plain(item, "mentions") for item in value]


def kept(person_ids: Iterable[str], members: Iterable[Member], max_mentions: int) -> list[str]:
    """Return the ``person_ids`` among ``members`` (the room's at send time): once each, in order, at most the limit."""
    present = {member.id for member in members}
    ids: list[str] = []
    for person_id in person_ids:
        if person_id in present and person_id not in ids:
            ids.append(person_id)
    return ids[:max_mentions]


def resolved(text: str, members: Iterable[Member], max_mentions: int) -> list[str]:
    """Return the ids of the ``members`` that ``text`` names as ``@name``, by the longest name matching at each ``@``.

    Names compare as they do for uniqueness (chat/names.py ``name_key``: a look-alike of a
    name is that name); a match must end the text or be followed by a character that cannot
    continue a name (not a letter, digit or combining mark).
    """
    by_key = sorted(((name_key(member.name), member.id) for member in members), key=lambda pair: -len(pair[0]))
    ids: list[str] = []
    start = text.find("@")
    while start >= 0 and len(ids) < max_mentions:
        rest = text[start + 1 :]
        if not rest[:1] or rest[:1].isspace():
            start = text.find("@", start + 1)
            continue
        for key, person_id in by_key:
            # Compare the text's next characters, normalised as names are, with each name, longest first.
            candidate = name_key(rest[: len(key) + 8])
            if candidate.startswith(key) and (len(candidate) == len(key) or not _continues(candidate[len(key)])):
                if person_id not in ids:
                    ids.append(person_id)
                break
        start = text.find("@", start + 1)
    return ids


def _continues(char: str) -> bool:
    """Return whether ``char`` may continue a name: a letter, a digit or a combining mark (a key is decomposed)."""
    return char.isalnum() or unicodedata.category(char).startswith("M")
