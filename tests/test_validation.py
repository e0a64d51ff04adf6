"""The message check, without sockets."""

import pytest

from chat.model import ChatError
from chat.validation import message_text


@pytest.mark.parametrize("text", [
    "hi",
    "  padded and kept as sent  ",
    "<b>tags are text</b>",
    "😀" * 10,
    "x" * 30,
])
def test_valid_text_is_returned_exactly(text):
    """Return a valid message exactly as sent, white space included."""
    assert message_text((text,), max_length=30) == text


@pytest.mark.parametrize(("args", "code", "words"), [
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
])
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
