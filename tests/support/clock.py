"""A fake clock for the chat state's limits and expiries."""

# A wall-clock time (seconds since the epoch) for stores that keep wall-clock deadlines or stamps.
WALL_CLOCK_START = 1_800_000_000.0


class Clock:
    """A clock that moves only when told to: monotonic by default, or from ``start``, e.g. WALL_CLOCK_START."""

    def __init__(self, start=1000.0):
        self.now = start

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds
