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
import time
from concurrent import futures
from pathlib import Path
from typing import NamedTuple

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from .config import Config
from .core.text import TextReader
from .core.triage import Triage
from .engine import Engine
from .gen.dermtriage.v1 import triage_pb2
from .interceptors import BearerTokens, Gate
from .rules_loader import load_ruleset
from .security import Security, security_for
from .servicer import TriageServicer, add_to_server
from .wordlist import english_words

log = logging.getLogger("dermtriage")
SERVICE_NAME = triage_pb2.DESCRIPTOR.services_by_name["TriageService"].full_name
DRAIN_LINGER = 1.0  # seconds of UNAVAILABLE answers on shutdown before gRPC stops (within the grace period)
MAX_REQUEST_BYTES = 64 * 1024  # larger requests get RESOURCE_EXHAUSTED before any decoding
_engine_ids = itertools.count(1)


class Served(NamedTuple):
    server: grpc.Server
    port: int
    health: health.HealthServicer
    gate: Gate  # closes on shutdown: calls accepted from then on are UNAVAILABLE


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
    security: Security | None = None,
    health_servicer: health.HealthServicer | None = None,
) -> Served:
    """A started-able server bound to ``address`` (port 0 picks a free one)."""
    security = security or Security()
    gate = Gate(triage.ruleset.version, worker)
    tokens = [BearerTokens(security, triage.ruleset.version, worker)] if security.tokens else []
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="rpc"),
        maximum_concurrent_rpcs=max_in_flight,
        interceptors=[gate, *tokens],
        options=[
            *_common_options(reuse_port),
            ("grpc.max_receive_message_length", MAX_REQUEST_BYTES),
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
    add_to_server(TriageServicer(triage, worker), server)
    health_servicer = health_servicer or health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (SERVICE_NAME, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME), server
    )
    return Served(server, _bind(server, address, security), health_servicer, gate)


def create_health_server(
    address: str, health_servicer: health.HealthServicer, *, reuse_port: bool = False
) -> tuple[grpc.Server, int]:
    """grpc.health.v1 alone, in plaintext, sharing the main server's health states: for probes
    that cannot present a client certificate or a token."""
    server = grpc.server(
        # Probes are cheap, and grpc_health's Watch holds no thread while it waits.
        futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="health"),
        maximum_concurrent_rpcs=16,
        options=[*_common_options(reuse_port), ("grpc.max_receive_message_length", 1024)],
    )
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    return server, _bind(server, address, Security())


def _common_options(reuse_port: bool) -> list[tuple[str, int]]:
    # gRPC shares ports by default (SO_REUSEPORT), which would let a second server start
    # silently on a port in use; one process owns its port unless workers share it on purpose.
    return [("grpc.so_reuseport", 1 if reuse_port else 0)]


def _bind(server: grpc.Server, address: str, security: Security) -> int:
    credentials = None
    if security.tls:
        assert security.cert is not None and security.key is not None
        credentials = grpc.ssl_server_credentials(
            [(security.key, security.cert)],
            root_certificates=security.client_ca,
            require_client_auth=security.mutual_tls,
        )
    try:
        port = server.add_secure_port(address, credentials) if credentials else server.add_insecure_port(address)
    except RuntimeError:
        port = 0
    if port == 0:
        raise BindError(f"cannot listen on {address} (in use, or not an address of this machine)")
    return port


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
    return 0


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
