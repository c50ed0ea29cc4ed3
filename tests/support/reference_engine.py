"""durable-rules' stock Host and action loop, as the reference the engine adapter is checked
against: ``HostLoopEngine`` evaluates a rulebook through ``durable.engine.Host`` with Python
actions. ``tests/domain/test_properties.py`` checks both give the same firings;
``python -m bench.engine_direct`` times both."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from durable import engine as durable

from service.adapters.engine import compile_rule
from service.domain.model import Firing
from service.domain.rulebook import PLACEHOLDER, Rulebook

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
