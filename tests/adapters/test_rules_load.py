"""A broken rules directory stops start-up with the file and rule id named; a good one loads."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.adapters.rules_files import load_ruleset
from service.app import build_triage
from service.config import DEFAULT_RULES_DIR, EXIT_RULES
from service.domain.errors import RulesError
from tests.support.broken_rules import broken_copy, expected_problems
from tests.support.paths import DATA, ROOT

TABLE = yaml.safe_load((DATA / "rules_errors.yaml").read_text())["cases"]


@pytest.mark.parametrize("case", TABLE, ids=[c["name"] for c in TABLE])
def test_broken_rules_stop_start_up_naming_file_and_rule(case: dict[str, Any], tmp_path: Path) -> None:
    rules = broken_copy(tmp_path, case["change"])
    with pytest.raises(RulesError) as info:
        build_triage(rules)
    expected = expected_problems(case, rules)
    assert [str(p) for p in info.value.problems] == expected
    assert str(info.value) == "\n".join(expected)


def test_several_problems_in_one_file_are_all_reported_with_their_lines(tmp_path: Path) -> None:
    rules = broken_copy(
        tmp_path,
        {
            "write": {
                "decision/extra.yaml": (
                    "rules:\n"
                    "  - id: extra.one\n    summary: x.\n    source: y\n    when: [{concern: {code: nope}}]\n"
                    "    then: {route: DERMATOLOGIST}\n"
                    "  - id: extra.two\n    summary: x.\n    source: y\n    when: [{concern: {code: acne}}]\n"
                    "    then: {route: SPA}\n"
                    "  - id: extra.three\n    summary: x.\n    source: y\n    when: [{concern: {code: acne}}]\n"
                    "    then: {route: DERMATOLOGIST}\n    colour: red\n"
                )
            }
        },
    )
    with pytest.raises(RulesError) as info:
        load_ruleset(rules)
    assert [str(p) for p in info.value.problems] == [
        "rules/decision/extra.yaml:2: rule extra.one: concern.code: unknown concern code 'nope'",
        "rules/decision/extra.yaml:7: rule extra.two: then.route: must be one of MED_SPA, EITHER, DERMATOLOGIST",
        "rules/decision/extra.yaml:12: rule extra.three: unknown key(s) ['colour']",
    ]


def test_rules_check_command_reports_the_error_and_fails(tmp_path: Path) -> None:
    rules = broken_copy(tmp_path, TABLE[1]["change"])
    result = subprocess.run(
        [sys.executable, "-m", "service", "rules", "check", "--rules-dir", str(rules)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == EXIT_RULES
    assert expected_problems(TABLE[1], rules)[0] in result.stderr


def test_rules_check_command_accepts_the_shipped_rules() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "service", "rules", "check"], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("rules OK: version 1.0.0+")


def test_version_is_semver_plus_content_hash(tmp_path: Path) -> None:
    shipped = load_ruleset(DEFAULT_RULES_DIR).version
    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES_DIR, rules)
    assert load_ruleset(rules).version == shipped, "same content, same version"
    with (rules / "decision" / "venue.yaml").open("a") as f:
        f.write("\n# a comment changes the content\n")
    changed = load_ruleset(rules).version
    assert changed != shipped and changed.split("+")[0] == shipped.split("+")[0]
