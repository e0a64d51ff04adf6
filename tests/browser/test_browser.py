"""Browser tests: the demo page in real Chromium (Debian's), driven by Playwright, against a live server.

The page speaks the full protocol (protocol 2 in docs/protocol.md). Each tab is a person of
its own, so a test opens each person's page in a browser context of their own (its own
cookie and storage), except where it tests two tabs of one browser. The fixtures are in
conftest.py beside this file, the page helpers in tests/support/page.py.
"""

import json
import re
import sqlite3
import time

import pytest
from playwright.sync_api import expect

from support.page import (
    GUEST,
    LONG_NAME,
    PHONE,
    RECONNECT_TIMEOUT_MS,
    TIMEOUT_MS,
    TYPING,
    authors,
    create_room,
    current_room,
    delivery,
    message_box,
    message_line,
    name_box,
    notices,
    open_chat,
    people,
    remember_name,
    room_button,
    send_with_enter,
    shown,
    texts,
)

# --- The seed's tests, now with names ---------------------------------------------------------


def test_two_pages_chat_through_the_demo(live_server, new_page):
    """Two people connect, see each other join by name, and chat with Enter and with the Send button."""
    server = live_server()
    a = open_chat(new_page(), server, "Alice")
    expect(a.locator("#status")).to_have_text("Connected")
    expect(name_box(a)).to_have_value("Alice")
    b = open_chat(new_page(), server, "Bob")
    expect(shown(a)).to_have_text(["Bob joined"])

    send_with_enter(a, "hello from A")
    expect(message_box(a)).to_have_value("")
    expect(texts(b)).to_have_text(["hello from A"])
    expect(authors(b)).to_have_text(["Alice"])
    expect(shown(b)).to_have_count(1)  # and no notice about B joining itself

    message_box(b).fill("hello from B")
    b.get_by_role("button", name="Send").click()
    expect(shown(a)).to_have_text(
        ["Bob joined", re.compile(r"^Alice .*hello from A sent$"), re.compile(r"^Bob .*hello from B$")]
    )
    expect(texts(b)).to_have_text(["hello from A", "hello from B"])
    expect(authors(b)).to_have_text(["Alice", "Bob"])
    expect(message_box(b)).to_have_value("")
    # Each message carries the server's time, readable and machine-readable.
    expect(a.locator("#messages li.message time").first).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))


def test_html_in_a_message_or_a_name_is_shown_as_text(live_server, new_page):
    """A message and a name made of HTML tags show up literally, and no element or script comes of them."""
    server = live_server()
    name = "<b>Eve</b>"
    a = open_chat(new_page(), server, name)
    b = open_chat(new_page(), server)
    html = '<img src=x onerror="window.pwned=1"><b>bold</b>'

    send_with_enter(a, html)
    for page in (b, a):
        expect(texts(page)).to_have_count(1)
        assert texts(page).text_content() == html
        assert authors(page).text_content() == name
        expect(page.locator("#messages img, #messages b, #people b")).to_have_count(0)
        assert page.evaluate("typeof window.pwned") == "undefined"
    expect(people(b)).to_have_text([name, re.compile(r"^Guest \d+ \(you\)$")])


def test_a_closed_tab_leaves_the_people_list_after_the_grace_period(live_server, new_page):
    """Closing one person's tab removes them from the other's people list, with a notice, after the grace."""
    # A tab closed on a WebSocket ends a connection the server sees end; one closed while
    # still long-polling (before the upgrade, on a slow machine) is noticed at the heartbeat
    # timeout, here a short one.
    server = live_server(PRESENCE_GRACE=0.5, PING_INTERVAL=1, PING_TIMEOUT=2)
    a = open_chat(new_page(), server, "Alice")
    b = open_chat(new_page(), server, "Bob")
    expect(people(a)).to_have_text(["Alice (you)", "Bob"])
    expect(shown(a)).to_have_text(["Bob joined"])

    b.close()
    expect(people(a)).to_have_text(["Alice (you)"])
    expect(shown(a)).to_have_text(["Bob joined", "Bob left"])


def test_a_refusal_is_shown_to_the_sender_only(live_server, new_page):
    """A message over the flood limit shows the server's reason on the sender's page, nowhere else."""
    server = live_server(FLOOD_BURST=1, FLOOD_RATE=0.01)
    a = open_chat(new_page(), server)
    b = open_chat(new_page(), server)
    expect(a.get_by_role("alert")).to_have_count(0)

    send_with_enter(a, "first")
    send_with_enter(a, "second")
    expect(a.get_by_role("alert")).to_have_text(re.compile(r"^too many messages: wait [\d.]+ s before sending again$"))
    # The refused text stays in the log, marked failed with the reason, not lost...
    delivery(a, "first", "sent")
    refused = delivery(a, "second", "failed")
    expect(refused.locator(".delivery")).to_have_text(
        re.compile(r"^failed: too many messages: wait [\d.]+ s before sending again$")
    )
    # ... and Edit gives it back to change or send later.
    refused.get_by_role("button", name="Edit").click()
    expect(message_box(a)).to_have_value("second")
    expect(refused).to_have_count(0)

    # B's own message is broadcast after A's refused one was handled: a barrier for "second".
    send_with_enter(b, "from B")
    expect(texts(b)).to_have_text(["first", "from B"])
    expect(texts(a)).to_have_text(["first", "from B"])
    expect(b.locator("#error")).to_be_hidden()
    expect(b.get_by_role("alert")).to_have_count(0)


def test_the_page_reconnects_after_a_server_restart(live_server, new_page):
    """Stopping the server shows the page reconnecting; once back, it has the name it had, and chats."""
    server = live_server()
    a = open_chat(new_page(), server)
    b = open_chat(new_page(), server, "Bob")
    # A renames after connecting: the reconnection must send this name, not the page's first handshake.
    name_box(a).fill("Zed")
    a.get_by_role("button", name="Set name").click()
    expect(people(b)).to_have_text(["Bob (you)", "Zed"])

    server.stop()
    for page in (a, b):
        expect(page.locator("#status")).to_have_attribute("data-state", "reconnecting")
        expect(page.locator("#status")).to_have_text(re.compile(r"^Reconnecting"))

    server.start()
    for page in (a, b):
        expect(page.locator("#status")).to_have_attribute("data-state", "connected", timeout=RECONNECT_TIMEOUT_MS)
        expect(page.locator("#status")).to_have_text("Connected")
    expect(name_box(a)).to_have_value("Zed")
    expect(people(b)).to_have_text(["Bob (you)", "Zed"])

    send_with_enter(a, "after the restart")
    expect(texts(b)).to_have_text(["after the restart"])
    expect(texts(a)).to_have_text(["after the restart"])
    expect(authors(b)).to_have_text(["Zed"])


def test_the_page_fits_a_phone_screen(live_server, new_page, peer):
    """On a 375x667 phone the composer stays on screen and nothing scrolls sideways, however long the log."""
    server = live_server()
    page = open_chat(new_page(**PHONE), server, LONG_NAME)
    sender = peer(server)
    lines = [f"line {n}" for n in range(20)] + ["x" * 300, "https://127.0.0.1/" + "long-path/" * 30]
    for line in lines:
        assert sender.send(line) == {"ok": True}
    expect(texts(page)).to_have_text(lines)

    # The viewport meta tag makes the layout as wide as the phone, not a zoomed-out desktop page.
    assert page.evaluate("document.documentElement.clientWidth") == 375
    # The room and people lists fold away above and below the log, leaving it the room.
    expect(page.locator("#rooms")).to_be_hidden()
    expect(page.locator("#people")).to_be_hidden()
    for control in (message_box(page), page.get_by_role("button", name="Send"), name_box(page)):
        expect(control).to_be_visible()
        expect(control).to_be_in_viewport(ratio=1)

    def assert_no_sideways_scroll():
        widths = page.evaluate("""() => {
            const root = document.documentElement, log = document.getElementById("messages");
            return {page: [root.scrollWidth, root.clientWidth], log: [log.scrollWidth, log.clientWidth]};
        }""")
        assert widths["page"][0] <= widths["page"][1], widths
        assert widths["log"][0] <= widths["log"][1], widths

    assert_no_sideways_scroll()
    # Unfolded, the lists fit too, one at a time, and the composer stays on screen.
    page.locator("#people-panel summary").click()
    expect(people(page)).to_have_text([GUEST, f"{LONG_NAME} (you)"])
    page.locator("#rooms-panel summary").click()
    expect(page.locator("#rooms")).to_be_visible()
    expect(page.locator("#people")).to_be_hidden()
    expect(message_box(page)).to_be_in_viewport(ratio=1)
    assert_no_sideways_scroll()
    # Picking a room folds the room list away again.
    room_button(page, "general").click()
    expect(page.locator("#rooms")).to_be_hidden()


def test_nothing_is_loaded_from_outside_the_server(live_server, new_page):
    """Every request the page makes, loading and chatting, goes to the server it came from."""
    server = live_server()
    page = new_page()
    urls = []
    page.on("request", lambda request: urls.append(request.url))
    page.on("websocket", lambda websocket: urls.append(websocket.url))

    origins = (server.url + "/", server.url.replace("http://", "ws://", 1) + "/")
    page.goto(server.url + "/")  # returns after the load event: the page, its styles and scripts
    assert [url for url in urls if not url.startswith(origins)] == []
    expect(page.locator("#status")).to_have_attribute("data-state", "connected")
    send_with_enter(page, "local only")
    expect(texts(page)).to_have_text(["local only"])

    assert any("/socket.io/" in url for url in urls), urls  # the recording saw the socket too
    assert [url for url in urls if not url.startswith(origins)] == []


def test_the_page_has_accessible_names_and_roles(live_server, new_page):
    """The log is announced politely; inputs, lists, status and buttons are named."""
    server = live_server()
    page = open_chat(new_page(), server)

    log = page.get_by_role("log", name="Messages")
    expect(log).to_have_id("messages")
    expect(log).to_have_attribute("role", "log")
    expect(log).to_have_attribute("aria-live", "polite")

    expect(message_box(page)).to_have_id("text")
    expect(message_box(page)).to_have_accessible_name("Message")
    expect(page.get_by_role("textbox", name="Message", exact=True)).to_be_editable()
    expect(page.get_by_role("button", name="Send")).to_be_enabled()
    expect(page.get_by_role("textbox", name="Your name")).to_have_value(GUEST)
    expect(page.get_by_role("textbox", name="New room")).to_be_editable()
    expect(page.get_by_role("list", name="Rooms")).to_be_visible()
    expect(page.get_by_role("list", name="People in this room")).to_be_visible()
    # The current room is marked for assistive technology, not by its colour alone.
    expect(page.get_by_role("button", name="general", exact=True)).to_have_attribute("aria-current", "true")
    expect(page.get_by_role("status")).to_have_text("Connected")
    # What a screen reader announces: the state alone, not the decorative dot before it.
    expect(page.get_by_role("status")).to_match_aria_snapshot("- status: Connected")


