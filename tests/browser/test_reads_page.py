"""Browser tests of read markers and mentions on the demo page: unread and mention counts that
follow the server, a mention highlighted, "seen by" under one's latest message."""

from playwright.sync_api import expect

from support.page import create_room, current_room, message_line, open_chat, room_button, send_with_enter


def badges(page, room):
    """Return the unread and the mention badges of ``room`` in ``page``'s room list."""
    button = room_button(page, room)
    return button.locator(".unread"), button.locator(".mention-count")


def test_a_mention_is_highlighted_and_reading_on_one_tab_clears_the_other(live_server, new_page, new_context):
    """Alice mentions Bob; both of Bob's tabs count it apart, one reads it, and the other's count clears."""
    server = live_server(TOKENS=True, DEMO_TOKENS=True)
    alice = open_chat(new_page(), server, "Alice")
    bob_browser = new_context()  # demo tokens make the tabs of one browser one signed-in person
    bob_phone = open_chat(bob_browser.new_page(), server, "Bob")
    bob_laptop = open_chat(bob_browser.new_page(), server, "Bob")
    create_room(alice, "books")
    current_room(alice, "books")
    for bob in (bob_phone, bob_laptop):
        room_button(bob, "books").click()
        current_room(bob, "books")
    room_button(alice, "general").click()
    current_room(alice, "general")

    send_with_enter(alice, "hi @Bob, look")
    send_with_enter(alice, "and this")
    for bob in (bob_phone, bob_laptop):
        unread, mentions = badges(bob, "general")
        expect(unread).to_have_text("2 unread")
        expect(mentions).to_have_text("@1 mention")
    # The counts come from the server too: a reloaded tab has them from its welcome.
    bob_laptop.reload()
    expect(bob_laptop.locator("#status")).to_have_attribute("data-state", "connected")
    current_room(bob_laptop, "books")
    unread, mentions = badges(bob_laptop, "general")
    expect(unread).to_have_text("2 unread")
    expect(mentions).to_have_text("@1 mention")

    room_button(bob_phone, "general").click()
    current_room(bob_phone, "general")
    expect(message_line(bob_phone, "hi @Bob, look")).to_have_class("message mention")
    expect(message_line(bob_phone, "and this")).to_have_class("message")
    for badge in badges(bob_laptop, "general") + badges(bob_phone, "general"):
        expect(badge).to_have_count(0)
    # Alice's latest message shows who read it; an earlier one does not repeat it.
    expect(message_line(alice, "and this").locator(".seen-by")).to_have_attribute("data-names", "Bob")
    expect(message_line(alice, "hi @Bob, look").locator(".seen-by")).to_have_count(0)


def test_seen_by_is_shown_again_after_a_reload(live_server, new_page):
    """Ask the server who read one's latest message when the room's history comes."""
    server = live_server()
    alice = open_chat(new_page(), server, "Alice")
    bob = open_chat(new_page(), server, "Bob")
    send_with_enter(alice, "read me")
    expect(message_line(bob, "read me")).to_have_count(1)
    expect(message_line(alice, "read me").locator(".seen-by")).to_have_attribute("data-names", "Bob")
    alice.reload()
    expect(alice.locator("#status")).to_have_attribute("data-state", "connected")
    expect(message_line(alice, "read me").locator(".seen-by")).to_have_attribute("data-names", "Bob")
