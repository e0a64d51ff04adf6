"""The demo page in Chromium, for the browser tests: the browser's settings, and helpers that act on the page.

The fixtures that hand out browsers, contexts and pages are in tests/browser/conftest.py.
"""

import json
import re

from playwright.sync_api import expect

CHROMIUM = "/usr/bin/chromium"  # Debian's; never `playwright install`, which downloads a browser
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000  # any single awaited page state, like support.TIMEOUT for sockets
# The client's reconnection delay grows to 5 s (with jitter), and a restart takes a second or two.
RECONNECT_TIMEOUT_MS = 20_000
# Anything but the loopback address is refused, so a test can never reach the internet.
NOT_LOOPBACK = re.compile(r"^(?!(https?|wss?)://127\.0\.0\.1[:/])")

GUEST = re.compile(r"^Guest \d+$")
LONG_NAME = "Maximiliana Wolfeschlegelsteinha"  # 32 characters, the longest name allowed
TYPING = "is typing…"
PHONE = {"viewport": {"width": 375, "height": 667}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def remember_name(page, name):
    """Make ``page`` find ``name`` remembered from an earlier visit (unless it has one by now)."""
    stored = json.dumps(json.dumps(name))
    page.add_init_script(f"""try {{
        if (localStorage.getItem("chat.name") === null) localStorage.setItem("chat.name", {stored});
    }} catch {{}}""")


def open_chat(page, server, name=None):
    """Open the demo page of ``server`` in ``page`` (as ``name``, else a guest); wait until connected."""
    if name is not None:
        remember_name(page, name)
    page.goto(server.url + "/")
    expect(page.locator("#status")).to_have_attribute("data-state", "connected")
    return page


def message_box(page):
    """Return the input labelled "Message" (exactly: the log is labelled "Messages")."""
    return page.get_by_label("Message", exact=True)


def name_box(page):
    """Return the input labelled "Your name"."""
    return page.get_by_label("Your name")


def send_with_enter(page, text):
    """Type ``text`` into the message box and press Enter."""
    message_box(page).fill(text)
    message_box(page).press("Enter")


def shown(page):
    """Return a locator for every line of the page's message log, messages and notices."""
    return page.locator("#messages li")


def notices(page):
    """Return a locator for the join, leave and rename notices in the page's log."""
    return page.locator("#messages li.notice")


def texts(page):
    """Return a locator for the text of each chat message in the page's log."""
    return page.locator("#messages li.message .text")


def authors(page):
    """Return a locator for the sender's name of each chat message in the page's log."""
    return page.locator("#messages li.message .author")


def people(page):
    """Return a locator for the people listed in the page's current room."""
    return page.locator("#people li")


def message_line(page, text):
    """Return the log line of the chat message whose text is exactly ``text``."""
    return page.locator("#messages li.message").filter(
        has=page.locator(".text", has_text=re.compile(f"^{re.escape(text)}$"))
    )


def delivery(page, text, state):
    """Wait until this page's own message ``text`` shows delivery ``state``, as it does to a screen reader."""
    line = message_line(page, text)
    expect(line).to_have_attribute("data-delivery", state)
    expect(line.locator(".delivery")).to_have_text(state if state != "failed" else re.compile("^failed: "))
    return line


def room_button(page, name):
    """Return the button that switches to (or joins) room ``name``."""
    return page.locator(f'#rooms li[data-room="{name}"] .room')


def current_room(page, name):
    """Wait until the page shows room ``name`` as the current one."""
    expect(page.locator("#room-title")).to_have_text(name)
    expect(room_button(page, name)).to_have_attribute("aria-current", "true")


def create_room(page, name):
    """Create room ``name`` through the page's form."""
    page.get_by_label("New room").fill(name)
    page.get_by_role("button", name="Create").click()
