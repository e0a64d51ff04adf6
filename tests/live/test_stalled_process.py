"""A process that stalls until the others drop it, then recovers: its connections leave once, not twice."""

import os
import signal

from support.servers import worker_pid

USER_JOINED = {"message": "A user joined the chat"}
USER_LEFT = {"message": "A user left the chat"}


def test_a_recovered_process_sends_no_second_user_left(redis_server, live_server, peer):
    """Tell seed clients once that a stalled process's client left: when it is dropped, not again when it recovers."""
    a, b = (live_server("gevent", REDIS_URL=redis_server.url, PRESENCE_GRACE=1) for _ in range(2))
    seed = peer(a)
    stalled = peer(b)
    assert seed.wait_for("user-joined") == [USER_JOINED]
    worker = worker_pid(b)
    os.kill(worker, signal.SIGSTOP)
    try:
        # Silent for 10 s, b is dropped by a, which says its client left.
        assert seed.wait_for("user-left", timeout=30) == [USER_LEFT]
    finally:
        os.kill(worker, signal.SIGCONT)
    # b learns it was dropped and disconnects its client, which would reconnect afresh.
    stalled.wait_for("disconnect")
    late = peer(b)  # a barrier: what b's disconnect sent goes out through Redis before this
    assert late.send("after") == {"ok": True}
    assert seed.wait_for("message") == ["after"]
    assert seed.received("user-left") == [USER_LEFT]
