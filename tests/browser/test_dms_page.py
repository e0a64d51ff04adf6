"""Direct messages on the demo page, in Chromium: two people in two browsers write to each other alone."""

from playwright.sync_api import expect

from support.page import current_room, open_chat, people, send_with_enter, texts


def dm_button(page, name):
    """Return the button of the direct message with ``name`` in the page's list of them."""
    return page.locator("#dms .dm", has_text=name)


def test_alice_opens_a_dm_with_bob_they_chat_and_carol_cannot_read_it(live_server, new_page, peer):
    """Alice picks Bob in the people list and writes to him; Bob's page lists the DM; Carol's page shows none of it."""
    server = live_server()
    alice = open_chat(new_page(), server, "Alice")
    bob = open_chat(new_page(), server, "Bob")
    carol = open_chat(new_page(), server, "Carol")
    expect(people(alice)).to_have_text(["Alice (you)", "Bob", "Carol"])

    alice.locator("#people .person", has_text="Bob").click()
    expect(alice.locator("#room-title")).to_have_text("Direct messages with Bob")
    expect(dm_button(bob, "Alice")).to_be_visible()  # told, before any message
    send_with_enter(alice, "just for you, Bob")
    expect(texts(alice)).to_have_text(["just for you, Bob"])
    expect(dm_button(bob, "Alice").locator(".unread")).to_have_text("1 unread")

    dm_button(bob, "Alice").click()
    expect(bob.locator("#room-title")).to_have_text("Direct messages with Alice")
    expect(texts(bob)).to_have_text(["just for you, Bob"])
    send_with_enter(bob, "thanks, Alice")
    expect(texts(alice)).to_have_text(["just for you, Bob", "thanks, Alice"])

    # Carol's page: no DM listed, and the room's log holds nothing of it.
    alice.locator("#rooms .room", has_text="general").click()
    current_room(alice, "general")
    send_with_enter(alice, "hello everyone")
    expect(texts(carol)).to_have_text(["hello everyone"])
    expect(carol.locator("#dms li")).to_have_count(0)

    # A reloaded page gets its DMs back, with their history.
    bob.reload()
    expect(bob.locator("#status")).to_have_attribute("data-state", "connected")
    dm_button(bob, "Alice").click()
    expect(texts(bob)).to_have_text(["just for you, Bob", "thanks, Alice"])
