"""The service with the assessment taken out, for bench/load.py's baseline.

Everything of an Assess call but the assessment: the same gRPC server, servicer, request
decoding, access log and response encoding, answering the mixed reference intake's decision
computed once at start. What Assess costs beyond this is the assessment itself.

    python -m bench.canned_server   # prints the service's "serving" event with its port
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading

from bench.intakes import REFERENCE
from service.app import build_triage
from service.config import DEFAULT_RULES_DIR
from service.domain.model import Decision, Intake
from service.domain.triage import Triage
from service.logs import setup as setup_logging
from service.runtime.serve import limit_malloc_arenas
from service.transport import codec
from service.transport.server import create_server, set_serving


class CannedTriage(Triage):
    def __init__(self, real: Triage, answer: Decision):
        super().__init__(real.ruleset, real.evaluate, real.reader)
        self._answer = answer

    def assess(self, intake: Intake, timeout: float | None = None) -> Decision:
        return self._answer


def main() -> int:
    setup_logging("INFO")  # the service's own access log path
    limit_malloc_arenas()
    real = build_triage(DEFAULT_RULES_DIR)
    answer = real.assess(codec.decode_intake(REFERENCE["mixed: 3 concerns, 3 treatments"]))
    server, port, health, _ = create_server("127.0.0.1:0", CannedTriage(real, answer), threads=4, max_in_flight=512)
    server.start()
    set_serving(health, True)
    print(json.dumps({"event": "serving", "port": port, "pid": os.getpid()}), file=sys.stderr, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    server.stop(1).wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
