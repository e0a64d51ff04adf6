"""The text policy (chat/text.py) and every field it guards, without sockets.

Message text is kept exactly as sent; every other text field refuses a lone surrogate and
U+0000 with a clear code. What names may hold is tests/unit/test_names.py's.
"""

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chat import validation
from chat.identity import Tokens
from chat.mentions import requested
from chat.model import ChatError
from chat.names import display_name
from chat.text import plain

NOT_PLAIN = ["\x00", "\ud800", "\udfff", "\udc00\ud800"]  # NUL, lone surrogates, a pair in the wrong order


def refusal(check, *args):
    """Return the ChatError ``check(*args)`` raises."""
    with pytest.raises(ChatError) as refused:
        check(*args)
    return refused.value


# --- Message text: kept exactly as sent -----------------------------------------------------


@given(st.text(min_size=1, max_size=50).filter(str.strip))
def test_message_text_is_kept_exactly_as_sent(text):
    """Keep every code point of a message, lone surrogates and U+0000 included."""
    assert validation.message_text((text,), max_length=50) == text


@pytest.mark.parametrize("odd", NOT_PLAIN)
def test_a_message_may_hold_what_other_fields_may_not(odd):
    """Keep a lone surrogate or NUL in a message: the original gateway's contract."""
    assert validation.message_text((f"a{odd}b",), max_length=50) == f"a{odd}b"


# --- Every other field: no lone surrogate, no U+0000 ----------------------------------------


@given(st.text(max_size=40))
def test_plain_returns_the_text_or_refuses_it_clearly(text):
    """Return plain text unchanged, or raise bad_text naming the field and the character; never anything else."""
    try:
        assert plain(text, "clientId") == text
    except ChatError as error:
        assert error.code == "bad_text" and "clientId" in error.reason and "U+" in error.reason
        assert "\x00" in text or any("\ud800" <= char <= "\udfff" for char in text)


FIELDS = [
    (validation.client_id, (), "bad_text"),
    (validation.person_id, (), "bad_text"),
    (validation.moderation_reason, (200,), "bad_text"),
    (validation.reaction_emoji, (16,), "bad_emoji"),
    (display_name, (), "bad_name"),
    (lambda value: requested([value], 5), (), "bad_text"),
    (lambda value: validation.guest_credential({"guest": value}, True), (), "bad_handshake"),
    (lambda value: validation.requested_name({"name": value}, True), (), "bad_name"),
    (validation.room_name, (), "bad_room"),
    (validation.conversation, (), "bad_room"),
]


@pytest.mark.parametrize(("check", "args", "code"), FIELDS)
@pytest.mark.parametrize("odd", NOT_PLAIN)
def test_every_other_text_field_refuses_lone_surrogates_and_nul(check, args, code, odd):
    """Refuse a lone surrogate or U+0000 in every field but message text, with the field's clear code."""
    assert refusal(check, f"ab{odd}c", *args).code == code


def test_a_reaction_keeps_its_emoji_sequences():
    """Keep what emoji need: a zero-width joiner and a variation selector, both invisible alone."""
    assert validation.reaction_emoji("👩\u200d💻", 16) == "👩\u200d💻"
    assert validation.reaction_emoji("❤\ufe0f", 16) == "❤\ufe0f"


@pytest.mark.parametrize("odd", NOT_PLAIN)
def test_a_token_with_a_lone_surrogate_or_nul_is_refused_bad_token(odd):
    """Refuse a token string, or a token's sub, holding a lone surrogate or NUL as bad_token."""
    tokens = Tokens.with_secret("s" * 32)
    assert refusal(tokens.verify, f"eyJ{odd}.x.y").code == "bad_token"
    forged = jwt.encode({"sub": f"u{odd}", "name": "Alice", "exp": 2**40}, "s" * 32, algorithm="HS256")
    assert refusal(tokens.verify, forged).code == "bad_token"
