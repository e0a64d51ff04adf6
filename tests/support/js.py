"""A socket.io JavaScript client in Node with its automatic reconnection on (tests/js/reconnecting_client.js)."""

import json
import subprocess
import threading

from support import ROOT, TIMEOUT

SCRIPT = ROOT / "tests" / "js" / "reconnecting_client.js"


class ReconnectingClient:
    """One socket.io-client socket in Node that reconnects by itself; records every event it prints, in order."""

    def __init__(self, url, auth=None, transports=None, cut_at_first=None):
        options = {"url": url, "auth": auth, "transports": transports, "cutAtFirst": cut_at_first}
        self.process = subprocess.Popen(
            ["node", str(SCRIPT), json.dumps(options)], stdout=subprocess.PIPE, text=True, cwd=SCRIPT.parent
        )
        self.events = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            with self._changed:
                self.events.append(json.loads(line))
                self._changed.notify_all()

    def names(self):
        """Return the names of the events seen so far, in order."""
        with self._changed:
            return [event["event"] for event in self.events]

    def wait_until(self, done, timeout=TIMEOUT, description="the condition"):
        """Wait until ``done(events)`` is true; fail naming ``description`` and the last events."""
        with self._changed:
            if not self._changed.wait_for(lambda: done(self.events), timeout):
                raise AssertionError(f"timed out waiting for {description}: {self.events[-8:]}")

    def wait_for(self, event, count=1, timeout=TIMEOUT):
        """Wait until ``event`` has been seen ``count`` times."""
        self.wait_until(lambda events: sum(e["event"] == event for e in events) >= count, timeout, f"{count} {event!r}")

    def close(self):
        self.process.kill()
        self.process.wait()
