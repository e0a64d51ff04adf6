"""The checks of edits, deletions and reactions (chat/validation.py), on their own."""

import pytest

from chat.model import ChatError
from chat.validation import change_number, handshake_changes, reaction_emoji, reaction_flag


@pytest.mark.parametrize("emoji", ["👍", "👨‍👩‍👧", "❤️", "+1", "x" * 16, "🇫🇷"])
def test_short_strings_without_control_characters_are_reactions(emoji):
    """Accept 1 to 16 code points, joiners and variation selectors included."""
    assert reaction_emoji(emoji, 16) == emoji


@pytest.mark.parametrize("emoji", ["", " ", "x" * 17, "a\nb", "\x00", "a\u2028", "\ud83d", 1, None, ["👍"]])
def test_other_values_are_not_reactions(emoji):
    """Refuse empty, blank, long, control characters, lone surrogates and non-strings as bad_emoji."""
    with pytest.raises(ChatError) as refused:
        reaction_emoji(emoji, 16)
    assert refused.value.code == "bad_emoji"


def test_on_is_a_boolean():
    """Accept true and false only."""
    assert reaction_flag(False) is False
    for value in (0, 1, "true", None):
        with pytest.raises(ChatError):
            reaction_flag(value)


def test_last_change_maps_rooms_to_change_numbers():
    """Keep the rooms entered that have a number; refuse anything but a map of whole numbers."""
    assert handshake_changes({"lastChange": {"a": 3, "b": None, "c": 4}}, {"a": None, "b": 2}) == {"a": 3}
    assert handshake_changes({}, {"a": None}) == {}
    assert change_number(None, "lastChange") is None
    for auth in ({"lastChange": []}, {"lastChange": {"a": True}}, {"lastChange": {"a": 1.0}}):
        with pytest.raises(ChatError):
            handshake_changes(auth, {"a": None})
