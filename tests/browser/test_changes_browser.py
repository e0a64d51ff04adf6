"""Edits, deletions and reactions on the demo page, in Chromium: two people, and a reload that catches up."""

import re

from playwright.sync_api import expect

from support.page import RECONNECT_TIMEOUT_MS, message_line, open_chat, send_with_enter, texts


def edit(page, text, new_text):
    """Edit this page's own message ``text`` to ``new_text`` through its Edit button and the prompt."""
    page.once("dialog", lambda dialog: dialog.accept(new_text))
    message_line(page, text).get_by_role("button", name="Edit").click()


def test_two_people_see_edits_deletions_and_reactions(live_server, new_page):
    """Edit and delete one's own message, react to another's; the other page shows each, as text."""
    server = live_server()
    alice = open_chat(new_page(), server, "Alice")
    bob = open_chat(new_page(), server, "Bob")
    send_with_enter(alice, "helo <b>all</b>")
    send_with_enter(alice, "to be gone")
    expect(texts(bob)).to_have_text(["helo <b>all</b>", "to be gone"])
    # Only one's own messages can be edited or deleted.
    expect(message_line(bob, "to be gone").get_by_role("button", name="Edit")).to_have_count(0)

    edit(alice, "helo <b>all</b>", "hello <i>all</i>")
    for page in (alice, bob):
        line = message_line(page, "hello <i>all</i>")
        expect(line.locator(".edited")).to_have_text("(edited)")
        expect(line.locator("i")).to_have_count(0)  # shown as text, never as HTML

    message_line(alice, "to be gone").get_by_role("button", name="Delete").click()
    for page in (alice, bob):
        expect(texts(page)).to_have_text(["hello <i>all</i>", "message deleted"])
        expect(page.locator("#messages li.message.deleted")).to_have_count(1)

    thumbs = message_line(bob, "hello <i>all</i>").locator('.reaction[data-emoji="👍"]')
    thumbs.click()
    for page in (alice, bob):
        expect(message_line(page, "hello <i>all</i>").locator('.reaction[data-emoji="👍"]')).to_have_text("👍 1")
    expect(thumbs).to_have_attribute("aria-pressed", "true")
    message_line(alice, "hello <i>all</i>").locator('.reaction[data-emoji="👍"]').click()
    expect(thumbs).to_have_text("👍 2")
    thumbs.click()  # Bob takes his away
    expect(message_line(alice, "hello <i>all</i>").locator('.reaction[data-emoji="👍"]')).to_have_text("👍 1")
    expect(thumbs).to_have_attribute("aria-pressed", "false")


def test_a_reloaded_page_shows_the_current_state(live_server, new_page):
    """Show edits, tombstones and reactions made before the page was loaded, from the history."""
    server = live_server()
    alice = open_chat(new_page(), server, "Alice")
    send_with_enter(alice, "first")
    send_with_enter(alice, "second")
    expect(message_line(alice, "second")).to_have_attribute("data-delivery", "sent")
    edit(alice, "first", "first, edited")
    expect(message_line(alice, "first, edited").locator(".edited")).to_have_count(1)
    message_line(alice, "second").get_by_role("button", name="Delete").click()
    message_line(alice, "first, edited").locator('.reaction[data-emoji="😂"]').click()
    expect(message_line(alice, "first, edited").locator('.reaction[data-emoji="😂"]')).to_have_text("😂 1")
    carol = open_chat(new_page(), server, "Carol")
    expect(texts(carol)).to_have_text(["first, edited", "message deleted"])
    line = message_line(carol, "first, edited")
    expect(line.locator(".edited")).to_have_text("(edited)")
    expect(line.locator('.reaction[data-emoji="😂"]')).to_have_text("😂 1")
    expect(line.get_by_role("button", name=re.compile("^Edit$"))).to_have_count(0)


def test_a_page_that_was_away_catches_up_on_changes(live_server, new_page, proxy):
    """Cut a page's connection; what changed meanwhile to messages it had shows once it is back."""
    server = live_server()
    relay = proxy(server)
    alice = open_chat(new_page(), server, "Alice")
    send_with_enter(alice, "hello")
    send_with_enter(alice, "bye")
    bob = open_chat(new_page(), relay, "Bob")  # the page connects where it was loaded from: the relay
    expect(texts(bob)).to_have_text(["hello", "bye"])
    relay.cut()
    expect(bob.locator("#status")).to_have_attribute("data-state", "reconnecting")
    edit(alice, "hello", "hello again")
    message_line(alice, "bye").get_by_role("button", name="Delete").click()
    expect(texts(alice)).to_have_text(["hello again", "message deleted"])
    relay.restore()
    expect(texts(bob)).to_have_text(["hello again", "message deleted"], timeout=RECONNECT_TIMEOUT_MS)
    expect(message_line(bob, "hello again").locator(".edited")).to_have_count(1)
