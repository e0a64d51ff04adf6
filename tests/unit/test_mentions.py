"""Mentions, as pure functions: the ids a client names, and @name in protocol 1 text."""

import pytest

from chat.mentions import kept, requested, resolved
from chat.model import ChatError, Member

ROOM = [Member("p1", "Ann"), Member("p2", "Ann Lee"), Member("p3", "Bob"), Member("p4", "Zoë")]


@pytest.mark.parametrize(
    "text, ids",
    [
        ("hi @Bob", ["p3"]),
        ("@bob, @ANN LEE and @Ann", ["p3", "p2", "p1"]),
        ("@Ann Leeway", ["p1"]),  # the longer name does not end where a name may end
        ("@Bobby", []),
        ("mail bob@example.org", []),
        ("@ Bob", []),
        ("@zoë! @Bob @Bob", ["p4", "p3"]),
        ("no one", []),
        ("hi @\u0410nn Lee", ["p2"]),  # a look-alike of a name is that name, as for uniqueness
        ("@Bob\u0301", []),  # a combining mark continues a name
    ],
)
def test_at_names_resolve_to_the_longest_matching_member(text, ids):
    """Resolve each @ to the member whose name is the longest that the text continues with."""
    assert resolved(text, ROOM, 20) == ids


def test_resolving_stops_at_the_limit():
    """Keep at most the limit of mentions."""
    assert resolved("@Ann Lee @Bob @Zoë", ROOM, 2) == ["p2", "p3"]


def test_only_the_rooms_members_are_kept_once_each():
    """Drop ids of people not in the room, and repeats."""
    assert kept(["p3", "x", "p3", "p1"], ROOM, 20) == ["p3", "p1"]


@pytest.mark.parametrize(
    "value, code",
    [
        ("p1", "bad_arguments"),
        ([1], "bad_arguments"),
        ([""], "bad_arguments"),
        (["x" * 65], "bad_arguments"),
        (["p"] * 21, "too_many_mentions"),
    ],
)
def test_requested_mentions_are_refused_unless_a_short_list_of_ids(value, code):
    """Refuse a non-list, non-string ids, and more than the limit."""
    with pytest.raises(ChatError) as refused:
        requested(value, 20)
    assert refused.value.code == code


def test_no_mentions_requested_is_none():
    assert requested(None, 20) == [] and requested(["p1"], 20) == ["p1"]
