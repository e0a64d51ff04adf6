"""Display names, without sockets."""

import icu
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chat.model import ChatError
from chat.names import MAX_NAME_LENGTH, display_name, guest_name, name_key, with_suffix
from chat.text import shows


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


REPORTED_INVISIBLE = ["\u034f", "\ufe0f", "\u180b", "\u17b4", "\u115f", "\u3164"]


@pytest.mark.parametrize("invisible", REPORTED_INVISIBLE)
def test_a_name_refuses_the_reported_invisible_characters(invisible):
    """Refuse "Alice" with an invisible character outside category Cf, wherever it stands."""
    for name in (f"Alice{invisible}", f"Al{invisible}ice", f"{invisible}Alice"):
        assert "does not show" in _refusal(name).reason


def _default_ignorables():
    """Return every Default_Ignorable_Code_Point, from ICU's Unicode data."""
    return list(icu.UnicodeSet(r"[:Default_Ignorable_Code_Point:]"))


def test_a_name_refuses_every_default_ignorable_code_point():
    """Refuse each of Unicode's default ignorable code points (about 4,000), not a list of the known ones."""
    ignorables = _default_ignorables()
    assert len(ignorables) > 4000
    accepted = [f"U+{ord(char):04X}" for char in ignorables if not _refused_in_a_name(char)]
    assert accepted == []


def _refused_in_a_name(char):
    try:
        display_name(f"Bob{char}")
    except ChatError:
        return True
    return False


@given(st.characters(exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs")))
def test_a_name_accepts_every_visible_character(char):
    """Accept any character that shows: letters, marks, digits, symbols and emoji of every script."""
    if shows(char):
        assert display_name(f"x{char}") == f"x{char}"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Alice", "\u0410lice"),  # Cyrillic capital A
        ("alice", "\u0430lice"),  # Cyrillic small a
        ("Alice", "\u0391LICE"),  # Greek capital Alpha, capitals
        ("paypal", "p\u0430yp\u0430l"),
        ("Bob", "B0b"),
        ("Bob", "𝐁𝐨𝐛"),  # mathematical bold
        ("Ann Lee", "ann  lee"),
    ],
)
def test_look_alike_names_are_one_name(a, b):
    """Treat a look-alike of a name (UTS #39 skeleton, after NFKC and case folding) as that name."""
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(
    ("a", "b"), [("Alice", "Alicia"), ("Bob", "Rob"), ("Ann", "Anna"), ("Guest 1234", "Guest 1235")]
)
def test_different_names_stay_different(a, b):
    """Keep names that do not look alike apart."""
    assert name_key(a) != name_key(b)


def test_a_look_alike_of_a_taken_name_gets_a_number():
    """Number a Cyrillic "Аlice" when "Alice" is taken, as "ALICE" is."""
    assert with_suffix("\u0410lice", {name_key("Alice")}) == "\u0410lice 2"


def _refusal(name):
    """Return the ChatError display_name(``name``) raises."""
    with pytest.raises(ChatError) as refused:
        display_name(name)
    return refused.value
