"""The use case: validate an intake, turn it into facts, let the rules fire, resolve the answer."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .catalog import Catalog
from .errors import DeadlineExceeded, EngineFault, InvalidIntake
from .facts import build_facts
from .mentions import TextFinding
from .model import Decision, Firing, Intake
from .resolver import ordering, resolve
from .rulebook import Rulebook
from .text import TextReader, TextRules, merge_text
from .validate import check_intake

# Evaluates facts with the compiled rules; ``timeout`` is how long it may wait for the engine.
Evaluator = Callable[[list[dict[str, Any]], "float | None"], Sequence[Firing]]


@dataclass(frozen=True)
class Ruleset:
    """A loaded ``rules/`` directory: its version, catalog, rules and text-reading rules."""

    version: str
    catalog: Catalog
    rulebook: Rulebook
    text_rules: TextRules | None = None


class Triage:
    """Answers intakes with one ruleset and one evaluator (one engine per process)."""

    def __init__(
        self,
        ruleset: Ruleset,
        evaluate: Evaluator,
        reader: TextReader | None = None,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ):
        self.ruleset = ruleset
        self.evaluate = evaluate
        self.reader = reader
        self._new_id = new_id
        self._order = ordering(ruleset.rulebook, ruleset.catalog)

    def assess(self, intake: Intake, timeout: float | None = None) -> Decision:
        """The decision, or InvalidIntake / DeadlineExceeded / EngineFault; never a partial answer."""
        rs = self.ruleset
        violations = check_intake(intake, rs.catalog)
        if violations:
            raise InvalidIntake(violations)
        decision_id = self._new_id()
        read: tuple[TextFinding, ...] = ()
        if self.reader is not None and (intake.free_text or any(c.text for c in intake.concerns)):
            intake, read = merge_text(intake, self.reader, rs.catalog)
        facts = build_facts(intake, rs.catalog)
        try:
            firings = self.evaluate(facts, timeout)
            decision = resolve(intake, firings, rs.rulebook, rs.catalog, decision_id, rs.version, self._order)
            return replace(decision, text_findings=read) if read else decision
        except DeadlineExceeded:
            raise
        except Exception as exc:  # any other failure is an engine fault: no partial answer
            raise EngineFault(decision_id) from exc
