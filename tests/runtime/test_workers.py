"""Worker processes on one port, restarts, overload and deadlines."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from google.protobuf import json_format

from service.adapters.engine import Engine
from service.app import build_triage, engine_of
from service.config import DEFAULT_RULES_DIR
from service.gen.dermtriage.v1 import triage_pb2 as pb
from service.gen.dermtriage.v1 import triage_pb2_grpc
from service.transport.server import create_server
from tests.support.casebook import load_cases
from tests.support.paths import ROOT
from tests.support.processes import Supervised

CASES = load_cases()[:40]


@pytest.fixture
def two_workers() -> Iterator[Supervised]:
    server = Supervised(2)
    yield server
    if server.proc.poll() is None:
        server.stop()


def _expected(assess_core) -> list[tuple[pb.AssessRequest, str]]:  # type: ignore[no-untyped-def]
    out = []
    for case in CASES:
        request = case.request_message()
        answer = assess_core(request)
        out.append((request, _key(answer)))
    return out


def _key(answer: pb.AssessResponse) -> str:
    d = json_format.MessageToDict(answer)
    d.pop("decisionId")
    return json.dumps(d, sort_keys=True)


def test_workers_share_one_port_and_stop_together(two_workers: Supervised, assess_core) -> None:  # type: ignore[no-untyped-def]
    pids = set(two_workers.serving.values())
    assert len(pids) == 2 and two_workers.proc.pid not in pids
    for request, want in _expected(assess_core):
        with grpc.insecure_channel(f"127.0.0.1:{two_workers.port}") as channel:  # a new connection each time
            got = triage_pb2_grpc.TriageServiceStub(channel).Assess(request, timeout=10)
        assert _key(got) == want
    assert two_workers.stop() == 0
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_killed_worker_comes_back_and_no_answer_is_wrong(two_workers: Supervised, assess_core) -> None:  # type: ignore[no-untyped-def]
    expected = _expected(assess_core)
    stop = threading.Event()
    wrong, ok, failed = [], [0], [0]

    def load(t: int) -> None:
        k = t
        while not stop.is_set():
            request, want = expected[k % len(expected)]
            k += 1
            with grpc.insecure_channel(f"127.0.0.1:{two_workers.port}") as channel:
                stub = triage_pb2_grpc.TriageServiceStub(channel)
                for attempt in range(3):  # what a client does on UNAVAILABLE: try again
                    try:
                        got = stub.Assess(request, timeout=5)
                    except grpc.RpcError as error:
                        if error.code() != grpc.StatusCode.UNAVAILABLE or attempt == 2:
                            failed[0] += 1
                            break
                        time.sleep(0.05)
                        continue
                    if _key(got) != want:
                        wrong.append(request.request_id)
                    ok[0] += 1
                    break

    threads = [threading.Thread(target=load, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    victim = two_workers.serving[0]
    os.kill(victim, signal.SIGKILL)
    two_workers.wait_for(lambda e: e.get("event") == "worker_exited" and e.get("worker") == 0)
    back = two_workers.wait_for(lambda e: e.get("event") == "serving" and e.get("worker") == 0)
    before_restart = ok[0]
    time.sleep(1.5)
    stop.set()
    for t in threads:
        t.join(timeout=10)
    assert back["pid"] != victim
    assert not wrong, f"{len(wrong)} answers differ from the same request answered alone"
    assert ok[0] > before_restart, "answers continue after the restart"
    assert failed[0] <= max(2, ok[0] // 50), f"{failed[0]} failures against {ok[0]} answers"


def test_overload_answers_resource_exhausted_at_once() -> None:
    triage = build_triage(DEFAULT_RULES_DIR)
    engine: Engine = engine_of(triage)
    server, port, _, _ = create_server("127.0.0.1:0", triage, threads=8, max_in_flight=2)
    server.start()
    request = pb.AssessRequest(channel=pb.CHANNEL_BOOKING, requested_treatments=[pb.TreatmentRequest(code="facial")])
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel, ThreadPoolExecutor(6) as pool:
            stub = triage_pb2_grpc.TriageServiceStub(channel)
            grpc.channel_ready_future(channel).result(timeout=10)

            def call() -> tuple[str, float]:
                start = time.monotonic()
                try:
                    stub.Assess(request, timeout=10)
                    return "OK", time.monotonic() - start
                except grpc.RpcError as error:
                    return error.code().name, time.monotonic() - start

            with engine.lock:  # the engine is busy: calls pile up
                futures = [pool.submit(call) for _ in range(6)]
                time.sleep(1.0)
                early = [f.result() for f in futures if f.done()]
            results = [f.result() for f in futures]
        shed = [r for r in early if r[0] == "RESOURCE_EXHAUSTED"]
        assert len(shed) >= 3, f"expected calls past the limit to be refused at once: {early}"
        assert all(elapsed < 1.0 for _, elapsed in shed)
        assert sum(1 for status, _ in results if status == "OK") >= 1
    finally:
        server.stop(None)


def test_a_request_waits_for_the_engine_no_longer_than_its_deadline() -> None:
    triage = build_triage(DEFAULT_RULES_DIR)
    engine: Engine = engine_of(triage)
    server, port, _, _ = create_server("127.0.0.1:0", triage)
    server.start()
    request = pb.AssessRequest(channel=pb.CHANNEL_BOOKING, requested_treatments=[pb.TreatmentRequest(code="facial")])
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = triage_pb2_grpc.TriageServiceStub(channel)
            grpc.channel_ready_future(channel).result(timeout=10)
            with engine.lock:
                start = time.monotonic()
                with pytest.raises(grpc.RpcError) as info:
                    stub.Assess(request, timeout=0.3)
                elapsed = time.monotonic() - start
            assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
            assert elapsed < 1.5
            assert stub.Assess(request, timeout=5).route == pb.ROUTE_MED_SPA
    finally:
        server.stop(None)


def test_the_supervisor_loads_neither_grpc_nor_durable() -> None:
    """Workers are forked before any gRPC or engine object exists: the parent never loads them."""
    code = (
        "import sys; import service.runtime.supervisor, service.config, service.adapters.rules_files; "
        "print([m for m in ('grpc', 'durable', 'service.transport.server', 'service.adapters.engine') "
        "if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
