"""The text policy, in one place: what each kind of text a client sends may hold, and when two names are one.

- **Message text** (``newMessage``, ``send-message``, ``edit-message``) is kept exactly as
  sent, every code point, a lone surrogate or U+0000 included: the original gateway's
  contract, and the stores keep it so (chat/validation.py ``message_text`` checks only its
  length and that it is not blank).
- **Every other text field** a client sends (names, clientIds, reactions, moderation
  reasons, person ids, mentions, tokens and guest credentials; room names and DM ids, whose
  patterns allow ASCII alone, too) refuses a lone surrogate and U+0000 (``plain``): neither
  is text a person means, UTF-8 cannot encode the one and PostgreSQL refuses the other, so
  either would fail deep in a store instead of at the edge with a clear code.
- **Names** refuse, besides, every character that does not show (``shows``): controls,
  private-use and unassigned code points, line and paragraph separators, and every
  Default_Ignorable_Code_Point (zero-width and format characters, variation selectors, the
  Hangul fillers...), so nobody is "Alice" and an invisible character, a second person who
  looks like Alice. Two names are one when their keys are equal (chat/names.py
  ``name_key``: the UTS #39 ``skeleton`` of the NFKC case-folded name), so a look-alike of a
  name (Cyrillic "Аlice" for "Alice", "B0b" for "Bob") is that name.

The Unicode data is ICU's, through PyICU: Unicode's reference implementation of UTS #39
(``SpoofChecker``) and of the character properties, which moves with each Unicode release
(requirements.txt says why this library).
"""

import re
import unicodedata

import icu

from .model import ChatError

# A lone surrogate or U+0000: in a Python str from JSON every surrogate is a lone one, since
# the decoder joins a valid pair into the one character it encodes.
_NOT_PLAIN = re.compile("[\x00\ud800-\udfff]")

# Control, surrogate, private-use and unassigned characters, and line or paragraph separators
# (format characters, Cf, are all Default_Ignorable_Code_Point but for a few that show, such
# as U+0600 ARABIC NUMBER SIGN; a name refuses them all the same).
_HIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}

_SPOOF_CHECKER = icu.SpoofChecker()


def plain(value: str, field: str, code: str = "bad_text") -> str:
    """Return ``value`` if it holds neither a lone surrogate nor U+0000; raise ChatError ``code`` naming ``field`` if it does."""
    found = _NOT_PLAIN.search(value)
    if found is not None:
        raise ChatError(code, f"{field} holds a character that is not allowed in it ({_code_point(found.group())})")
    return value


def shows(char: str) -> bool:
    """Return whether ``char`` is one a name may hold: it shows, and is not a control or unassigned character."""
    return unicodedata.category(char) not in _HIDDEN_CATEGORIES and not _default_ignorable(char)


def hidden_in(text: str) -> str | None:
    """Return the first character of ``text`` a name may not hold (see ``shows``), as U+XXXX, or None."""
    for char in text:
        if not shows(char):
            return _code_point(char)
    return None


def skeleton(text: str) -> str:
    """Return the UTS #39 skeleton of ``text``: each character mapped to the prototype it is confusable with.

    Cyrillic "а" maps to "a", "0" to "O", "m" to "rn": two texts that look alike have the
    same skeleton. For comparing only, never for showing.
    """
    return str(_SPOOF_CHECKER.getSkeleton(0, text))


def _default_ignorable(char: str) -> bool:
    """Return whether ``char`` has the Unicode property Default_Ignorable_Code_Point."""
    return bool(icu.Char.hasBinaryProperty(ord(char), icu.UProperty.DEFAULT_IGNORABLE_CODE_POINT))


def _code_point(char: str) -> str:
    """Return ``char`` as U+XXXX."""
    return f"U+{ord(char):04X}"
