"""The case tables, run against the core and through a real server with a real stub."""

from __future__ import annotations

import pytest

from tests.support.casebook import Case, check, load_cases

CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_against_core(case: Case, assess_core) -> None:  # type: ignore[no-untyped-def]
    check(case, assess_core(case.request_message()))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_through_server(case: Case, stub) -> None:  # type: ignore[no-untyped-def]
    check(case, stub.Assess(case.request_message(), timeout=10))


def test_every_rule_is_fired_by_a_case(assess_core, triage) -> None:  # type: ignore[no-untyped-def]
    fired = {r.rule_id for case in CASES for r in assess_core(case.request_message()).reasons}
    never = sorted(set(triage.ruleset.rulebook.rules) - fired)
    assert not never, f"rules fired by no case: {never}"


def test_every_rule_is_named_by_a_case_that_expects_it(triage) -> None:  # type: ignore[no-untyped-def]
    """Firing by accident is not enough: some case must say it expects each rule."""
    expected = {rule for case in CASES for rule in case.expect["rules"]}
    never = sorted(set(triage.ruleset.rulebook.rules) - expected)
    assert not never, f"rules no case expects: {never}"


def test_every_pregnancy_deferred_treatment_has_a_clinician_to_check_on_the_day(triage) -> None:  # type: ignore[no-untyped-def]
    """An unknown pregnancy is left to the clinician's check only for treatments a clinician
    gives (patient.pregnancy.confirm_at_exam); one that any spa could give would fall between
    that rule and patient.pregnancy.unknown, so none may be in the set."""
    ruleset = triage.ruleset
    codes = ruleset.rulebook.sets["pregnancy_deferred"].codes
    given_by = {code: ruleset.catalog.get("treatment", code).med_spa.name for code in codes}
    assert {code for code, who in given_by.items() if who not in ("SUPERVISED", "NEVER")} == set()