# --- Names ------------------------------------------------------------------------------------


def test_a_taken_name_gets_a_number(live_server, new_page):
    """A second person choosing a name someone online has is shown as "Alice 2", as is everyone's list."""
    server = live_server()
    alice = open_chat(new_page(), server, "Alice")
    other = open_chat(new_page(), server)
    expect(name_box(other)).to_have_value(GUEST)
    guest = name_box(other).input_value()

    name_box(other).fill("Alice")
    other.get_by_role("button", name="Set name").click()
    expect(name_box(other)).to_have_value("Alice 2")
    expect(other.locator("#name-note")).to_have_text("“Alice” is taken: you are “Alice 2”.")
    expect(people(other)).to_have_text(["Alice", "Alice 2 (you)"])
    expect(people(alice)).to_have_text(["Alice (you)", "Alice 2"])
    expect(notices(alice)).to_have_text([f"{guest} joined", f"{guest} is now Alice 2"])
    expect(notices(other)).to_have_text(["You are now Alice 2"])

    # The rule holds when connecting too, whatever the case of the name.
    third = open_chat(new_page(), server, "alice")
    expect(name_box(third)).to_have_value("alice 3")
    expect(people(alice)).to_have_text(["Alice (you)", "Alice 2", "alice 3"])
    send_with_enter(third, "which Alice?")
    expect(authors(alice)).to_have_text(["alice 3"])


def test_a_refused_name_can_be_replaced(live_server, new_page):
    """A remembered name the server refuses is explained; the person picks another and gets in."""
    server = live_server()
    page = new_page()
    remember_name(page, "Al\u200bice")  # a zero-width space: not allowed in a name
    page.goto(server.url + "/")

    expect(page.locator("#status")).to_have_attribute("data-state", "offline")
    expect(page.get_by_role("alert")).to_have_text(
        "Your name was refused: the name contains a character that does not show or is not allowed (U+200B). Pick another one."
    )
    expect(name_box(page)).to_be_focused()
    expect(name_box(page)).to_have_attribute("aria-invalid", "true")

    name_box(page).fill("Alice")
    name_box(page).press("Enter")
    expect(page.locator("#status")).to_have_attribute("data-state", "connected")
    expect(name_box(page)).to_have_value("Alice")
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(people(page)).to_have_text(["Alice (you)"])

    # Renaming later is refused the same way, with the reason, and the name stays.
    name_box(page).fill("   ")
    page.get_by_role("button", name="Set name").click()
    expect(page.get_by_role("alert")).to_have_text("the name is empty")
    expect(people(page)).to_have_text(["Alice (you)"])

    # The accepted name is remembered for the next visit.
    page.reload()
    expect(page.locator("#status")).to_have_attribute("data-state", "connected")
    expect(name_box(page)).to_have_value("Alice")


def test_two_tabs_of_one_browser_are_two_people(live_server, new_context, new_page):
    """Two tabs of one browser chat as two people, and the other tab sees one close."""
    server = live_server(PRESENCE_GRACE=0.5, PING_INTERVAL=1, PING_TIMEOUT=2)  # as for a closed tab above
    context = new_context()
    first = open_chat(context.new_page(), server, "Alice")
    second = open_chat(context.new_page(), server)  # offered the name the browser last chose
    bob = open_chat(new_page(), server, "Bob")
    expect(name_box(second)).to_have_value("Alice 2")
    expect(people(first)).to_have_text(["Alice (you)", "Alice 2", "Bob"])
    expect(second.locator("#people-count")).to_have_text("(3)")
    expect(people(bob)).to_have_text(["Alice", "Alice 2", "Bob (you)"])
    expect(notices(first)).to_have_text(["Alice 2 joined", "Bob joined"])

    send_with_enter(second, "from the second tab")
    expect(authors(first)).to_have_text(["Alice 2"])
    expect(authors(bob)).to_have_text(["Alice 2"])
    expect(message_line(first, "from the second tab")).not_to_have_class(re.compile(r"\bown\b"))

    second.close()
    expect(people(first)).to_have_text(["Alice (you)", "Bob"])
    expect(notices(first)).to_have_text(["Alice 2 joined", "Bob joined", "Alice 2 left"])
    expect(notices(bob)).to_have_text(["Alice 2 left"])


def test_a_reloaded_tab_stays_the_same_guest(live_server, new_context):
    """A tab reloaded within the grace period keeps its guest and name; its browser's other tab sees no flap."""
    server = live_server()
    context = new_context()
    first = open_chat(context.new_page(), server, "Alice")
    second = open_chat(context.new_page(), server)
    expect(name_box(second)).to_have_value("Alice 2")
    expect(notices(first)).to_have_text(["Alice 2 joined"])
    credential = second.evaluate("sessionStorage.getItem('chat.guest')")
    assert credential

    second.reload()
    expect(second.locator("#status")).to_have_attribute("data-state", "connected")
    expect(name_box(second)).to_have_value("Alice 2")
    expect(people(second)).to_have_text(["Alice", "Alice 2 (you)"])
    # The credential is the guest's id, signed with the time it was issued (each connect
    # issues a new one, so a guest lasts from its last connection): the same id, a new time.
    renewed = second.evaluate("sessionStorage.getItem('chat.guest')")
    assert renewed.split(".")[0] == credential.split(".")[0]
    send_with_enter(second, "back")  # after any notice the reload would have caused
    expect(texts(first)).to_have_text(["back"])
    expect(notices(first)).to_have_text(["Alice 2 joined"])
    expect(people(first)).to_have_text(["Alice (you)", "Alice 2"])


