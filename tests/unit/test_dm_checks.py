"""The checks of what names a direct message: its id, a person's id, DM ids in the handshake."""

import pytest

from chat.model import ChatError
from chat.validation import conversation, handshake_rooms, is_dm, person_id

DM = "dm:" + "0123456789abcdef01234567"


@pytest.mark.parametrize("value", [DM, "general", "a", "x" * 32])
def test_a_conversation_is_a_room_name_or_a_dm_id(value):
    """Accept room names and DM ids alike."""
    assert conversation(value) == value


@pytest.mark.parametrize(
    "value",
    [
        "dm:" + "0" * 23,
        "dm:" + "0" * 25,
        "dm:" + "G" * 24,
        "DM:" + "0" * 24,
        "dm:" + "0" * 24 + "\n",
        None,
        7,
        ["general"],
    ],
)
def test_anything_else_is_no_conversation(value):
    """Refuse bad_room for what is neither, naming both rules."""
    assert not is_dm(value)
    with pytest.raises(ChatError) as refused:
        conversation(value)
    assert refused.value.code == "bad_room" and "dm:" in refused.value.reason


@pytest.mark.parametrize("value", [None, 7, "", "x" * 257, ["a"], True])
def test_a_person_id_is_a_short_string(value):
    """Refuse bad_arguments for a person id that is not a string of 1 to 256 characters."""
    with pytest.raises(ChatError) as refused:
        person_id(value)
    assert refused.value.code == "bad_arguments"
    assert person_id("x" * 256) == "x" * 256


def test_a_handshake_names_dms_beside_its_rooms():
    """Accept up to dms_max DM ids beside rooms_per_connection rooms, with their lastSeen; refuse more."""
    auth = {"rooms": ["general", DM], "lastSeen": {DM: 4}}
    assert handshake_rooms(auth, "general", 1, dms_max=1) == {"general": None, DM: 4}
    with pytest.raises(ChatError) as refused:
        handshake_rooms(auth, "general", 1)  # no DMs allowed
    assert refused.value.code == "bad_handshake"
    with pytest.raises(ChatError):
        handshake_rooms({"rooms": ["general", "games"]}, "general", 1, dms_max=5)
