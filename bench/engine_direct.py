"""Experiment for the next step of issue 5: drive durable-rules' C action queue directly.

durable's Python Host runs each fired rule through a Closure, a JSON dump of the whole session
state (``update_state``) and lease timestamps. Our actions only record the match and never
change the state, so the adapter could call the C engine's queue itself. This script checks,
for each reference intake, that the direct loop gives exactly the same firings, and times both:

    python -m bench.engine_direct
"""

from __future__ import annotations

import json
from typing import Any

from durable import engine as durable

from bench.intakes import REFERENCE
from bench.timing import sample
from service import codec
from service.core.facts import build_facts
from service.core.model import Firing
from service.engine import Engine
from service.rules_loader import DEFAULT_RULES_DIR
from service.server import build_triage, engine_of


def direct_evaluate(engine: Engine, facts: list[dict[str, Any]]) -> list[Firing]:
    c = durable.durable_rules_engine
    handle = engine._host.get_ruleset(engine.name)._handle
    firings = []
    with engine._lock:
        sid = str(next(engine._sids))
        try:
            for fact in facts:
                fact["sid"] = sid
                result = c.assert_fact(handle, json.dumps(fact))
                if result[0] == 1:  # matched no rule
                    continue
                state = result[1]
                started = c.start_action_for_state(handle, state)
                message = json.loads(started[1]) if started else None
                while message:
                    ((rule_id, matched),) = message.items()
                    joined = [matched[f"f{i}"] for i in range(engine._arity[rule_id])]
                    values = tuple((n, next(f[n] for f in joined if n in f)) for n in engine._placeholders[rule_id])
                    firings.append(Firing(rule_id, tuple(f["ref"] for f in joined), values))
                    following = c.complete_and_start_action(handle, state)
                    message = json.loads(following) if following else None
        finally:
            c.delete_state(handle, sid)
    return firings


def main() -> int:
    triage = build_triage(DEFAULT_RULES_DIR)
    engine: Engine = engine_of(triage)
    catalog = triage.ruleset.catalog
    print(f"{'intake':<34}{'Host loop us':>14}{'direct us':>11}  same firings")
    for name, request in REFERENCE.items():
        intake = codec.decode_intake(request)

        def median(run: Any, intake: Any = intake) -> float:
            return sample(run, n=2000, setup=lambda: build_facts(intake, catalog))[0]

        same = set(engine.evaluate(build_facts(intake, catalog))) == set(
            direct_evaluate(engine, build_facts(intake, catalog))
        )
        host = median(engine.evaluate)
        direct = median(lambda f: direct_evaluate(engine, f))
        print(f"{name:<34}{host:>14.0f}{direct:>11.0f}  {'yes' if same else 'NO'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
