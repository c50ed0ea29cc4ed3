"""The engine adapter's own action loop against durable-rules' stock Host loop.

``service.adapters.engine.Engine`` drives the C engine's action queue itself;
``tests.support.reference_engine.HostLoopEngine`` evaluates the same rulebook through durable's
``Host`` with Python actions. ``tests/domain/test_properties.py`` checks both give the same
firings on generated intakes; this script times both on the reference intakes:

    python -m bench.engine_direct
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from bench.intakes import REFERENCE
from bench.timing import sample
from service.adapters.engine import Engine
from service.app import build_triage, engine_of
from service.config import DEFAULT_RULES_DIR
from service.domain.facts import build_facts
from service.transport import codec
from tests.support.reference_engine import HostLoopEngine


def main() -> int:
    triage = build_triage(DEFAULT_RULES_DIR)
    engine: Engine = engine_of(triage)
    stock = HostLoopEngine(triage.ruleset.rulebook)
    catalog = triage.ruleset.catalog
    print("microseconds, median of 2,000 evaluations")
    print(f"{'intake':<34}{'durable Host loop':>18}{'adapter loop':>14}{'ratio':>7}  same firings")
    for name, request in REFERENCE.items():
        intake = codec.decode_intake(request)

        def median(run: Any, intake: Any = intake) -> float:
            return sample(run, n=2000, setup=lambda: build_facts(intake, catalog))[0]

        same = Counter(engine.evaluate(build_facts(intake, catalog))) == Counter(
            stock.evaluate(build_facts(intake, catalog))
        )
        host = median(stock.evaluate)
        direct = median(engine.evaluate)
        print(f"{name:<34}{host:>18.0f}{direct:>14.0f}{direct / host:>7.2f}  {'yes' if same else 'NO'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
