"""Shared fixtures: the real ruleset and engine, and a real gRPC server on a free port."""

from __future__ import annotations

import os
from collections.abc import Iterator

import grpc
import pytest
from hypothesis import HealthCheck, settings

from service.app import build_triage
from service.config import DEFAULT_RULES_DIR
from service.domain.triage import Triage
from service.gen.dermtriage.v1 import triage_pb2 as pb
from service.gen.dermtriage.v1 import triage_pb2_grpc
from service.transport import codec
from service.transport.server import create_server, set_serving

# Property tests: a bounded run in the suite; `make properties-long` runs many more examples.
settings.register_profile("suite", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))


@pytest.fixture(scope="session")
def triage() -> Triage:
    return build_triage(DEFAULT_RULES_DIR)


@pytest.fixture(scope="session")
def assess_core(triage: Triage):  # type: ignore[no-untyped-def]
    """The core runner: the request through the codec and the core, no server."""

    def run(request: pb.AssessRequest) -> pb.AssessResponse:
        return codec.encode_decision(triage.assess(codec.decode_intake(request)))

    return run


@pytest.fixture(scope="session")
def server(triage: Triage) -> Iterator[tuple[grpc.Server, int]]:
    srv, port, health_servicer, _ = create_server("127.0.0.1:0", triage, threads=16, max_in_flight=256)
    srv.start()
    set_serving(health_servicer, True)
    yield srv, port
    srv.stop(None)


@pytest.fixture(scope="session")
def channel(server: tuple[grpc.Server, int]) -> Iterator[grpc.Channel]:
    ch = grpc.insecure_channel(f"127.0.0.1:{server[1]}")
    grpc.channel_ready_future(ch).result(timeout=10)
    yield ch
    ch.close()


@pytest.fixture(scope="session")
def stub(channel: grpc.Channel) -> triage_pb2_grpc.TriageServiceStub:
    return triage_pb2_grpc.TriageServiceStub(channel)
