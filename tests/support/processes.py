"""The service as a user runs it: ``python -m service serve`` in a subprocess."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time

from .paths import ROOT


def serve_argv(workers: int, *flags: str) -> list[str]:
    """The command that starts the service on a free loopback port (tests and benchmarks)."""
    return [
        sys.executable,
        "-m",
        "service",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--workers",
        str(workers),
        *flags,
    ]


class Supervised:
    """`python -m service serve --workers N` in a subprocess, with its log events as they come."""

    def __init__(self, workers: int, *flags: str):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            serve_argv(workers, "--grace", "3", *flags),
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.events: queue.Queue[dict] = queue.Queue()
        self.serving: dict[int, int] = {}  # worker -> pid
        threading.Thread(target=self._read, daemon=True).start()
        self.port = 0
        deadline = time.monotonic() + 30
        while len(self.serving) < workers:
            event = self.events.get(timeout=max(0.1, deadline - time.monotonic()))
            self._note(event)

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            try:
                self.events.put(json.loads(line))
            except json.JSONDecodeError:
                pass

    def _note(self, event: dict) -> None:
        if event.get("event") == "serving":
            self.serving[event["worker"]] = event["pid"]
            self.port = event["port"]
            self.last_serving = event

    def wait_for(self, predicate, timeout: float = 20) -> dict:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while True:
            event = self.events.get(timeout=max(0.1, deadline - time.monotonic()))
            self._note(event)
            if predicate(event):
                return event

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
