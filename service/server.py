"""Server wiring: the engine built once at start-up, health, reflection, graceful shutdown."""

from __future__ import annotations

import ctypes
import ctypes.util
import itertools
import json
import logging
import os
import signal
import threading
from concurrent import futures
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from .config import Config
from .core.text import TextReader
from .core.triage import Triage
from .engine import Engine
from .gen.dermtriage.v1 import triage_pb2, triage_pb2_grpc
from .rules_loader import load_ruleset
from .servicer import TriageServicer
from .wordlist import english_words

log = logging.getLogger("dermtriage")
SERVICE_NAME = triage_pb2.DESCRIPTOR.services_by_name["TriageService"].full_name
_engine_ids = itertools.count(1)


class BindError(RuntimeError):
    """The server could not listen on the address it was given."""


def build_triage(rules_dir: Path) -> Triage:
    """Load and check rules/, compile them into a fresh engine (one per process)."""
    ruleset = load_ruleset(rules_dir)
    # A durable ruleset name can be registered once; the version hash and a counter keep it unique.
    name = f"dermtriage_{ruleset.version.split('+')[-1]}_{next(_engine_ids)}"
    reader = TextReader(ruleset.catalog, ruleset.text_rules, english_words()) if ruleset.text_rules else None
    return Triage(ruleset, Engine(ruleset.rulebook, name).evaluate, reader)


def engine_of(triage: Triage) -> Engine:
    """The engine a Triage from build_triage evaluates with (tests and benchmarks hold its lock
    or time it directly)."""
    engine = getattr(triage.evaluate, "__self__", None)
    if not isinstance(engine, Engine):
        raise TypeError("this Triage was not built by build_triage")
    return engine


def create_server(
    address: str,
    triage: Triage,
    *,
    threads: int = 8,
    max_in_flight: int = 64,
    reuse_port: bool = False,
    max_connection_age: float | None = None,
    worker: int | None = None,
) -> tuple[grpc.Server, int, health.HealthServicer]:
    """A started-able server bound to ``address`` (port 0 picks a free one); returns it and its port."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="rpc"),
        maximum_concurrent_rpcs=max_in_flight,
        # gRPC shares ports by default (SO_REUSEPORT), which would let a second server start
        # silently on a port in use; one process owns its port unless workers share it on purpose.
        options=[
            ("grpc.so_reuseport", 1 if reuse_port else 0),
            # Connections close gracefully after a while, so clients spread over the workers again.
            *(
                [
                    ("grpc.max_connection_age_ms", int(max_connection_age * 1000)),
                    ("grpc.max_connection_age_grace_ms", 5000),
                ]
                if max_connection_age
                else []
            ),
        ],
    )
    triage_pb2_grpc.add_TriageServiceServicer_to_server(TriageServicer(triage, worker), server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (SERVICE_NAME, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME), server
    )
    try:
        port = server.add_insecure_port(address)
    except RuntimeError:
        port = 0
    if port == 0:
        raise BindError(f"cannot listen on {address} (in use, or not an address of this machine)")
    return server, port, health_servicer


def set_serving(health_servicer: health.HealthServicer, serving: bool) -> None:
    status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
    for name in ("", SERVICE_NAME):
        health_servicer.set(name, status)


def limit_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives threads their own malloc arenas (up to 8 a core), which grows resident memory
    in steps under a threaded gRPC server; a couple is plenty when the GIL serializes Python."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-8, arenas)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass  # not glibc: nothing to do


def serve(config: Config, worker: int | None = None, reuse_port: bool = False) -> int:
    """Run until SIGTERM or SIGINT, then drain: NOT_SERVING, finish in-flight calls, exit 0."""
    limit_malloc_arenas()
    triage = build_triage(config.rules_dir)
    server, port, health_servicer = create_server(
        f"{config.host}:{config.port}",
        triage,
        threads=config.threads,
        max_in_flight=config.max_in_flight,
        reuse_port=reuse_port,
        max_connection_age=config.max_connection_age,
        worker=worker,
    )
    server.start()
    set_serving(health_servicer, True)
    event = {"event": "serving", "port": port, "ruleset_version": triage.ruleset.version, "pid": os.getpid()}
    if worker is not None:
        event["worker"] = worker
    log.info(json.dumps(event))
    stopping = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stopping.wait()
    log.info('{"event": "stopping", "grace_seconds": %s}', config.grace)
    health_servicer.enter_graceful_shutdown()  # every service NOT_SERVING, and it stays so
    server.stop(config.grace).wait()
    log.info('{"event": "stopped"}')
    return 0
