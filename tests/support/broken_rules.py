"""Broken copies of rules/ for the tables of start-up errors (tests/data/*rules_errors.yaml).

A case's ``change`` edits a copy: ``{write: {path: text}}`` adds or overwrites a file,
``{replace: [path, old, new]}`` (or ``replace_all``, a list of them) edits one in place.

An expected problem names its line either as a number or as ``<<text>>``: the number of the
first line of the broken file that contains ``text`` (``rules/decision/venue.yaml:<<- id:
venue.lacks_supervision>>: ...``). The loader finds lines from YAML marks, the table by plain
search, so the two agree only when the loader names the right line, and the tables survive
lines added above the rule they break.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from service.config import DEFAULT_RULES_DIR

_MARKER = re.compile(r"\brules/([\w/.\-]+\.yaml):<<(.+?)>>:")


def broken_copy(tmp_path: Path, change: dict[str, Any]) -> Path:
    """A copy of the shipped rules/ under ``tmp_path`` with ``change`` applied."""
    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES_DIR, rules)
    for rel, text in change.get("write", {}).items():
        (rules / rel).write_text(text)
    for rel, old, new in change.get("replace_all", [change["replace"]] if "replace" in change else []):
        path = rules / rel
        text = path.read_text()
        assert old in text, f"the case's text to replace is not in {rel}: the case is stale"
        path.write_text(text.replace(old, new, 1))
    return rules


def expected_problems(case: dict[str, Any], rules: Path) -> list[str]:
    """The case's expected problems (``error`` or ``errors``), each ``<<text>>`` replaced by the
    line number where ``text`` first appears in the broken file."""

    def line_of(m: re.Match[str]) -> str:
        rel, needle = m.group(1), m.group(2)
        lines = (rules / rel).read_text().split("\n")
        found = next((n for n, line in enumerate(lines, 1) if needle in line), None)
        assert found is not None, f"the case's line marker <<{needle}>> is not in rules/{rel}: the case is stale"
        return f"rules/{rel}:{found}:"

    return [_MARKER.sub(line_of, e) for e in (case["errors"] if "errors" in case else [case["error"]])]
