"""The engine adapter's own action loop against durable-rules' stock Host loop.

``service.engine.Engine`` drives the C engine's action queue itself (issue 5). This keeps
durable's own loop beside it as the reference: ``HostLoopEngine`` evaluates the same rulebook
through ``durable.engine.Host`` with Python actions, the way the adapter used to.
``tests/test_properties.py`` checks both give the same firings on generated intakes; this
script times both on the reference intakes:

    python -m bench.engine_direct
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from typing import Any

from durable import engine as durable

from bench.intakes import REFERENCE
from bench.timing import sample
from service import codec
from service.core.facts import build_facts
from service.core.model import Firing
from service.core.rulebook import PLACEHOLDER, Rulebook
from service.engine import Engine, compile_rule
from service.rules_loader import DEFAULT_RULES_DIR
from service.server import build_triage, engine_of

_names = itertools.count(1)


class HostLoopEngine:
    """durable-rules' stock Host and action loop, with actions that record each firing."""

    def __init__(self, rulebook: Rulebook):
        self.name = f"host_loop_{next(_names)}"
        self._rules = rulebook.rules
        self._firings: list[Firing] = []
        self._sids = itertools.count(1)
        outer = self

        class Host(durable.Host):
            def get_action(self, rule_id: str) -> Callable[[Any], None]:
                return lambda c: outer._record(rule_id, c)

            def _run(self) -> None:  # no timer threads
                pass

        self._host = Host({self.name: {r.id: compile_rule(r) for r in rulebook.rules.values()}})

    def _record(self, rule_id: str, c: Any) -> None:
        rule = self._rules[rule_id]
        joined = [c._m[f"f{i}"] for i in range(len(rule.when))]
        names = PLACEHOLDER.findall(rule.summary)
        values = tuple((n, next(f[n] for f in joined if n in f)) for n in names)
        self._firings.append(Firing(rule_id, tuple(f["ref"] for f in joined), values))

    def evaluate(self, facts: list[dict[str, Any]]) -> list[Firing]:
        sid = str(next(self._sids))
        self._firings = []
        try:
            for fact in facts:
                fact["sid"] = sid
                try:
                    self._host.assert_fact(self.name, fact)
                except durable.MessageNotHandledException:
                    pass
        finally:
            self._host.delete_state(self.name, sid)
        return self._firings


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
