"""Fixtures of the browser tests: headless Chromium (Debian's) and isolated contexts that reach only 127.0.0.1.

Shared by every browser test module; the page helpers they use are in tests/support/pages.py.
"""

import re

import pytest
from playwright.sync_api import expect, sync_playwright

from support.pages import TIMEOUT_MS

CHROMIUM = "/usr/bin/chromium"  # Debian's; never `playwright install`, which downloads a browser
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Anything but the loopback address is refused, so a test can never reach the internet.
NOT_LOOPBACK = re.compile(r"^(?!(https?|wss?)://127\.0\.0\.1[:/])")


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
    """Return a factory of isolated browser contexts that reach only 127.0.0.1, closed at teardown.

    An exception the page's script does not catch fails the test.
    """
    contexts = []
    script_errors = []

    def make(**options):
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.route(NOT_LOOPBACK, lambda route: route.abort("blockedbyclient"))
        context.on("weberror", lambda web_error: script_errors.append(web_error.error))
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert script_errors == []


@pytest.fixture
def new_page(new_context):
    """Return a factory of blank pages, each in its own context: one per person chatting."""
    return lambda **options: new_context(**options).new_page()
