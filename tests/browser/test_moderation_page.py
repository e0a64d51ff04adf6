"""Moderation on the demo page, in Chromium: an administrator signs in with a pasted token,
removes a message and mutes Bob; Bob's page shows the notices and the refusal."""

import re
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import expect

from support.page import message_line, open_chat, people, send_with_enter, texts

ROOT = Path(__file__).resolve().parents[2]
SECRET = "live-test-secret-of-thirty-two-bytes"  # support.servers.LiveServer's SECRET_KEY


def admin_token():
    """Return an administrator's token from the ``flask issue-token`` command, as the README shows it."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "app",
            "issue-token",
            "--admin",
            "--name",
            "Admin",
            "--sub",
            "admin-1",
            "--lifetime",
            "600",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "CHAT_SECRET_KEY": f'"{SECRET}"', "CHAT_HISTORY_DATABASE": '":memory:"'},
    )
    return result.stdout.strip()


def test_an_admin_removes_a_message_and_mutes_bob(live_server, new_page):
    """Sign in with a pasted admin token; Remove and Mute act on Bob, whose page shows the notices and is refused."""
    server = live_server(TOKENS=True, DEMO_TOKENS=True)
    bob = open_chat(new_page(), server, "Bob")
    admin = open_chat(new_page(), server, "Someone")
    # A demo token's bearer is no administrator: nothing to moderate with.
    send_with_enter(bob, "spam spam")
    expect(texts(admin)).to_have_text(["spam spam"])
    expect(admin.get_by_role("button", name="Remove")).to_have_count(0)

    admin.get_by_label("Sign in with a token").fill(admin_token())
    admin.get_by_role("button", name="Sign in").click()
    expect(people(bob)).to_have_text(["Admin", "Bob (you)"])
    message_line(admin, "spam spam").get_by_role("button", name="Remove").click()
    for page in (admin, bob):
        expect(texts(page)).to_have_text(["message deleted"])
        expect(page.locator("#messages li.notice").last).to_have_text("Admin removed a message")

    admin.get_by_label("Mute or ban for").select_option("300")
    admin.get_by_role("button", name="Mute Bob").click()
    expect(bob.locator("#messages li.notice").last).to_have_text(re.compile(r"^Admin muted Bob until "))
    send_with_enter(bob, "still here")
    expect(bob.get_by_role("alert")).to_have_text(re.compile(r"you are muted in the room 'general' until .*s left"))
    expect(texts(admin)).to_have_text(["message deleted"])
    # Bob, no administrator, is offered none of it.
    expect(bob.get_by_role("button", name="Mute Admin")).to_have_count(0)
    expect(bob.locator("#moderation-tools")).to_be_hidden()
