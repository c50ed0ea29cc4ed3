"""Closed-loop load over gRPC from separate client processes (ghz is not available here).

For 1 and 2 worker processes, in the same run: requests per second and p50/p99 latency of
Assess (the mixed reference intake) and of the health Check on the same server, their
ratio (target: Assess at least half of Check), and 2 workers against 1 (target: 1.4 times).
Clients share the machine's cores with the server, as they would in a sidecar setup.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.processes import serve_argv

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("BENCH_SECONDS", "6"))
CLIENT_PROCESSES = 2
THREADS_PER_CLIENT = int(os.environ.get("BENCH_CLIENT_THREADS", "4"))


def _client(port: int, method: str, seconds: float, threads: int, out: mp.Queue) -> None:  # type: ignore[type-arg]
    import threading

    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from bench.intakes import REFERENCE
    from service.gen.dermtriage.v1 import triage_pb2_grpc

    request = REFERENCE["mixed: 3 concerns, 3 treatments"]
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def loop() -> None:
        # Each thread its own TCP connection: by default gRPC shares one connection between the
        # channels of a process to the same address, which would pin a process to one worker.
        with grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.use_local_subchannel_pool", 1)]) as channel:
            if method == "Assess":
                call = lambda: triage_pb2_grpc.TriageServiceStub(channel).Assess(request, timeout=10)  # noqa: E731
            else:
                check = health_pb2.HealthCheckRequest(service="dermtriage.v1.TriageService")
                call = lambda: health_pb2_grpc.HealthStub(channel).Check(check, timeout=10)  # noqa: E731
            call()  # connect
            mine = []
            while time.monotonic() < stop_at:
                start = time.perf_counter()
                try:
                    call()
                    mine.append(time.perf_counter() - start)
                except grpc.RpcError:
                    errors[0] += 1
            with lock:
                latencies.extend(mine)

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    out.put((latencies, errors[0]))


def phase(port: int, method: str, seconds: float = SECONDS) -> dict[str, float]:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_client, args=(port, method, seconds, THREADS_PER_CLIENT, out))
        for _ in range(CLIENT_PROCESSES)
    ]
    for p in procs:
        p.start()
    latencies: list[float] = []
    errors = 0
    for _ in procs:
        got, failed = out.get(timeout=seconds + 60)
        latencies.extend(got)
        errors += failed
    for p in procs:
        p.join()
    latencies.sort()
    return {
        "rps": len(latencies) / seconds,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "errors": errors,
    }


@contextmanager
def server(workers: int, argv: list[str] | None = None) -> Iterator[tuple[int, list[int]]]:
    """The service with N workers (or the command ``argv``); yields its port and the workers'
    pids. Its log is drained in the background (a full pipe would stall the server)."""
    import queue
    import threading

    proc = subprocess.Popen(
        argv or serve_argv(workers, "--threads", os.environ.get("BENCH_THREADS", "4"), "--max-in-flight", "512"),
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    events: queue.Queue[dict] = queue.Queue()

    def drain() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if '"serving"' in line:
                events.put(json.loads(line))

    threading.Thread(target=drain, daemon=True).start()
    pids: dict[int, int] = {}
    port = 0
    while len(pids) < workers:
        event = events.get(timeout=60)
        port = event["port"]
        pids[event.get("worker", 0)] = event["pid"]
    try:
        yield port, list(pids.values())
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time of the workers so far (/proc/PID/stat)."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def measure(port: int, pids: list[int], methods: tuple[str, ...]) -> dict[str, dict[str, float]]:
    phase(port, "Assess", seconds=1.5)  # warm up
    out = {}
    for method in methods:
        before = cpu_seconds(pids)
        result = phase(port, method)
        result["server_cpu_ms"] = (cpu_seconds(pids) - before) / (result["rps"] * SECONDS) * 1000
        out[method] = result
    return out


def main() -> int:
    results: dict[str, dict[str, dict[str, float]]] = {}
    for workers in (1, 2):
        with server(workers) as (port, pids):
            results[str(workers)] = measure(port, pids, ("Assess", "Check"))
    # The baseline of what gRPC and the servicer cost: the same calls answered without assessing.
    with server(1, [sys.executable, "-m", "bench.canned_server"]) as (port, pids):
        results["1, canned"] = measure(port, pids, ("Assess",))
    clients = f"{CLIENT_PROCESSES} client processes x {THREADS_PER_CLIENT} threads"
    print(f"closed loop over gRPC: {clients}, {SECONDS:.0f} s each")
    print(f"{'workers':<11}{'method':<8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'server CPU ms/call':>20}{'errors':>8}")
    for workers, by_method in results.items():
        for method, r in by_method.items():
            print(
                f"{workers:<11}{method:<8}{r['rps']:>9.0f}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}"
                f"{r['server_cpu_ms']:>20.2f}{r['errors']:>8.0f}"
            )
    print("('1, canned': the same server answering Assess with a decision computed once: gRPC and servicer only)")
    for workers in ("1", "2"):
        ratio = results[workers]["Assess"]["rps"] / results[workers]["Check"]["rps"]
        print(f"{workers} worker(s): Assess / Check = {ratio:.2f} (target >= 0.50) {'OK' if ratio >= 0.5 else 'UNDER'}")
    canned = results["1, canned"]["Assess"]
    print(
        f"1 worker: canned Assess / Check = {canned['rps'] / results['1']['Check']['rps']:.2f}; the assessment adds "
        f"{results['1']['Assess']['server_cpu_ms'] - canned['server_cpu_ms']:.2f} ms of server CPU a call under load"
    )
    scale = results["2"]["Assess"]["rps"] / results["1"]["Assess"]["rps"]
    print(f"Assess, 2 workers / 1 worker = {scale:.2f} (target >= 1.40) {'OK' if scale >= 1.4 else 'UNDER'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