def test_a_copied_tab_becomes_a_guest_of_its_own(live_server, new_context):
    """A tab that starts with another open tab's credential (as a duplicated tab does) is made a new guest."""
    server = live_server()
    context = new_context()
    first = open_chat(context.new_page(), server, "Alice")
    credential = first.evaluate("sessionStorage.getItem('chat.guest')")
    copy = context.new_page()
    copy.add_init_script(f"sessionStorage.setItem('chat.guest', {json.dumps(credential)})")
    open_chat(copy, server)
    expect(name_box(copy)).to_have_value("Alice 2")
    expect(people(first)).to_have_text(["Alice (you)", "Alice 2"])
    assert copy.evaluate("sessionStorage.getItem('chat.guest')") != credential


# --- Rooms ------------------------------------------------------------------------------------


def test_people_in_two_rooms_see_who_is_in_the_current_one(live_server, new_page):
    """Alice and Bob share two rooms, Carol one: each page lists the people of its current room by name."""
    server = live_server(PRESENCE_GRACE=0.5)
    alice = open_chat(new_page(), server, "Alice")
    bob = open_chat(new_page(), server, "Bob")
    carol = open_chat(new_page(), server, "Carol")

    create_room(alice, "dev")
    current_room(alice, "dev")
    expect(people(alice)).to_have_text(["Alice (you)"])
    expect(shown(alice)).to_have_count(0)  # a new room's log starts empty
    room_button(bob, "dev").click()  # announced to every page; clicking a room one is not in joins it
    current_room(bob, "dev")
    expect(people(bob)).to_have_text(["Alice", "Bob (you)"])
    expect(people(alice)).to_have_text(["Alice (you)", "Bob"])
    expect(shown(alice)).to_have_text(["Bob joined"])

    # Carol stays in general: the dev list does not change, the general one has all three.
    expect(people(carol)).to_have_text(["Alice", "Bob", "Carol (you)"])
    expect(room_button(carol, "dev")).to_contain_text("join")
    room_button(alice, "general").click()
    current_room(alice, "general")
    expect(people(alice)).to_have_text(["Alice (you)", "Bob", "Carol"])
    expect(shown(alice)).to_have_text(["Bob joined", "Carol joined"])
    room_button(alice, "dev").click()
    expect(people(alice)).to_have_text(["Alice (you)", "Bob"])

    # Messages stay in their room.
    send_with_enter(bob, "in dev")
    expect(texts(alice)).to_have_text(["in dev"])
    send_with_enter(carol, "in general")
    expect(texts(carol)).to_have_text(["in general"])
    expect(room_button(alice, "general").locator(".unread")).to_have_text("1 unread")
    expect(texts(alice)).to_have_text(["in dev"])

    # Bob leaves dev with its button: he is back in general, and Alice sees him go from dev.
    bob.get_by_role("button", name="Leave dev").click()
    current_room(bob, "general")
    expect(room_button(bob, "dev")).to_contain_text("join")
    expect(people(alice)).to_have_text(["Alice (you)"])
    expect(notices(alice)).to_have_text(["Bob joined", "Bob left"])
    # ... and with only general left, Bob's page offers no way to leave his last room.
    expect(bob.get_by_role("button", name="Leave general")).to_be_disabled()

    # Carol joins dev, then closes her tab: after the grace period she is gone from Alice's list.
    room_button(carol, "dev").click()
    expect(people(alice)).to_have_text(["Alice (you)", "Carol"])
    carol.close()
    expect(people(alice)).to_have_text(["Alice (you)"])
    expect(notices(alice)).to_have_text(["Bob joined", "Bob left", "Carol joined", "Carol left"])


def test_creating_and_switching_rooms(live_server, new_page):
    """Rooms are created with the server's name rule, switched between, and remembered for the next visit."""
    server = live_server()
    page = open_chat(new_page(), server, "Alice")
    bob = open_chat(new_page(), server, "Bob")

    create_room(page, "Dev Team")
    expect(page.get_by_role("alert")).to_have_text(
        "a room name is 1 to 32 characters: lower-case letters a-z, digits, - and _, starting with a letter or digit"
    )
    expect(page.get_by_label("New room")).to_have_value("Dev Team")  # kept, to correct
    create_room(page, "general")
    expect(page.get_by_role("alert")).to_have_text("the room 'general' exists already")
    create_room(page, "dev-team")
    current_room(page, "dev-team")
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_label("New room")).to_have_value("")
    expect(page.locator("#rooms li")).to_have_count(2)

    send_with_enter(page, "first in dev-team")
    room_button(page, "general").click()
    current_room(page, "general")
    expect(room_button(page, "dev-team")).to_have_attribute("aria-current", "false")
    expect(texts(page)).to_have_count(0)
    send_with_enter(page, "first in general")
    room_button(page, "dev-team").click()
    current_room(page, "dev-team")
    expect(texts(page)).to_have_text(["first in dev-team"])

    # The joined rooms and the current one are remembered: a reload comes back to them, and
    # within the grace period Bob sees no one leave or join.
    room_button(bob, "dev-team").click()
    expect(people(bob)).to_have_text(["Alice", "Bob (you)"])
    page.reload()
    expect(page.locator("#status")).to_have_attribute("data-state", "connected")
    current_room(page, "dev-team")
    expect(page.get_by_role("button", name="Leave general")).to_be_enabled()
    expect(people(page)).to_have_text(["Alice (you)", "Bob"])
    send_with_enter(page, "back")
    expect(texts(bob)).to_have_text(["first in dev-team", "back"])  # the first from the room's history
    expect(notices(bob)).to_have_count(0)

    # Refreshing the list asks the server how many people are in the rooms one is not in.
    create_room(bob, "bobs-room")
    current_room(bob, "bobs-room")
    expect(room_button(page, "bobs-room")).not_to_have_attribute("title", re.compile("."))
    page.get_by_role("button", name="Refresh rooms").click()
    expect(room_button(page, "bobs-room")).to_have_attribute("title", "1 person")
    expect(room_button(page, "dev-team")).to_have_attribute("title", "2 people")


