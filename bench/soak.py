"""Resident memory of each worker after 10,000 and after 200,000 requests (target: growth
under 5%), with a closed-loop load of mixed requests, some of them free text.

    python -m bench.soak [TOTAL]      # TOTAL defaults to 200000 (a few minutes on 2 cores)
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import time

from bench.load import server

CHECKPOINT = 10_000


def _client(port: int, count: int, out: mp.Queue) -> None:  # type: ignore[type-arg]
    import grpc

    from bench.intakes import REFERENCE
    from service.gen.dermtriage.v1 import triage_pb2 as pb
    from service.gen.dermtriage.v1 import triage_pb2_grpc

    requests = [
        *REFERENCE.values(),
        pb.AssessRequest(
            channel=pb.CHANNEL_TELEHEALTH_INTAKE, free_text="my moel got bigger and itches, no fever, I'm on eliquis"
        ),
    ]
    failures = 0
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = triage_pb2_grpc.TriageServiceStub(channel)
        for k in range(count):
            try:
                stub.Assess(requests[k % len(requests)], timeout=10)
            except grpc.RpcError:
                failures += 1
    out.put(failures)


def drive(port: int, total: int, clients: int = 4) -> int:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_client, args=(port, total // clients, out)) for _ in range(clients)]
    for p in procs:
        p.start()
    failures = sum(out.get(timeout=3600) for _ in procs)
    for p in procs:
        p.join()
    return failures


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def main() -> int:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    with server(2) as (port, pids):
        start = time.monotonic()
        failures = drive(port, CHECKPOINT)
        early = {pid: rss_kib(pid) for pid in pids}
        done, trail = CHECKPOINT, []
        while done < total:  # in steps, to show whether memory levels off or keeps climbing
            step = min(total - done, max(CHECKPOINT, total // 5))
            failures += drive(port, step)
            done += step
            trail.append((done, [rss_kib(pid) for pid in pids]))
        late = {pid: rss_kib(pid) for pid in pids}
        seconds = time.monotonic() - start
    print(f"soak: {total} requests over 2 workers in {seconds:.0f} s, {failures} failed")
    print(f"{'worker pid':<12}{'RSS @10k (KiB)':>16}{f'RSS @{total // 1000}k (KiB)':>18}{'growth':>9}")
    worst = 0.0
    for pid in pids:
        growth = (late[pid] - early[pid]) / early[pid]
        worst = max(worst, growth)
        print(f"{pid:<12}{early[pid]:>16}{late[pid]:>18}{growth:>9.1%}")
    print("trail (requests: RSS KiB per worker): " + "; ".join(f"{n // 1000}k: {rss}" for n, rss in trail))
    print(f"largest growth {worst:.1%} (target < 5%) {'OK' if worst < 0.05 else 'OVER'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
