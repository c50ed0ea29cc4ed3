"""Logging: JSON lines on stderr.

Access lines, one a call, are written straight to stderr with one ``os.write`` each: a line
under the pipe buffer size is written whole, and the call releases the GIL. Going through
``logging`` cost 0.13 ms of server CPU a call under load (a LogRecord, a queue, a writer
thread woken for every line; bench/README.md). Other lines, rare, go through ``logging`` to
one writer thread. Call ``setup`` in every process, again after a fork (the writer thread does
not survive it). Without ``setup`` (tests, embedding), access lines go to the
``dermtriage.access`` logger.
"""

from __future__ import annotations

import atexit
import json
import logging
import logging.handlers
import os
import queue
import sys
from typing import Any

_listener: logging.handlers.QueueListener | None = None
_access_fd: int | None = None  # where access lines go directly, once set up
access_log = logging.getLogger("dermtriage.access")


def access(fields: dict[str, Any]) -> None:
    """One access line: JSON, keys sorted."""
    line = json.dumps(fields, sort_keys=True)
    if _access_fd is None:
        access_log.info(line)
        return
    data = (line + "\n").encode()
    try:
        while data:
            data = data[os.write(_access_fd, data) :]
    except OSError:
        pass  # stderr gone: answering matters more than the log line


def setup(level: str = "INFO") -> None:
    global _listener, _access_fd
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
    _access_fd = None
    if access_log.isEnabledFor(logging.INFO):  # else access lines are off: the logger drops them
        try:
            _access_fd = sys.stderr.fileno()
        except (AttributeError, OSError, ValueError):  # a stderr without a file: through logging
            pass
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
