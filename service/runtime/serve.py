"""One serving process: signals, drain on SIGTERM, malloc arenas; the rules engine built once."""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import logging
import os
import signal
import threading
import time

import grpc
from grpc_health.v1 import health

from ..app import build_triage
from ..config import EXIT_OK, Config
from ..security import security_for
from ..transport.interceptors import Gate
from ..transport.server import create_health_server, create_server, set_serving

log = logging.getLogger("dermtriage")
DRAIN_LINGER = 1.0  # seconds of UNAVAILABLE answers on shutdown before gRPC stops (within the grace period)
MALLOC_ARENAS = 2
M_ARENA_MAX = -8  # glibc's mallopt parameter number


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> None:
    """glibc gives threads their own malloc arenas (up to 8 a core), which grows resident memory
    in steps under a threaded gRPC server; a couple is plenty when the GIL serializes Python."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(M_ARENA_MAX, arenas)
    except (OSError, AttributeError):
        pass  # not glibc: nothing to do


def serve(config: Config, worker: int | None = None, reuse_port: bool = False) -> int:
    """Run until SIGTERM or SIGINT, then drain: NOT_SERVING, finish in-flight calls, exit 0."""
    limit_malloc_arenas()
    security = security_for(config)
    triage = build_triage(config.rules_dir)
    server, port, health_servicer, gate = create_server(
        f"{config.host}:{config.port}",
        triage,
        threads=config.threads,
        max_in_flight=config.max_in_flight,
        reuse_port=reuse_port,
        max_connection_age=config.max_connection_age,
        worker=worker,
        security=security,
    )
    servers = [server]
    event: dict[str, object] = {
        "event": "serving",
        "port": port,
        "ruleset_version": triage.ruleset.version,
        "pid": os.getpid(),
        "tls": "mutual" if security.mutual_tls else "server" if security.tls else "off",
        "bearer_tokens": security.tokens,
    }
    if config.health_port is not None:
        health_server, event["health_port"] = create_health_server(
            f"{config.host}:{config.health_port}", health_servicer, reuse_port=reuse_port
        )
        servers.append(health_server)
    if worker is not None:
        event["worker"] = worker
    if security.tokens and not security.tls:
        log.warning(json.dumps({"event": "tokens_without_tls", "detail": "bearer tokens travel in plaintext"}))
    stopping = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for s in servers:
        s.start()
    set_serving(health_servicer, True)
    log.info(json.dumps(event))
    stopping.wait()
    drain(servers, health_servicer, config.grace, gate)
    return EXIT_OK


def drain(servers: list[grpc.Server], health_servicer: health.HealthServicer, grace: float, gate: Gate) -> None:
    """Stop as a rolling update needs: health NOT_SERVING at once (and for good), calls
    accepted from now on answered UNAVAILABLE (which clients may retry elsewhere, unlike the
    CANCELLED that gRPC gives calls arriving as it stops), calls accepted before finished
    within ``grace`` seconds."""
    log.info(json.dumps({"event": "stopping", "grace_seconds": grace}))
    started = time.monotonic()
    health_servicer.enter_graceful_shutdown()  # every service NOT_SERVING, and it stays so
    gate.close()
    # Answer UNAVAILABLE a moment before gRPC stops taking calls, so connected clients learn to go.
    time.sleep(min(DRAIN_LINGER, grace))
    remaining = max(0.0, grace - (time.monotonic() - started))
    for event in [s.stop(remaining) for s in servers]:  # waits for the calls accepted before
        event.wait()
    log.info(json.dumps({"event": "stopped"}))
