"""Case tables: load ``tests/cases/*.yaml`` and check an AssessResponse against a case.

A case is data: a note, a request (the AssessRequest in proto JSON form) and what the
answer must be. The loader rejects a case that expects nothing, so no case can pass vacuously.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import json_format

from service.gen.dermtriage.v1 import triage_pb2 as pb

from .paths import ROOT

CASES_DIR = ROOT / "tests" / "cases"
REQUIRED = ("route", "urgency", "rules")
KNOWN = {*REQUIRED, "flags", "questions", "not_rules", "concerns", "treatments"}


@dataclass(frozen=True)
class Case:
    id: str
    note: str
    reference: str  # the section of docs/clinical-basis.md the case tests
    request: dict[str, Any]
    expect: dict[str, Any]

    def request_message(self) -> pb.AssessRequest:
        return json_format.ParseDict(self.request, pb.AssessRequest())


def load_cases(folder: Path = CASES_DIR) -> list[Case]:
    cases: list[Case] = []
    seen: set[str] = set()
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        file_reference = data.get("reference")
        for i, raw in enumerate(data["cases"]):
            where = f"{path.name}[{i}]"
            name = raw.get("name")
            assert name and name not in seen, f"{where}: a unique 'name' is required"
            seen.add(name)
            assert raw.get("note"), f"{where}: a 'note' says what the case shows"
            reference = raw.get("reference") or file_reference
            assert reference and "§" in reference, (
                f"{where}: name the clinical basis section (docs/clinical-basis.md) (reference: '§1.1')"
            )
            expect = raw.get("expect") or {}
            missing = [k for k in REQUIRED if not expect.get(k)]
            assert not missing, f"{where}: expects nothing about {missing}"
            unknown = set(expect) - KNOWN
            assert not unknown, f"{where}: unknown expectation(s) {sorted(unknown)}"
            cases.append(Case(f"{path.stem}:{name}", raw["note"], reference, raw["request"], expect))
    return cases


def check(case: Case, response: pb.AssessResponse) -> None:
    """Assert the response meets every expectation of the case, naming the one that does not."""
    got = json_format.MessageToDict(
        response, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    e = case.expect
    fired = {r["rule_id"] for r in got["reasons"]}
    ctx = f"{case.id} ({case.note}; {case.reference}); fired {sorted(fired)}"
    assert got["route"] == f"ROUTE_{e['route']}", f"route {got['route']}: {ctx}"
    assert got["urgency"] == f"URGENCY_{e['urgency']}", f"urgency {got['urgency']}: {ctx}"
    assert sorted(got["flags"]) == sorted(e.get("flags", [])), f"flags {got['flags']}: {ctx}"
    assert sorted(q["id"] for q in got["questions"]) == sorted(e.get("questions", [])), f"questions: {ctx}"
    missing = set(e["rules"]) - fired
    assert not missing, f"rules {sorted(missing)} did not fire: {ctx}"
    unwanted = set(e.get("not_rules", [])) & fired
    assert not unwanted, f"rules {sorted(unwanted)} should not fire: {ctx}"
    for key in ("concerns", "treatments"):
        for i, want in enumerate(e.get(key, [])):
            have = got[key][i]
            for field, value in want.items():
                expected = _wire(field, value)
                actual = have[field]
                if field == "rule_ids":
                    assert set(value) <= set(actual), f"{key}[{i}].rule_ids {actual}: {ctx}"
                else:
                    assert actual == expected, f"{key}[{i}].{field} is {actual}, want {expected}: {ctx}"
    assert got["ruleset_version"] and got["decision_id"], ctx
    assert len(got["concerns"]) == len(case.request.get("concerns", [])), ctx
    assert len(got["treatments"]) == len(case.request.get("requested_treatments", [])), ctx


_PREFIX = {
    "route": "ROUTE_",
    "urgency": "URGENCY_",
    "category": "CONCERN_CATEGORY_",
    "invasiveness": "INVASIVENESS_",
    "required_practitioner": "PRACTITIONER_",
}


def _wire(field: str, value: Any) -> Any:
    prefix = _PREFIX.get(field)
    return f"{prefix}{value}" if prefix and isinstance(value, str) else value
