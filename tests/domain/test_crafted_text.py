"""An attacker's worst texts: requests within the text bounds (2,000 characters a text, 4,000
together) crafted to make the text reader slow.

Each text is built from a short recipe (tests/support/crafted.py) and read with merge_text; the
test asserts that the reading finishes and reads what the text says, and no more (no timings
here: the project forbids timed tests). Their cost is measured by `make text-bench`.

Each targets one way reading could grow faster than the text: quantifiers side by side over a
long run of spaces or hyphens (a run of more than three is cut short before any pattern is
tried), a clause of thousands of cues and mentions (a cue is looked for at most 50 words from a
mention, first-person words are counted once), a text written for someone else followed by one
long clause (one pass), and a context-bound word repeated (its context is found once a text, and each clause is
looked at once for a word that gives it another sense).
"""

from __future__ import annotations

import pytest

from service.domain.text import merge_text
from service.domain.triage import Triage
from service.domain.validate import check_intake
from tests.support.crafted import ATTACKS, intake_of


@pytest.mark.parametrize("name", list(ATTACKS))
def test_crafted_text_is_read(triage: Triage, name: str) -> None:
    intake = intake_of(name)
    free_text, concern_text = ATTACKS[name]
    assert triage.reader is not None
    assert check_intake(intake, triage.ruleset.catalog) == []  # a request the service accepts
    triage.reader.forget()
    merged, _ = merge_text(intake, triage.reader, triage.ruleset.catalog)
    codes = {c.code for c in merged.concerns}
    findings = {f for c in merged.concerns for f in c.findings}
    assert merged.patient.sex is None and merged.patient.age_years is None, "a number and a letter far apart"
    assert "burn_or_blistering" not in findings, "'burn' with no context is no burn"
    if "mole" in concern_text:
        assert "mole" in codes, "the son's moles are the patient's"
    if "accutane 1 day ago" in free_text:
        assert "isotretinoin_past_6_months" in merged.patient.medications, "a course a day ago is recent"
    if "2cm arm" in free_text:
        assert [(c.findings, c.body_site) for c in merged.concerns] == [
            (("pus", "lesion_diameter_7mm_plus", "lesion_over_1cm"), "arms")
        ], "findings with no concern make one concern, on the site beside them"
    if "crows feet" in concern_text:
        assert {(c.code, c.body_site) for c in merged.concerns} == {("wrinkles", "periocular"), ("acne", "whole_body")}
    if name == "one-site-said-in-both-texts":
        assert [(c.code, c.body_site) for c in merged.concerns] == [("", "arms")], "a site said often is one site"
    if name == "combination-groups-repeated":
        assert "warmth" in findings and [t.code for t in merged.treatments] == ["laser_hair_removal"]
    if name == "after-findings-on-coded-concerns":
        assert [c.findings for c in merged.concerns[1:]] == [c.findings for c in intake.concerns[1:]], "coded kept"
    if name == "four-letter-non-words":
        assert [(c.code, c.findings) for c in merged.concerns] == [("", ())] and not merged.treatments, (
            "words no dictionary knows read as nothing (the concern is the one the request sends)"
        )
    if name == "years-and-dated-medicines":
        assert "isotretinoin_current" in merged.patient.medications, "a year never ends a use told as now"
    if name == "sites-listed-before-a-treatment":
        assert {(t.code, t.body_site) for t in merged.treatments} >= {("massage", "arms"), ("facial", "hands")}
    if name == "supervision-after-negations":
        assert merged.venue is not None and merged.venue.medical_supervision is False, "no doctor, however often said"
    if name == "negation-then-a-comma-list":
        assert "facial_or_tongue_swelling" in findings, "an emergency sign past a comma is read as present"
