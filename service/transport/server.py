"""The gRPC server factory: the servicer, health and reflection on one port, and a health-only
port for probes; every listener owns its port unless workers share it on purpose."""

from __future__ import annotations

from concurrent import futures
from typing import NamedTuple

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from ..config import CannotListen, Config
from ..domain.triage import Triage
from ..gen.dermtriage.v1 import triage_pb2
from ..security import Security
from .interceptors import BearerTokens, Gate
from .servicer import TriageServicer, add_to_server

SERVICE_NAME = triage_pb2.DESCRIPTOR.services_by_name["TriageService"].full_name
CONNECTION_AGE_GRACE_MS = 5000  # a connection past its age gets this long to finish its calls
# The health-only port: probes are cheap, and grpc_health's Watch holds no thread while it waits.
HEALTH_THREADS = 2
HEALTH_MAX_IN_FLIGHT = 16
HEALTH_MAX_REQUEST_BYTES = 1024  # a HealthCheckRequest is a service name
MAX_REQUEST_BYTES = 64 * 1024  # larger requests get RESOURCE_EXHAUSTED before any decoding


class Served(NamedTuple):
    server: grpc.Server
    port: int
    health: health.HealthServicer
    gate: Gate  # closes on shutdown: calls accepted from then on are UNAVAILABLE


def create_server(
    address: str,
    triage: Triage,
    *,
    threads: int = Config.threads,
    max_in_flight: int = Config.max_in_flight,
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
                    ("grpc.max_connection_age_grace_ms", CONNECTION_AGE_GRACE_MS),
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
        futures.ThreadPoolExecutor(max_workers=HEALTH_THREADS, thread_name_prefix="health"),
        maximum_concurrent_rpcs=HEALTH_MAX_IN_FLIGHT,
        options=[*_common_options(reuse_port), ("grpc.max_receive_message_length", HEALTH_MAX_REQUEST_BYTES)],
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
        raise CannotListen(f"cannot listen on {address} (in use, or not an address of this machine)")
    return port


def set_serving(health_servicer: health.HealthServicer, serving: bool) -> None:
    status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
    for name in ("", SERVICE_NAME):
        health_servicer.set(name, status)
