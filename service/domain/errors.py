"""One error hierarchy; the transport maps each class to a status by one table (transport/status.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


class TriageError(Exception):
    """Base of every error the domain raises on purpose."""


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One bad field of a request: its path (``concerns[2].code``) and why, without its value."""

    field: str
    description: str


class InvalidIntake(TriageError):
    """The request is malformed; nothing was evaluated."""

    def __init__(self, violations: list[FieldViolation]):
        self.violations = violations
        super().__init__("; ".join(f"{v.field}: {v.description}" for v in violations))


class EngineFault(TriageError):
    """The rule engine failed during an evaluation; no partial answer is given."""

    def __init__(self, decision_id: str, detail: str = "rule engine fault"):
        self.decision_id = decision_id
        super().__init__(f"{detail} (decision {decision_id})")


class DeadlineExceeded(TriageError):
    """The request's deadline passed before the engine was free."""


class RulesError(TriageError):
    """A problem in a rules or catalog file: ``file:line: rule ID: message``. Start-up stops."""

    def __init__(self, file: str, message: str, rule_id: str | None = None, line: int | None = None):
        self.file = file
        self.message = message
        self.rule_id = rule_id
        self.line = line
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: rule {rule_id}: {message}" if rule_id else f"{where}: {message}")

    @property
    def problems(self) -> tuple[RulesError, ...]:
        return (self,)


class RulesInvalid(RulesError):
    """Every problem one pass over a rules folder found, in file order, one a line."""

    def __init__(self, problems: list[RulesError]):
        first = problems[0]
        super().__init__(first.file, first.message, first.rule_id, first.line)
        self._problems = tuple(problems)
        self.args = ("\n".join(str(p) for p in problems),)

    def __str__(self) -> str:
        return str(self.args[0])

    @property
    def problems(self) -> tuple[RulesError, ...]:
        return self._problems


def line_of(node: Any, key: Any = None) -> int | None:
    """The line a parsed YAML mapping or list started on, or the line of one of its keys, where
    the loader recorded it."""
    if key is not None:
        key_line = (getattr(node, "key_lines", None) or {}).get(key)
        if isinstance(key_line, int):
            return key_line
    line = getattr(node, "line", None)
    return line if isinstance(line, int) else None


def line_at(root: Any, path: str) -> int | None:
    """The line of the deepest key or item a dotted path (``windows.pair_gap``,
    ``combinations[3].all[1]``) reaches in parsed YAML, or None."""
    node, line = root, None
    for part in (p for p in re.split(r"[.\[\]]+", path) if p):
        if isinstance(node, dict) and part in node:
            line = line_of(node, part) or line
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
            line = line_of(node) or line
        else:
            break
    return line


class Problems:
    """Collects rules problems, so that one pass reports them all (as OPA's parser does).

    Parse each entry (a concept, a rule, a section) inside ``entry()``: its first problem is
    kept and the pass goes on with the next entry. ``check()`` raises them all at the end.
    """

    def __init__(self) -> None:
        self.errors: list[RulesError] = []

    def add(self, file: str, message: str, rule_id: str | None = None, node: Any = None) -> None:
        self.errors.append(RulesError(file, message, rule_id, line_of(node)))

    @contextmanager
    def entry(self, node: Any = None, file: str = "", rule_id: str | None = None) -> Iterator[None]:
        """Keeps the problems an entry raises; one without a line gets the entry's line.

        A value of a shape no check foresaw (a list where a code goes, a mapping where a number
        goes) can make parsing raise TypeError and the like: that is a problem of this entry
        too, named by ``file`` and ``rule_id``, never a traceback.
        """
        try:
            yield
        except RulesError as error:
            for problem in error.problems:
                if problem.line is None and line_of(node) is not None:
                    problem = RulesError(problem.file, problem.message, problem.rule_id, line_of(node))
                self.errors.append(problem)
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as error:
            message = f"a value here has the wrong shape ({type(error).__name__}); see docs/rules.md"
            self.errors.append(RulesError(file or "rules", message, rule_id, line_of(node)))

    def check(self) -> None:
        if self.errors:
            raise RulesInvalid(self.errors)
