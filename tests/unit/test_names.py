"""Display names, without sockets."""

import pytest

from chat.model import ChatError
from chat.names import MAX_NAME_LENGTH, display_name, guest_name, name_key, with_suffix


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("Alice", "Alice"),
        ("  Bob  ", "Bob"),
        ("Zoë 😀", "Zoë 😀"),
        ("x" * MAX_NAME_LENGTH, "x" * MAX_NAME_LENGTH),
    ],
)
def test_valid_names_are_trimmed(value, name):
    """Accept 1 to 32 characters once trimmed."""
    assert display_name(value) == name


@pytest.mark.parametrize(
    "value",
    [
        None,
        42,
        "",
        "   ",
        "x" * (MAX_NAME_LENGTH + 1),
        "bell\x07",
        "new\nline",
        "zero\u200bwidth",
        "joiner\u200d",
        "rtl\u202eoverride",
        "isolate\u2066",
        "bom\ufeff",
        "line\u2028sep",
    ],
)
def test_invalid_names_are_refused(value):
    """Refuse non-strings, empty and long names, control, zero-width and bidi-override characters."""
    with pytest.raises(ChatError) as refused:
        display_name(value)
    assert refused.value.code == "bad_name"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Alice", "alice"),
        ("Alice", "ＡＬＩＣＥ"),
        ("Straße", "STRASSE"),
        ("ﬁsh", "fish"),
        ("Ann  Lee", "ann lee"),
    ],
)
def test_look_alike_names_have_the_same_key(a, b):
    """Treat names equal after NFKC and case folding as the same name."""
    assert name_key(a) == name_key(b)


def test_suffix_picks_the_lowest_free_number():
    """Add " 2", " 3", ... until the name is free."""
    taken = {name_key("Alice"), name_key("Alice 2")}
    assert with_suffix("ＡＬＩＣＥ", taken) == "ＡＬＩＣＥ 3"
    assert with_suffix("Bob", taken) == "Bob"


def test_suffix_keeps_names_within_the_length_limit():
    """Shorten a long name to make room for its suffix."""
    long = "x" * MAX_NAME_LENGTH
    renamed = with_suffix(long, {name_key(long)})
    assert len(renamed) == MAX_NAME_LENGTH and renamed.endswith(" 2")


def test_guest_names_are_readable():
    """Name a guest "Guest NNNN"."""
    assert display_name(guest_name()).startswith("Guest ")
