"""Worker processes on one port: the rule engine serializes evaluation, so capacity comes from
processes. The supervisor forks the workers before any gRPC or engine object exists (each
builds its own), restarts one that dies, and stops them all on SIGTERM.

Imports nothing of gRPC or durable-rules: a forked child must not inherit their state.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import sys
import time
from dataclasses import replace

from .. import logs
from ..adapters.rules_files import load_ruleset
from ..config import EXIT_FAILED, EXIT_OK, CannotListen, Config
from ..security import security_for

log = logging.getLogger("dermtriage")
RESTART_BACKOFF = 1.0  # seconds before restarting a worker that died right after starting
STARTUP_WINDOW = 10.0  # a worker that dies sooner than this after its fork died starting
POLL = 0.1  # seconds between looks at the workers while serving
STOP_POLL = 0.05  # seconds between looks while they stop
STOP_MARGIN = 2.0  # seconds past the grace period before a worker that has not stopped is killed
MAX_QUICK_FAILURES = 5  # workers dying right after start this often in a row: stop, exit 1


def reserve_port(host: str, port: int) -> socket.socket:
    """The port held open (not listening) with SO_REUSEPORT, so every worker binds the same one
    (port 0 picks a free one), and a port another program holds fails here, before any fork."""
    bare = host.strip("[]")
    family = socket.AF_INET6 if ":" in bare else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((bare or "::", port))
    except OSError:
        sock.close()
        raise CannotListen(f"cannot listen on {host}:{port} (in use, or not an address of this machine)") from None
    return sock


def run(config: Config) -> int:
    """Serve with ``config.workers`` processes (one: in this process), until SIGTERM or SIGINT."""
    if config.workers <= 1:
        from .serve import serve

        return serve(config)
    load_ruleset(config.rules_dir)  # a broken rules/ stops start-up here, not in every worker
    security_for(config)  # and bad TLS or token files
    held = [reserve_port(config.host, config.port)]
    port = held[0].getsockname()[1]
    worker_config = replace(config, port=port)
    if config.health_port is not None:
        held.append(reserve_port(config.host, config.health_port))
        worker_config = replace(worker_config, health_port=held[1].getsockname()[1])
    log.info(json.dumps({"event": "supervising", "port": port, "workers": config.workers, "pid": os.getpid()}))
    stopping = failed = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    workers: dict[int, tuple[int, float]] = {}  # pid -> (slot, started at)
    quick_failures = 0

    def start(slot: int) -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            logs.setup(config.log_level)  # the log writer thread does not survive the fork
            code = EXIT_FAILED
            try:
                from .serve import serve  # gRPC and durable-rules load in the worker, after the fork

                code = serve(worker_config, worker=slot, reuse_port=True)
            except BaseException as exc:
                log.error(json.dumps({"event": "worker_failed", "worker": slot, "cause": type(exc).__name__}))
            finally:
                logs.flush()
                logging.shutdown()
                os._exit(code)
        workers[pid] = (slot, time.monotonic())

    for slot in range(config.workers):
        start(slot)
    while not stopping:
        time.sleep(POLL)
        for pid, status in _reap():
            if pid not in workers:
                continue
            slot, started = workers.pop(pid)
            log.warning(json.dumps({"event": "worker_exited", "worker": slot, "status": _describe(status)}))
            if stopping:
                continue
            if time.monotonic() - started < STARTUP_WINDOW:
                quick_failures += 1
                if quick_failures >= MAX_QUICK_FAILURES:  # workers cannot start: give up, loudly
                    log.error(json.dumps({"event": "workers_failing", "failures": quick_failures}))
                    stopping, failed = True, True
                    continue
                time.sleep(RESTART_BACKOFF)  # a worker that cannot start must not spin the machine
            else:
                quick_failures = 0
            start(slot)
    log.info(json.dumps({"event": "stopping", "workers": len(workers), "grace_seconds": config.grace}))
    for pid in workers:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + config.grace + STOP_MARGIN  # a worker's own stop is bounded by the grace
    while workers and time.monotonic() < deadline:
        for pid, _ in _reap():
            workers.pop(pid, None)
        time.sleep(STOP_POLL)
    if workers:  # past the grace period: a worker that has not stopped is killed, and the exit says so
        log.error(json.dumps({"event": "workers_killed", "workers": len(workers)}))
        failed = True
    for pid in workers:
        _signal(pid, signal.SIGKILL)
    for pid in list(workers):
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass  # reaped already
    for sock in held:
        sock.close()
    log.info(json.dumps({"event": "stopped"}))
    return EXIT_FAILED if failed else EXIT_OK


def _reap() -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return out
        if pid == 0:
            return out
        out.append((pid, status))


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit {os.waitstatus_to_exitcode(status)}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run: python -m service serve --workers N")
