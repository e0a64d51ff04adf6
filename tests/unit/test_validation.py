"""The payload checks, without sockets: messages, room names, ids, page sizes, the handshake."""

import pytest

from chat import validation
from chat.model import ChatError
from chat.validation import MAX_MESSAGE_ID, message_text


@pytest.mark.parametrize(
    "text",
    [
        "hi",
        "  padded and kept as sent  ",
        "<b>tags are text</b>",
        "😀" * 10,
        "x" * 30,
    ],
)
def test_valid_text_is_returned_exactly(text):
    """Return a valid message exactly as sent, white space included."""
    assert message_text((text,), max_length=30) == text


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        ((), "bad_arguments", "got 0"),
        (("a", "b"), "bad_arguments", "got 2"),
        ((1,), "not_text", "a number"),
        ((1.5,), "not_text", "a number"),
        ((True,), "not_text", "a boolean"),
        ((None,), "not_text", "null"),
        (({"text": "hi"},), "not_text", "an object"),
        ((["hi"],), "not_text", "an array"),
        ((b"hi",), "not_text", "binary"),
        (("",), "empty", "empty"),
        (("   ",), "empty", "empty"),
        (("\n\t\u3000",), "empty", "empty"),
        (("x" * 21,), "too_long", "21 characters, the limit is 20"),
    ],
)
def test_invalid_input_is_refused_with_a_reason(args, code, words):
    """Refuse anything but one non-blank string of at most the limit, saying why."""
    with pytest.raises(ChatError) as refused:
        message_text(args, max_length=20)
    assert refused.value.code == code
    assert words in refused.value.reason


def test_length_counts_code_points_not_utf16_units():
    """Count an astral character (two UTF-16 units in a browser) as one."""
    assert message_text(("😀" * 20,), max_length=20) == "😀" * 20
    with pytest.raises(ChatError):
        message_text(("😀" * 21,), max_length=20)


def refusal(check, *args):
    """Return the ChatError ``check(*args)`` raises."""
    with pytest.raises(ChatError) as refused:
        check(*args)
    return refused.value


@pytest.mark.parametrize("name", ["general", "a", "0-day", "x_y", "a" * 32])
def test_valid_room_names_are_returned(name):
    """Return a room name that keeps the rule unchanged."""
    assert validation.room_name(name) == name


@pytest.mark.parametrize("name", ["", "General", "-a", "_a", "a b", "a" * 33, "é", None, 7, ["a"]])
def test_invalid_room_names_are_refused_with_the_rule(name):
    """Refuse anything but 1 to 32 lower-case letters, digits, - and _, starting with a letter or digit."""
    error = refusal(validation.room_name, name)
    assert error.code == "bad_room" and "1 to 32 characters" in error.reason


@pytest.mark.parametrize("value", [None, 0, 1, MAX_MESSAGE_ID])
def test_message_ids_are_whole_numbers_in_range(value):
    """Accept an absent id, or a whole number from 0 to the largest id both backends keep exactly."""
    assert validation.message_id(value, "lastSeen") == value


@pytest.mark.parametrize("value", [-1, MAX_MESSAGE_ID + 1, 1.0, True, "3", [3]])
def test_other_message_ids_are_refused_naming_the_field(value):
    """Refuse a negative, oversized, float, boolean or string id, naming the field."""
    error = refusal(validation.message_id, value, "before")
    assert error.code == "bad_arguments" and error.reason.startswith("before must be a message id")


@pytest.mark.parametrize(
    ("value", "ok"),
    [(None, True), ("c", True), ("c" * 64, True), ("", False), ("c" * 65, False), (5, False), ({"id": "c"}, False)],
)
def test_client_ids_are_short_strings(value, ok):
    """Accept an absent clientId or one of 1 to 64 characters; refuse anything else."""
    if ok:
        assert validation.client_id(value) == value
    else:
        assert refusal(validation.client_id, value).code == "bad_arguments"


