"""Faults: stopping under load. (An action that raises: tests/adapters/test_engine.py.)"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from service.app import build_triage, engine_of
from service.config import DEFAULT_RULES_DIR
from service.gen.dermtriage.v1 import triage_pb2 as pb
from service.gen.dermtriage.v1 import triage_pb2_grpc
from service.runtime.serve import drain
from service.transport.server import create_server, set_serving
from tests.support.casebook import load_cases
from tests.support.processes import Supervised

CASES = load_cases()[:40]

REQUEST = pb.AssessRequest(channel=pb.CHANNEL_BOOKING, requested_treatments=[pb.TreatmentRequest(code="facial")])
SERVICE = "dermtriage.v1.TriageService"


def test_drain_reports_not_serving_finishes_calls_in_flight_and_refuses_new_ones() -> None:
    triage = build_triage(DEFAULT_RULES_DIR)
    # Two handler threads, six calls in flight: four of them wait for a thread when the drain starts.
    server, port, health, gate = create_server("127.0.0.1:0", triage, threads=2)
    server.start()
    set_serving(health, True)
    address = f"127.0.0.1:{port}"
    with grpc.insecure_channel(address) as channel, ThreadPoolExecutor(8) as pool:
        stub = triage_pb2_grpc.TriageServiceStub(channel)
        good = stub.Assess(REQUEST, timeout=10)
        watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=SERVICE))
        assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
        lock = engine_of(triage).lock
        lock.acquire()  # the engine is busy: the next calls wait in flight
        in_flight = [pool.submit(stub.Assess, REQUEST, timeout=20) for _ in range(6)]
        time.sleep(0.3)
        started = time.monotonic()
        stopper = threading.Thread(target=drain, args=([server], health, 5.0, gate))
        stopper.start()
        assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
        watch.cancel()  # a watcher that stayed would hold the stop for the whole grace period
        lock.release()  # the calls accepted before the drain go on, though it has begun
        with pytest.raises(grpc.RpcError) as refused:  # a call accepted after it, on the same connection
            stub.Assess(REQUEST, timeout=2)
        assert refused.value.code() is grpc.StatusCode.UNAVAILABLE
        assert "shutting down" in (refused.value.details() or "")
        for call in in_flight:
            answer = call.result(timeout=10)
            assert (answer.route, list(answer.reasons)) == (good.route, list(good.reasons))
        stopper.join(timeout=10)
        assert not stopper.is_alive() and time.monotonic() - started < 5.0


def test_sigterm_under_load_loses_no_call_and_exits_zero_within_the_grace_period(assess_core) -> None:  # type: ignore[no-untyped-def]
    service = Supervised(2)
    expected = {case.id: assess_core(case.request_message()) for case in CASES[:10]}
    requests = {case.id: case.request_message() for case in CASES[:10]}
    outcomes: list[str] = []
    stop = threading.Event()

    def client() -> None:
        with grpc.insecure_channel(f"127.0.0.1:{service.port}", options=[("grpc.use_local_subchannel_pool", 1)]) as ch:
            stub = triage_pb2_grpc.TriageServiceStub(ch)
            while not stop.is_set():
                for case_id, request in requests.items():
                    try:
                        answer = stub.Assess(request, timeout=10)
                    except grpc.RpcError as error:
                        outcomes.append(error.code().name)
                        if error.code() is grpc.StatusCode.UNAVAILABLE:
                            return
                        continue
                    want = expected[case_id]
                    same = (answer.route, list(answer.reasons)) == (want.route, list(want.reasons))
                    outcomes.append("OK" if same else "WRONG")

    seen: list[list[int]] = []  # health statuses each watcher saw, one watcher a connection

    def watcher() -> None:
        mine: list[int] = []
        seen.append(mine)
        with grpc.insecure_channel(f"127.0.0.1:{service.port}", options=[("grpc.use_local_subchannel_pool", 1)]) as ch:
            try:
                for update in health_pb2_grpc.HealthStub(ch).Watch(health_pb2.HealthCheckRequest(service=SERVICE)):
                    mine.append(update.status)
            except grpc.RpcError:
                pass  # the stream ends when its worker stops

    threads = [threading.Thread(target=client) for _ in range(6)] + [threading.Thread(target=watcher) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    start = time.monotonic()
    code = service.stop()  # SIGTERM; the service runs with --grace 3
    elapsed = time.monotonic() - start
    stop.set()
    for t in threads:
        t.join(timeout=20)
    assert code == 0 and elapsed < 3 + 1  # within the grace period (3 s), plus process exit
    assert outcomes.count("OK") > 50
    assert set(outcomes) <= {"OK", "UNAVAILABLE"}, sorted(set(outcomes))
    # Every watcher saw its worker go from SERVING to NOT_SERVING before the stream ended.
    serving, not_serving = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING
    assert len(seen) == 4 and all(statuses[:1] == [serving] and not_serving in statuses for statuses in seen), seen
