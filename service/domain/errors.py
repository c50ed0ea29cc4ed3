"""One error hierarchy with stable codes; the transport maps each code to a gRPC status."""

from __future__ import annotations

from dataclasses import dataclass


class TriageError(Exception):
    """Base of every error the core raises on purpose."""

    code = "internal"


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One bad field of a request: its path (``concerns[2].code``) and why, without its value."""

    field: str
    description: str


class InvalidIntake(TriageError):
    """The request is malformed; nothing was evaluated."""

    code = "invalid_argument"

    def __init__(self, violations: list[FieldViolation]):
        self.violations = violations
        super().__init__("; ".join(f"{v.field}: {v.description}" for v in violations))


class EngineFault(TriageError):
    """The rule engine failed during an evaluation; no partial answer is given."""

    code = "internal"

    def __init__(self, decision_id: str, detail: str = "rule engine fault"):
        self.decision_id = decision_id
        super().__init__(f"{detail} (decision {decision_id})")


class Overloaded(TriageError):
    """The engine could not be had in time."""

    code = "resource_exhausted"


class DeadlineExceeded(TriageError):
    """The request's deadline passed before the engine was free."""

    code = "deadline_exceeded"


class RulesError(TriageError):
    """A rules or catalog file is invalid; start-up stops with the file and rule id named."""

    code = "rules_invalid"

    def __init__(self, file: str, message: str, rule_id: str | None = None):
        self.file = file
        self.rule_id = rule_id
        where = f"{file}: rule {rule_id}" if rule_id else file
        super().__init__(f"{where}: {message}")
