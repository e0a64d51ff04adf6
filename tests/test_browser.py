"""Browser tests: the demo page in real Chromium (Debian's), driven by Playwright, against a live server."""

import re

import pytest
from playwright.sync_api import expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"  # Debian's; never `playwright install`, which downloads a browser
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 15_000  # any single awaited page state, like conftest.TIMEOUT for sockets
# The client's reconnection delay grows to 5 s (with jitter), and a restart takes a second or two.
RECONNECT_TIMEOUT_MS = 20_000
# Anything but the loopback address is refused, so a test can never reach the internet.
NOT_LOOPBACK = re.compile(r"^(?!(https?|wss?)://127\.0\.0\.1[:/])")

JOINED = "A user joined the chat"
LEFT = "A user left the chat"
PHONE = {"viewport": {"width": 375, "height": 667}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def browser():
    """Return headless Chromium, shared by this module's tests."""
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser):
    """Return a factory of isolated browser contexts that reach only 127.0.0.1, closed at teardown."""
    contexts = []

    def make(**options):
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.route(NOT_LOOPBACK, lambda route: route.abort("blockedbyclient"))
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def new_page(new_context):
    """Return a factory of blank pages, each in its own context: one per person chatting."""
    return lambda **options: new_context(**options).new_page()


def open_chat(page, server):
    """Open the demo page of ``server`` in ``page`` and wait until its socket is connected."""
    page.goto(server.url + "/")
    expect(page.locator("#status")).to_have_attribute("data-state", "connected")
    return page


def message_box(page):
    """Return the input labelled "Message" (exactly: the log is labelled "Messages")."""
    return page.get_by_label("Message", exact=True)


def send_with_enter(page, text):
    """Type ``text`` into the message box and press Enter."""
    message_box(page).fill(text)
    message_box(page).press("Enter")


def shown(page):
    """Return a locator for every line of the page's message log, messages and notices."""
    return page.locator("#messages li")


def messages(page):
    """Return a locator for the chat messages in the page's log, without notices."""
    return page.locator("#messages li.message")


def test_two_pages_chat_through_the_demo(live_server, new_page):
    """Two pages connect, see each other join, and chat with Enter and with the Send button."""
    server = live_server()
    a = open_chat(new_page(), server)
    expect(a.locator("#status")).to_have_text("Connected")
    b = open_chat(new_page(), server)
    expect(shown(a)).to_have_text([JOINED])

    send_with_enter(a, "hello from A")
    expect(message_box(a)).to_have_value("")
    expect(shown(b)).to_have_text(["hello from A"])  # and no notice about B joining itself

    message_box(b).fill("hello from B")
    b.get_by_role("button", name="Send").click()
    expect(shown(a)).to_have_text([JOINED, "hello from A", "hello from B"])
    expect(shown(b)).to_have_text(["hello from A", "hello from B"])
    expect(message_box(b)).to_have_value("")


def test_html_in_a_message_is_shown_as_text(live_server, new_page):
    """A message made of HTML tags shows up literally, and no element or script comes of it."""
    server = live_server()
    a = open_chat(new_page(), server)
    b = open_chat(new_page(), server)
    html = '<img src=x onerror="window.pwned=1"><b>bold</b>'

    send_with_enter(a, html)
    for page in (b, a):
        expect(messages(page)).to_have_count(1)
        assert messages(page).text_content() == html
        expect(page.locator("#messages img, #messages b")).to_have_count(0)
        assert page.evaluate("typeof window.pwned") == "undefined"


def test_a_closed_tab_is_shown_as_a_user_leaving(live_server, new_page):
    """Closing one page's tab tells the other page that a user left."""
    server = live_server()
    a = open_chat(new_page(), server)
    b = open_chat(new_page(), server)
    expect(shown(a)).to_have_text([JOINED])

    b.close()
    expect(shown(a)).to_have_text([JOINED, LEFT])


def test_a_refusal_is_shown_to_the_sender_only(live_server, new_page):
    """A message over the flood limit shows the server's reason on the sender's page, nowhere else."""
    server = live_server(FLOOD_BURST=1, FLOOD_RATE=0.01)
    a = open_chat(new_page(), server)
    b = open_chat(new_page(), server)
    expect(a.get_by_role("alert")).to_have_count(0)

    send_with_enter(a, "first")
    send_with_enter(a, "second")
    expect(a.get_by_role("alert")).to_have_text(
        re.compile(r"^too many messages: wait [\d.]+ s before sending again$"))
    # The refused text is given back to edit or resend, not lost.
    expect(a.get_by_label("Message", exact=True)).to_have_value("second")

    # B's own message is broadcast after A's refused one was handled: a barrier for "second".
    send_with_enter(b, "from B")
    expect(messages(b)).to_have_text(["first", "from B"])
    expect(messages(a)).to_have_text(["first", "from B"])
    expect(b.locator("#error")).to_be_hidden()
    expect(b.get_by_role("alert")).to_have_count(0)


def test_the_page_reconnects_after_a_server_restart(live_server, new_page):
    """Stopping the server shows the page reconnecting; once it is back, chat works again."""
    server = live_server()
    a = open_chat(new_page(), server)
    b = open_chat(new_page(), server)

    server.stop()
    for page in (a, b):
        expect(page.locator("#status")).to_have_attribute("data-state", "reconnecting")
        expect(page.locator("#status")).to_have_text(re.compile(r"^Reconnecting"))

    server.start()
    for page in (a, b):
        expect(page.locator("#status")).to_have_attribute("data-state", "connected",
                                                          timeout=RECONNECT_TIMEOUT_MS)
        expect(page.locator("#status")).to_have_text("Connected")

    send_with_enter(a, "after the restart")
    expect(messages(b)).to_have_text(["after the restart"])
    expect(messages(a)).to_have_text(["after the restart"])


def test_the_page_fits_a_phone_screen(live_server, new_page, peer):
    """On a 375x667 phone the composer stays on screen and nothing scrolls sideways, however long the log."""
    server = live_server()
    page = open_chat(new_page(**PHONE), server)
    sender = peer(server)
    lines = [f"line {n}" for n in range(20)] + ["x" * 300, "https://127.0.0.1/" + "long-path/" * 30]
    for line in lines:
        assert sender.send(line) == {"ok": True}
    expect(messages(page)).to_have_text(lines)

    # The viewport meta tag makes the layout as wide as the phone, not a zoomed-out desktop page.
    assert page.evaluate("document.documentElement.clientWidth") == 375
    for control in (message_box(page), page.get_by_role("button", name="Send")):
        expect(control).to_be_visible()
        expect(control).to_be_in_viewport(ratio=1)
    widths = page.evaluate("""() => {
        const root = document.documentElement, log = document.getElementById("messages");
        return {page: [root.scrollWidth, root.clientWidth], log: [log.scrollWidth, log.clientWidth]};
    }""")
    assert widths["page"][0] <= widths["page"][1], widths
    assert widths["log"][0] <= widths["log"][1], widths


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
    expect(messages(page)).to_have_text(["local only"])

    assert any("/socket.io/" in url for url in urls), urls  # the recording saw the socket too
    assert [url for url in urls if not url.startswith(origins)] == []


def test_the_page_has_accessible_names_and_roles(live_server, new_page):
    """The log is announced politely, the input is labelled "Message", the status and button are named."""
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
    expect(page.get_by_role("status")).to_have_text("Connected")
    # What a screen reader announces: the state alone, not the decorative dot before it.
    expect(page.get_by_role("status")).to_match_aria_snapshot("- status: Connected")
