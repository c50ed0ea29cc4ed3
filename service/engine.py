"""The durable-rules adapter: the only module that imports durable.

Compiles the rulebook into one durable-rules ruleset at start-up and evaluates each intake
in a session of its own. durable-rules is not thread-safe (its C extension keeps global
state and never releases the GIL), so every call into it holds one lock per process;
capacity comes from worker processes, each with its own Engine created after the fork.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

from durable import engine as durable

from .core.errors import DeadlineExceeded
from .core.model import Firing
from .core.rulebook import PLACEHOLDER, AllOf, Condition, Rule, Rulebook, Test

_OPS = {"ne": "$neq", "lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}


def compile_condition(cond: Condition) -> dict[str, Any]:
    """One condition tree as a durable-rules JSON expression on a single fact."""
    if isinstance(cond, Test):
        if cond.op == "eq":
            return {cond.field: cond.value}
        if cond.op == "exists":
            return {"$ex": {cond.field: 1}}
        if cond.op == "absent":
            return {"$nex": {cond.field: 1}}
        return {_OPS[cond.op]: {cond.field: cond.value}}
    op = "$and" if isinstance(cond, AllOf) else "$or"
    return {op: [compile_condition(c) for c in cond.parts]}


def compile_rule(rule: Rule) -> dict[str, Any]:
    """``when`` becomes a join of distinct facts named f0, f1, ...; the action is the rule id."""
    patterns = [
        {f"f{i}": {"$and": [{"type": p.fact}, compile_condition(p.condition)]}} for i, p in enumerate(rule.when)
    ]
    return {"all": patterns, "run": rule.id}


class RuleFailure(RuntimeError):
    """A rule action failed; durable-rules would have swallowed it into the session state."""


class _Host(durable.Host):
    """A Host whose actions are bound from Python and that starts no timer threads.

    The stock Host polls every ruleset from daemon timer threads (``_run``); those calls would
    enter the engine outside our lock, and this service uses no timers or queued actions.
    """

    def __init__(self, definitions: dict[str, Any], make_action: Callable[[str], Callable[[Any], None]]):
        self._make_action = make_action
        super().__init__(definitions)

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        return self._make_action(action_name)

    def _run(self) -> None:  # no timer threads: see the class docstring
        pass


class Engine:
    """One compiled ruleset; ``evaluate`` is safe to call from any thread."""

    def __init__(self, rulebook: Rulebook, name: str):
        self.name = name
        self._lock = threading.Lock()
        self._arity = {r.id: len(r.when) for r in rulebook.rules.values()}
        self._placeholders = {r.id: tuple(PLACEHOLDER.findall(r.summary)) for r in rulebook.rules.values()}
        self._firings: list[Firing] = []
        self._fault: BaseException | None = None
        self._sids = itertools.count(1)
        # Host(definitions) deletes the "run" keys from the dicts it is given: they are fresh here.
        definitions = {name: {r.id: compile_rule(r) for r in rulebook.rules.values()}}
        self._host = _Host(definitions, self._action_for)

    def _action_for(self, rule_id: str) -> Callable[[Any], None]:
        aliases = tuple(f"f{i}" for i in range(self._arity[rule_id]))

        def action(c: Any) -> None:
            try:
                self._record(rule_id, aliases, c)
            except BaseException as exc:
                self._fault = exc

        return action

    def _record(self, rule_id: str, aliases: tuple[str, ...], c: Any) -> None:
        matched = [c._m[a] for a in aliases]  # the facts this firing joined, in `when` order
        values = tuple(
            (name, next(fact[name] for fact in matched if name in fact)) for name in self._placeholders[rule_id]
        )
        self._firings.append(Firing(rule_id, tuple(fact["ref"] for fact in matched), values))

    def evaluate(self, facts: list[dict[str, Any]], timeout: float | None = None) -> list[Firing]:
        """Every rule firing for these facts, in one session deleted before returning.

        ``timeout`` bounds the wait for the engine lock (DeadlineExceeded past it).
        """
        # No deadline arrives as None or as a huge number (gRPC), which Lock.acquire rejects.
        wait = -1 if timeout is None or timeout >= threading.TIMEOUT_MAX else max(timeout, 0.0)
        if not self._lock.acquire(timeout=wait):
            raise DeadlineExceeded("the rule engine was busy past the request's deadline")
        try:
            sid = str(next(self._sids))
            self._firings, self._fault = [], None
            try:
                for fact in facts:
                    fact["sid"] = sid
                    try:
                        # One fact a call: a fact that matches no rule raises, and in a batch
                        # it would also drop the actions of the facts before it.
                        self._host.assert_fact(self.name, fact)
                    except durable.MessageNotHandledException:
                        pass  # no rule about this fact: an outcome, not a failure
            finally:
                self._host.delete_state(self.name, sid)  # at most 1,024 live sessions a ruleset
            if self._fault is not None:
                raise RuleFailure("a rule action failed") from self._fault
            return self._firings
        finally:
            self._firings = []
            self._lock.release()
