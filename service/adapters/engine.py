"""The durable-rules adapter: the only module that imports durable.

Compiles the rulebook into one durable-rules ruleset at start-up and evaluates each intake
in a session of its own. durable-rules is not thread-safe (its C extension keeps global
state and never releases the GIL), so every call into it holds one lock per process;
capacity comes from worker processes, each with its own Engine created after the fork.

Durable's Python host registers the ruleset; evaluation then drives the C engine's action
queue itself. The host's action loop costs half of an evaluation (a Closure, lease
timestamps and a JSON dump of the whole session state for every fired rule) to support
actions that change the state, which ours never do: an action here only records the match.
``tests/support/reference_engine.py`` keeps durable's own loop as the reference the adapter is
checked against; ``bench/engine_direct.py`` times both.
"""

from __future__ import annotations

import itertools
import json
import threading
from typing import Any

from durable import engine as durable

from ..domain.errors import DeadlineExceeded
from ..domain.model import Firing
from ..domain.rulebook import PLACEHOLDER, AllOf, Condition, Rule, Rulebook, Test

_OPS = {"ne": "$neq", "lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}
_C = durable.durable_rules_engine
_NOT_HANDLED = 1  # result code of a batch in which some fact matched no rule: an outcome, not a failure
_SESSION = "_session"  # the adapter's own rule and fact type, in every session (rule ids have dots)


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
    """Recording a rule's firing failed; the evaluation has no answer."""


def _never_called(_c: Any) -> None:
    raise AssertionError("durable's action loop is not used: Engine.evaluate drives the queue")


class _Host(durable.Host):
    """Registers the ruleset and starts no timer threads.

    The stock Host polls every ruleset from daemon timer threads (``_run``); those calls would
    enter the engine outside our lock, and this service uses no timers or queued actions.
    """

    def get_action(self, action_name: str) -> Any:
        return _never_called

    def _run(self) -> None:  # no timer threads: see the class docstring
        pass


class Engine:
    """One compiled ruleset; ``evaluate`` is safe to call from any thread."""

    def __init__(self, rulebook: Rulebook, name: str):
        self.name = name
        # Held for every evaluation; whoever holds it makes the engine busy (tests and benchmarks).
        self.lock = threading.Lock()
        self._aliases = {r.id: tuple(f"f{i}" for i in range(len(r.when))) for r in rulebook.rules.values()}
        self._placeholders = {r.id: tuple(PLACEHOLDER.findall(r.summary)) for r in rulebook.rules.values()}
        self._sids = itertools.count(1)
        # Host(definitions) deletes the "run" keys from the dicts it is given: they are fresh here.
        rules = {r.id: compile_rule(r) for r in rulebook.rules.values()}
        rules[_SESSION] = {"all": [{"f0": {"type": _SESSION}}], "run": _SESSION}
        host = _Host({name: rules})
        self._handle = host.get_ruleset(name)._handle

    def _record(self, rule_id: str, matched: dict[str, Any]) -> Firing:
        joined = [matched[a] for a in self._aliases[rule_id]]  # the facts this firing joined, in `when` order
        values = tuple(
            (name, next(fact[name] for fact in joined if name in fact)) for name in self._placeholders[rule_id]
        )
        return Firing(rule_id, tuple(fact["ref"] for fact in joined), values)

    def evaluate(self, facts: list[dict[str, Any]], timeout: float | None = None) -> list[Firing]:
        """Every rule firing for these facts, in one session deleted before returning.

        ``timeout`` bounds the wait for the engine lock (DeadlineExceeded past it).
        """
        # No deadline arrives as None or as a huge number (gRPC), which Lock.acquire rejects.
        wait = -1 if timeout is None or timeout >= threading.TIMEOUT_MAX else max(timeout, 0.0)
        if not self.lock.acquire(timeout=wait):
            raise DeadlineExceeded("the rule engine was busy past the request's deadline")
        try:
            return self._evaluate_locked(facts)
        finally:
            self.lock.release()

    def _evaluate_locked(self, facts: list[dict[str, Any]]) -> list[Firing]:
        if not facts:  # durable crashes deleting a session that never had a fact
            return []
        handle, sid = self._handle, str(next(self._sids))
        for fact in facts:
            fact["sid"] = sid
        # durable aborts the process when it deletes a session in which no fact matched a rule;
        # this fact matches the adapter's own rule, so that never depends on the rules' coverage.
        facts = [*facts, {"type": _SESSION, "ref": _SESSION, "sid": sid}]
        firings: list[Firing] = []
        # durable fires a rule once for each alternative of an `any` that holds; one firing is
        # reported per rule and joined facts.
        seen: set[tuple[str, tuple[str, ...]]] = set()
        state = None
        try:
            # Facts (not events) fire every rule they match, whatever the order they arrive in;
            # a batch in which some fact matches nothing still queues the others' actions.
            code, state = _C.assert_facts(handle, json.dumps(facts, ensure_ascii=False))
            started = _C.start_action_for_state(handle, state)
            message = started[1] if started else None
            while message:
                try:
                    ((rule_id, matched),) = json.loads(message).items()
                    if rule_id != _SESSION:
                        firing = self._record(rule_id, matched)
                        if (firing.rule_id, firing.refs) not in seen:
                            seen.add((firing.rule_id, firing.refs))
                            firings.append(firing)
                except Exception as exc:
                    _C.abandon_action(handle, state)
                    raise RuleFailure("recording a rule firing failed") from exc
                message = _C.complete_and_start_action(handle, state)
            # Checked once the queue is empty: durable aborts the process when a session is
            # deleted with actions still queued. 2 is "already observed": a fact sent twice.
            if code not in (0, _NOT_HANDLED):
                raise RuleFailure(f"durable-rules answered {code}")
        except BaseException:
            if state is not None:
                _drain(handle, state)
            raise
        finally:
            _C.delete_state(handle, sid)  # at most 1,024 live sessions a ruleset
        return firings


def _drain(handle: int, state: int) -> None:
    """Empties a session's action queue after a failure, so deleting the session is safe."""
    try:
        started = _C.start_action_for_state(handle, state)
        while started and _C.complete_and_start_action(handle, state):
            pass
    except Exception:
        pass  # nothing queued, or an action already started and abandoned