@pytest.mark.parametrize(
    "remembered, alert",
    [
        # A room that is gone (removed while the person was away): entered no more, and said so.
        (["general", "gone"], "Could not enter a remembered room: there is no room 'gone'"),
        # A list the server refuses outright: the page starts again in the default room.
        (["general", "Not A Room"], None),
    ],
)
def test_remembered_rooms_the_server_has_no_more_are_forgotten(live_server, new_page, remembered, alert):
    """A page remembering rooms that the server does not have connects in the ones it has."""
    server = live_server()
    page = new_page()
    page.add_init_script(f"sessionStorage.setItem('chat.rooms', {json.dumps(json.dumps(remembered))})")
    open_chat(page, server)
    current_room(page, "general")
    expect(page.locator("#rooms li")).to_have_count(1)
    if alert:
        expect(page.get_by_role("alert")).to_have_text(alert)
    else:
        expect(page.get_by_role("alert")).to_have_count(0)
    assert page.evaluate("sessionStorage.getItem('chat.rooms')") == '["general"]'
    send_with_enter(page, "still chatting")
    expect(texts(page)).to_have_text(["still chatting"])


def test_an_unread_count_shows_on_a_room_that_is_not_current(live_server, new_page):
    """Messages to a joined room that is not shown count as unread there, until it is shown."""
    server = live_server()
    alice = open_chat(new_page(), server, "Alice")
    bob = open_chat(new_page(), server, "Bob")
    create_room(bob, "dev")
    current_room(bob, "dev")
    room_button(alice, "dev").click()
    current_room(alice, "dev")
    room_button(alice, "general").click()
    current_room(alice, "general")

    send_with_enter(bob, "one")
    send_with_enter(bob, "two")
    expect(room_button(alice, "dev").locator(".unread")).to_have_text("2 unread")
    expect(alice.locator("#rooms-summary")).to_have_text("general · 2 unread")
    expect(room_button(alice, "general").locator(".unread")).to_have_count(0)
    expect(texts(alice)).to_have_count(0)

    # A message in the current room is shown, not counted.
    room_button(bob, "general").click()
    send_with_enter(bob, "three")
    expect(texts(alice)).to_have_text(["three"])
    expect(room_button(alice, "general").locator(".unread")).to_have_count(0)

    room_button(alice, "dev").click()
    current_room(alice, "dev")
    expect(texts(alice)).to_have_text(["one", "two"])
    expect(authors(alice)).to_have_text(["Bob", "Bob"])
    expect(alice.locator("#rooms .unread")).to_have_count(0)


# --- Typing -----------------------------------------------------------------------------------


def test_typing_is_shown_to_the_others_until_the_message_is_sent(live_server, new_page):
    """Bob typing shows on Alice's page in that room only, and goes when he clears the box or sends."""
    # A typing state lasts a minute here: only clearing or sending can end it within the test.
    server = live_server(TYPING_TIMEOUT=60)
    alice = open_chat(new_page(), server, "Alice")
    bob = open_chat(new_page(), server, "Bob")
    typing = alice.locator("#typing")

    message_box(bob).fill("hel")
    expect(typing).to_have_text(f"Bob {TYPING}")
    expect(bob.locator("#typing")).to_have_text("")  # never shown to the typist
    message_box(bob).fill("")
    expect(typing).to_have_text("")

    message_box(bob).fill("hello")
    expect(typing).to_have_text(f"Bob {TYPING}")
    # Shown for the room it is in only.
    create_room(alice, "dev")
    current_room(alice, "dev")
    expect(typing).to_have_text("")
    room_button(alice, "general").click()
    expect(typing).to_have_text(f"Bob {TYPING}")

    message_box(bob).press("Enter")
    expect(texts(alice)).to_have_text(["hello"])
    expect(typing).to_have_text("")


def test_a_typist_who_pauses_stops_being_shown(live_server, new_page):
    """Typing that is not renewed ends on the others' pages after TYPING_TIMEOUT, text still in the box."""
    server = live_server(TYPING_TIMEOUT=2)
    alice = open_chat(new_page(), server, "Alice")
    bob = open_chat(new_page(), server, "Bob")

    message_box(bob).fill("thinking")
    expect(alice.locator("#typing")).to_have_text(f"Bob {TYPING}")
    expect(alice.locator("#typing")).to_have_text("")
    expect(message_box(bob)).to_have_value("thinking")


# --- The original gateway's protocol ----------------------------------------------------------


def test_a_client_of_the_original_gateway_chats_with_the_page(live_server, new_page, peer):
    """A protocol 1 client's message appears on the page from a guest; the page's reaches it as a bare string."""
    server = live_server()
    page = open_chat(new_page(), server, "Alice")
    gateway_client = peer(server)
    expect(people(page)).to_have_text(["Alice (you)", GUEST])
    expect(notices(page)).to_have_text([re.compile(r"^Guest \d+ joined$")])

    assert gateway_client.send("hello from the gateway") == {"ok": True}
    expect(texts(page)).to_have_text(["hello from the gateway"])
    expect(authors(page)).to_have_text([GUEST])

    send_with_enter(page, "hello, old client")
    assert gateway_client.wait_for("message", 2) == ["hello from the gateway", "hello, old client"]
    # Only the original protocol's events: bare strings, no names, no rooms.
    assert [event for event, _ in gateway_client.events] == ["message", "message"]


