"""One way to time a call, for every benchmark here."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def sample(
    run: Callable[..., object], n: int = 3000, warmup: int = 200, setup: Callable[[], Any] | None = None
) -> tuple[float, float]:
    """(median, p99) in microseconds of ``run()``, or of ``run(setup())`` with setup untimed."""
    for _ in range(warmup):
        run(setup()) if setup else run()
    times = []
    for _ in range(n):
        arg = setup() if setup else None
        start = time.perf_counter()
        run(arg) if setup else run()
        times.append((time.perf_counter() - start) * 1e6)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.99) - 1)]
