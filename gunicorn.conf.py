"""gunicorn's hooks for the chat: prometheus_client's multiprocess mode across several workers.

gunicorn reads this file from the directory it starts in (or with ``-c gunicorn.conf.py``).
With PROMETHEUS_MULTIPROC_DIR set, every worker writes its figures to files there, and the
worker answering /metrics adds them up (chat/metrics.py). Without it, these hooks do nothing.
"""

import os
from pathlib import Path


def on_starting(server):
    """Empty the metrics directory before the first worker starts: the figures of a previous run are not this one's."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            stale.unlink()


def child_exit(server, worker):
    """Drop a worker that exited from the live gauges (``chat_connections``, mode livesum); its counts stay summed."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