# --- History ----------------------------------------------------------------------------------


def test_a_reloaded_page_shows_the_room_history_once_in_order(live_server, new_page):
    """Messages sent before a reload, by the page's person and another, come back from history in order, once."""
    server = live_server()
    alice = open_chat(new_page(), server, "Alice")
    bob = open_chat(new_page(), server, "Bob")
    said = [(alice, "Alice", "hello"), (bob, "Bob", "hi Alice"), (alice, "Alice", "how are you?"), (bob, "Bob", "fine")]
    for page, _, text in said:
        send_with_enter(page, text)
        delivery(page, text, "sent")
    expect(texts(alice)).to_have_text([text for _, _, text in said])

    alice.reload()
    expect(alice.locator("#status")).to_have_attribute("data-state", "connected")
    expect(texts(alice)).to_have_text([text for _, _, text in said])
    expect(authors(alice)).to_have_text([name for _, name, _ in said])
    expect(notices(alice)).to_have_count(0)  # history is messages only: no one "joined" in it
    # Live messages follow the history, and none of it comes twice.
    send_with_enter(bob, "welcome back")
    expect(texts(alice)).to_have_text([text for _, _, text in said] + ["welcome back"])
    expect(alice.get_by_role("button", name="Load older messages")).to_be_hidden()


def test_older_messages_load_on_request(live_server, new_page, peer):
    """A room with more than HISTORY_LIMIT messages shows the latest; "Load older" brings the rest, page by page."""
    server = live_server(HISTORY_LIMIT=5)
    bob = peer(server, auth={"protocol": 2, "name": "Bob"})
    lines = [f"m{n}" for n in range(1, 13)]
    for line in lines:
        assert bob.send({"room": "general", "text": line}, event="send-message")["ok"]
    page = open_chat(new_page(), server, "Alice")
    expect(texts(page)).to_have_text(lines[-5:])

    older = page.get_by_role("button", name="Load older messages")
    older.click()
    expect(texts(page)).to_have_text(lines[-10:])
    older.click()
    expect(texts(page)).to_have_text(lines)
    expect(older).to_be_hidden()  # nothing older is left
    assert bob.send({"room": "general", "text": "m13"}, event="send-message")["ok"]
    expect(texts(page)).to_have_text(lines + ["m13"])


# --- Delivery ---------------------------------------------------------------------------------


def test_a_message_is_pending_until_the_server_has_it(live_server, proxy, new_page):
    """A message written while the network is down shows pending, then sent once it is back; delivered once."""
    server = live_server()
    relay = proxy(server)
    alice = open_chat(new_page(), relay, "Alice")  # the page connects where it was loaded from: the relay
    bob = open_chat(new_page(), server, "Bob")
    send_with_enter(alice, "online")
    delivery(alice, "online", "sent")
    expect(texts(bob)).to_have_text(["online"])

    relay.cut()
    expect(alice.locator("#status")).to_have_attribute("data-state", "reconnecting")
    send_with_enter(alice, "written offline")
    line = delivery(alice, "written offline", "pending")
    expect(line).to_have_css("opacity", "0.6")  # greyed

    relay.restore()
    expect(line).to_have_attribute("data-delivery", "sent", timeout=RECONNECT_TIMEOUT_MS)
    delivery(alice, "written offline", "sent")
    # Once everywhere: Bob's later message is a barrier for any late copy.
    send_with_enter(bob, "got it")
    for page in (alice, bob):
        expect(texts(page)).to_have_text(["online", "written offline", "got it"])


def test_a_refused_message_fails_with_the_reason_and_can_be_retried(live_server, new_page):
    """Over the flood limit a message shows failed with the server's reason; Retry after the refill sends it."""
    server = live_server(FLOOD_BURST=1, FLOOD_RATE=0.2)
    alice = open_chat(new_page(), server, "Alice")
    bob = open_chat(new_page(), server, "Bob")
    send_with_enter(alice, "first")
    send_with_enter(alice, "second")
    delivery(alice, "first", "sent")
    line = delivery(alice, "second", "failed")
    label = line.locator(".delivery")
    expect(label).to_have_text(re.compile(r"^failed: too many messages: wait [\d.]+ s before sending again$"))
    expect(texts(bob)).to_have_text(["first"])

    deadline = time.monotonic() + RECONNECT_TIMEOUT_MS / 1000
    while line.get_attribute("data-delivery") == "failed" and time.monotonic() < deadline:
        # The allowance refills with time alone, no event tells of it: wait as long as the server said.
        time.sleep(float(re.search(r"wait ([\d.]+) s", label.text_content()).group(1)) + 0.05)
        line.get_by_role("button", name="Retry").click()
        expect(line).not_to_have_attribute("data-delivery", "pending")  # answered, either way
    delivery(alice, "second", "sent")
    expect(line.get_by_role("button", name="Retry")).to_have_count(0)
    send_with_enter(bob, "barrier")
    for page in (alice, bob):
        expect(texts(page)).to_have_text(["first", "second", "barrier"])


def test_an_unsent_message_survives_a_reload(live_server, proxy, new_page):
    """A message still pending when the page reloads is shown again after it, and sent once connected."""
    server = live_server()
    relay = proxy(server)
    alice = open_chat(new_page(), relay, "Alice")
    bob = open_chat(new_page(), server, "Bob")
    # Keep the page's socket from connecting again (it starts with long-polling requests),
    # while the page itself still loads.
    socket_io = re.compile(r"/socket\.io/\?")  # Engine.IO's requests, not the client script
    alice.route(socket_io, lambda route: route.abort())
    relay.cut()
    expect(alice.locator("#status")).to_have_attribute("data-state", "reconnecting")
    relay.restore()
    send_with_enter(alice, "not sent yet")
    delivery(alice, "not sent yet", "pending")

    alice.reload()
    delivery(alice, "not sent yet", "pending")
    alice.unroute(socket_io)
    expect(message_line(alice, "not sent yet")).to_have_attribute("data-delivery", "sent", timeout=RECONNECT_TIMEOUT_MS)
    send_with_enter(bob, "barrier")
    for page in (alice, bob):
        expect(texts(page)).to_have_text(["not sent yet", "barrier"])


# --- No loss across reconnects ----------------------------------------------------------------


def test_a_cut_page_gets_every_message_it_missed_once_in_order(live_server, proxy, new_page):
    """A page whose connection is cut while another sends gets every missed message back, in order, once."""
    # More are missed than the history on entering a room holds: only catching up from the
    # last id the page has brings them all.
    server = live_server(HISTORY_LIMIT=3)
    relay = proxy(server)
    alice = open_chat(new_page(), relay, "Alice")
    bob = open_chat(new_page(), server, "Bob")
    before = [f"before {n}" for n in range(1, 4)]
    during = [f"during {n}" for n in range(1, 11)]
    for text in before:
        send_with_enter(bob, text)
    expect(texts(alice)).to_have_text(before)

    relay.cut()
    expect(alice.locator("#status")).to_have_attribute("data-state", "reconnecting")
    for text in during:
        send_with_enter(bob, text)
    expect(bob.locator("#messages li.message[data-delivery=sent]")).to_have_count(len(before + during))
    expect(texts(alice)).to_have_text(before)

    relay.restore()
    expect(alice.locator("#status")).to_have_attribute("data-state", "connected", timeout=RECONNECT_TIMEOUT_MS)
    send_with_enter(bob, "after")
    expect(texts(alice)).to_have_text(before + during + ["after"])
    assert sorted(texts(alice).all_text_contents()) == sorted(before + during + ["after"])  # each once
    expect(notices(alice).filter(has_text="no longer available")).to_have_count(0)  # nothing was lost


def test_a_page_catches_up_after_a_server_restart(live_server, proxy, new_page):
    """Across a restart, a page gets what another page sent while it was away and sends what it wrote meanwhile."""
    server = live_server(HISTORY_LIMIT=2)
    relay = proxy(server)
    alice = open_chat(new_page(), relay, "Alice")
    bob = open_chat(new_page(), server, "Bob")
    send_with_enter(alice, "one")
    delivery(alice, "one", "sent")  # numbered before Bob's, which does not go through the relay
    send_with_enter(bob, "two")
    expect(texts(alice)).to_have_text(["one", "two"])

    relay.cut()  # Alice's network stays down until Bob is back and has written
    server.stop()
    send_with_enter(alice, "written while down")
    delivery(alice, "written while down", "pending")
    server.start()
    expect(bob.locator("#status")).to_have_attribute("data-state", "connected", timeout=RECONNECT_TIMEOUT_MS)
    meanwhile = ["three", "four", "five"]
    for text in meanwhile:
        send_with_enter(bob, text)
        delivery(bob, text, "sent")

    relay.restore()
    delivery_line = message_line(alice, "written while down")
    expect(delivery_line).to_have_attribute("data-delivery", "sent", timeout=RECONNECT_TIMEOUT_MS)
    everything = ["one", "two", *meanwhile, "written while down"]
    for page in (alice, bob):
        expect(texts(page)).to_have_text(everything)
    assert sorted(texts(alice).all_text_contents()) == sorted(everything)


def test_messages_gone_while_away_are_announced(live_server, proxy, new_page):
    """Messages that retention dropped while the page was away are announced, then the rest follows."""
    server = live_server()
    relay = proxy(server)
    alice = open_chat(new_page(), relay, "Alice")
    bob = open_chat(new_page(), server, "Bob")
    send_with_enter(bob, "one")
    expect(texts(alice)).to_have_text(["one"])
    relay.cut()
    for text in ("two", "three", "four"):
        send_with_enter(bob, text)
        delivery(bob, text, "sent")

    server.stop()
    # What retention does (its first pass comes a minute after the last), done while the server is down.
    with sqlite3.connect(server.settings["HISTORY_DATABASE"]) as database:
        database.execute("DELETE FROM messages WHERE room = 'general' AND id <= 3")
    database.close()
    server.start()
    expect(bob.locator("#status")).to_have_attribute("data-state", "connected", timeout=RECONNECT_TIMEOUT_MS)
    relay.restore()
    expect(texts(alice)).to_have_text(["one", "four"], timeout=RECONNECT_TIMEOUT_MS)
    expect(shown(alice)).to_have_text(
        ["Bob joined", re.compile("one$"), "Some older messages are no longer available", re.compile("four$")]
    )


# --- Signed identities ------------------------------------------------------------------------


