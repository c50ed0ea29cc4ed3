"""Logging: JSON lines on stderr, written by one background thread.

Request threads only put a record on a queue: under load, a shared stream handler made every
thread wait for each write (bench/README.md, profile under load). Call ``setup`` in every
process, again after a fork (the writer thread does not survive it).
"""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import queue
import sys

_listener: logging.handlers.QueueListener | None = None


def setup(level: str = "INFO") -> None:
    global _listener
    if _listener is not None:
        try:
            _listener.stop()
        except RuntimeError:  # after a fork the writer thread belongs to the parent
            pass
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    writer = logging.StreamHandler(sys.stderr)
    writer.setFormatter(logging.Formatter("%(message)s"))
    _listener = logging.handlers.QueueListener(records, writer)
    root = logging.getLogger()
    root.handlers[:] = [logging.handlers.QueueHandler(records)]
    root.setLevel(level.upper())
    _listener.start()


def flush() -> None:
    """Write out what is queued (before exit)."""
    if _listener is not None:
        _listener.stop()
        _listener.start()


@atexit.register
def _stop() -> None:
    if _listener is not None:
        try:
            _listener.stop()
        except RuntimeError:
            pass
