"""Reactions and deletions in a direct message on the demo page, in Chromium: both people see them."""

from playwright.sync_api import expect

from support.page import message_line, open_chat, send_with_enter, texts


def test_a_reaction_and_a_deletion_in_a_dm_show_on_both_pages(live_server, new_page):
    """Bob reacts to Alice's DM message and Alice sees it; Alice deletes hers and Bob sees the tombstone."""
    server = live_server()
    alice = open_chat(new_page(), server, "Alice")
    bob = open_chat(new_page(), server, "Bob")
    alice.locator("#people .person", has_text="Bob").click()
    expect(alice.locator("#room-title")).to_have_text("Direct messages with Bob")
    send_with_enter(alice, "just for you")
    send_with_enter(alice, "oops, not this")
    bob.locator("#dms .dm", has_text="Alice").click()
    expect(texts(bob)).to_have_text(["just for you", "oops, not this"])

    message_line(bob, "just for you").locator('.reaction[data-emoji="👍"]').click()
    for page in (alice, bob):
        expect(message_line(page, "just for you").locator('.reaction[data-emoji="👍"]')).to_have_text("👍 1")

    message_line(alice, "oops, not this").get_by_role("button", name="Delete").click()
    for page in (alice, bob):
        expect(texts(page)).to_have_text(["just for you", "message deleted"])