def test_demo_tokens_give_the_pages_their_names(live_server, new_page):
    """With tokens required and the demo issuer on, each page gets a token for its name and chats under it."""
    server = live_server(TOKENS=True, DEMO_TOKENS=True)
    alice = open_chat(new_page(), server, "Alice")
    bob = open_chat(new_page(), server, "Bob")
    expect(people(alice)).to_have_text(["Alice (you)", "Bob"])
    expect(people(bob)).to_have_text(["Alice", "Bob (you)"])
    send_with_enter(alice, "signed, Alice")
    delivery(alice, "signed, Alice", "sent")  # numbered first, so shown first
    send_with_enter(bob, "signed, Bob")
    for page in (alice, bob):
        expect(texts(page)).to_have_text(["signed, Alice", "signed, Bob"])
        expect(authors(page)).to_have_text(["Alice", "Bob"])

    # A name the issuer refuses is explained, as without tokens.
    carol = new_page()
    remember_name(carol, "Car\u200bol")
    carol.goto(server.url + "/")
    expect(carol.get_by_role("alert")).to_have_text(
        "Your name was refused: the name contains a character that does not show or is not allowed (U+200B). Pick another one."
    )
    name_box(carol).fill("Carol")
    name_box(carol).press("Enter")
    expect(people(carol)).to_have_text(["Alice", "Bob", "Carol (you)"])


def test_without_the_demo_issuer_the_refusal_is_shown(live_server, new_page):
    """With tokens required and no demo issuer, the page says why the server refused it."""
    server = live_server(TOKENS=True)
    page = new_page()
    page.goto(server.url + "/")
    expect(page.get_by_role("alert")).to_have_text(
        'The server refused the connection: this server requires a signed token: connect with auth {"token": ...}'
    )
    expect(page.locator("#status")).to_have_attribute("data-state", "offline")
    expect(page.locator("#status")).to_have_text("Offline (not signed in)")


def test_a_new_name_in_demo_token_mode_reconnects_with_a_new_token(live_server, new_page):
    """Setting a name with tokens on asks the demo issuer for a token with it and connects again with that."""
    server = live_server(TOKENS=True, DEMO_TOKENS=True)
    alice = open_chat(new_page(), server, "Alice")
    with alice.expect_request(lambda request: request.url.endswith("/token")) as token_request:
        with alice.expect_websocket():  # the new connection (the first request is long-polling)
            name_box(alice).fill("Alicia")
            name_box(alice).press("Enter")
    assert token_request.value.post_data_json == {"name": "Alicia"}
    expect(alice.locator("#status")).to_have_attribute("data-state", "connected")
    expect(alice.get_by_role("alert")).to_have_count(0)
    send_with_enter(alice, "still here")
    delivery(alice, "still here", "sent")


def test_a_new_name_in_demo_token_mode_is_seen_by_the_others(live_server, new_page):
    """After reconnecting with a token for a new name, the others see the person under it."""
    server = live_server(TOKENS=True, DEMO_TOKENS=True)
    alice = open_chat(new_page(), server, "Alice")
    bob = open_chat(new_page(), server, "Bob")
    expect(people(bob)).to_have_text(["Alice", "Bob (you)"])
    name_box(alice).fill("Alicia")
    name_box(alice).press("Enter")
    expect(people(bob)).to_have_text(["Alicia", "Bob (you)"], timeout=5000)


# --- Security headers -------------------------------------------------------------------------


def test_the_page_works_under_its_content_security_policy(live_server, new_page):
    """Serve the page with a CSP it passes: it connects and chats with no violation, and the CSP is enforced."""
    server = live_server()
    page = new_page()
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script("""window.cspViolations = [];
        document.addEventListener("securitypolicyviolation",
            (event) => window.cspViolations.push(event.violatedDirective + " " + event.blockedURI));""")
    with page.expect_response(server.url + "/") as answer:
        open_chat(page, server, "Alice")
    assert "frame-ancestors 'none'" in answer.value.headers["content-security-policy"]
    send_with_enter(page, "under the policy")
    delivery(page, "under the policy", "sent")
    assert page.evaluate("window.cspViolations") == []
    assert not [text for text in console if "Content Security Policy" in text]
    # The policy is really enforced: an inline script is blocked, and reported.
    page.evaluate("""() => { const script = document.createElement("script");
        script.textContent = "window.inlineRan = true"; document.body.append(script); }""")
    page.wait_for_function("window.cspViolations.length > 0")
    assert page.evaluate("window.inlineRan") is None
    assert page.evaluate("window.cspViolations")[0].startswith("script-src")


def test_a_page_whose_token_expires_reconnects_with_a_new_one(live_server, new_page):
    """When the server ends a connection at its token's expiry, the demo page gets a new token and reconnects."""
    server = live_server(TOKENS=True, DEMO_TOKENS=True, TOKEN_MAX_AGE=3)
    alice = new_page()
    tokens, frames = [], []
    alice.on("request", lambda request: tokens.append(request) if request.url.endswith("/token") else None)
    alice.on("websocket", lambda ws: ws.on("framereceived", lambda frame: frames.append(frame)))
    open_chat(alice, server, "Alice")
    assert len(tokens) == 1
    # At expiry the server says so and ends the connection; the page asks for a new token.
    alice.wait_for_event("request", lambda request: request.url.endswith("/token"), timeout=TIMEOUT_MS)
    assert any("token_expired" in frame for frame in frames)
    expect(alice.locator("#status")).to_have_attribute("data-state", "connected")
    expect(alice.get_by_role("alert")).to_have_count(0)
    send_with_enter(alice, "still signed in")
    delivery(alice, "still signed in", "sent")
    expect(people(alice)).to_have_text(["Alice (you)"])