@pytest.mark.parametrize(
    ("value", "ok"), [(1, True), (200, True), (0, False), (201, False), (True, False), (2.5, False), ("5", False)]
)
def test_page_limits_are_bounded(value, ok):
    """Accept a page size from 1 to the maximum; refuse 0, more, booleans and non-integers."""
    if ok:
        assert validation.page_limit(value, 200) == value
    else:
        assert "from 1 to 200" in refusal(validation.page_limit, value, 200).reason


@pytest.mark.parametrize(("value", "ok"), [(True, True), (False, True), (1, False), (None, False), ("yes", False)])
def test_typing_is_true_or_false(value, ok):
    """Accept only a boolean as the typing flag."""
    if ok:
        assert validation.typing_flag(value) is value
    else:
        assert refusal(validation.typing_flag, value).code == "bad_arguments"


@pytest.mark.parametrize(("args", "payload"), [((), {}), (({"room": "a"},), {"room": "a"})])
def test_a_full_protocol_event_takes_one_object(args, payload):
    """Return the event's one object argument, or {} when there is none."""
    assert validation.event_object("join-room", args) == payload


@pytest.mark.parametrize("args", [("a",), ([],), ({}, {}), (None,)])
def test_other_full_protocol_arguments_are_refused(args):
    """Refuse a non-object argument or more than one, naming the event."""
    error = refusal(validation.event_object, "join-room", args)
    assert error.code == "bad_arguments" and error.reason == "join-room takes one object argument"


@pytest.mark.parametrize(
    ("auth", "full"), [(None, False), ({}, False), ({"protocol": 1}, False), ({"protocol": 2}, True)]
)
def test_the_handshake_names_its_protocol(auth, full):
    """Read an absent auth as the original protocol, and protocol 2 as the full one."""
    assert validation.handshake_auth(auth) == (auth or {}, full)


@pytest.mark.parametrize(
    "auth", ["token", [], {"protocol": True}, {"protocol": 2.0}, {"protocol": 3}, {"protocol": "2"}]
)
def test_other_handshakes_are_refused(auth):
    """Refuse an auth that is not an object, or a protocol that is not exactly 1 or 2."""
    assert refusal(validation.handshake_auth, auth).code == "bad_handshake"


def test_only_the_full_protocol_passes_a_guest_credential_and_a_name():
    """Read ``guest`` and ``name`` from a full-protocol handshake only, checking both."""
    auth = {"guest": "credential", "name": "  Alice  "}
    assert validation.guest_credential(auth, True) == "credential"
    assert validation.guest_credential(auth, False) is None
    assert validation.requested_name(auth, True) == "Alice"
    assert validation.requested_name(auth, False) is None
    assert refusal(validation.guest_credential, {"guest": 5}, True).code == "bad_handshake"


@pytest.mark.parametrize(
    ("auth", "rooms"),
    [
        ({}, {"general": None}),
        ({"rooms": []}, {}),
        ({"rooms": ["a", "b"], "lastSeen": {"a": 4, "elsewhere": 9}}, {"a": 4, "b": None}),
    ],
)
def test_the_handshake_lists_rooms_with_the_last_id_seen(auth, rooms):
    """Enter the default room unless told otherwise, each room with the last id seen there or None."""
    assert validation.handshake_rooms(auth, "general", 2) == rooms


@pytest.mark.parametrize(
    ("auth", "code"),
    [
        ({"rooms": "general"}, "bad_handshake"),
        ({"rooms": ["a", "b", "c"]}, "bad_handshake"),
        ({"lastSeen": [1]}, "bad_handshake"),
        ({"rooms": ["Bad Room"]}, "bad_room"),
        ({"rooms": ["a"], "lastSeen": {"a": -1}}, "bad_arguments"),
    ],
)
def test_bad_handshake_rooms_are_refused(auth, code):
    """Refuse rooms that are not a list of at most the limit of room names, or lastSeen that is not ids."""
    assert refusal(validation.handshake_rooms, auth, "general", 2).code == code
