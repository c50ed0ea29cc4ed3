"""An attacker's worst texts: requests within the text bounds (2,000 characters a text, 4,000
together) crafted to make the text reader slow.

Each text is built from a short recipe and read with merge_text; the test asserts only that the
reading finishes and returns an Intake (no timings here: the project forbids timed tests). Their
cost is measured by `make text-bench`.

Each targets one way reading could grow faster than the text: quantifiers side by side over a
long run of spaces or hyphens (a run of more than three is cut short before any pattern is
tried), a clause of thousands of cues and mentions (a cue is looked for at most 50 words from a
mention, first-person words are counted once), a text written for someone else followed by one
long clause (one pass), and a context-bound word repeated (its context is found once a text).
"""

from __future__ import annotations

import pytest

from service.domain.model import Concern, Intake
from service.domain.text import merge_text
from service.domain.triage import Triage
from service.domain.validate import MAX_TEXT, check_intake


def _cut(text: str) -> str:
    return text[:MAX_TEXT]


CRAFTED = {
    # sex pattern 3: [\s-]* [\s-]* \s* \s* around optional groups, then no "male"/"female": quartic
    "spaces-number-to-sex-letter": ("5" + " " * (MAX_TEXT - 2) + "m", ""),
    # the same pattern on hyphens ([\s-]* twice): quadratic; in both texts of the request
    "hyphens-number-to-sex-letter": ("5" + "-" * (MAX_TEXT - 2) + "m",) * 2,
    # sex pattern 2 and age pattern 3: "m"/"f", \s* ,? \s*, then no number: quadratic
    "spaces-after-sex-letter": ("f" + " " * (MAX_TEXT - 4) + "x 5",) * 2,
    # other_person cues without a first-person word: each mention against each cue walks the
    # words between them (_assert, _reaches): cubic in one clause
    "family-history-cues-then-mentions": (_cut("fhx " * 170 + "acne " * 400),) * 2,
    # a text for someone else, then one long clause of mentions: each walks back over the
    # clause (_writers_own) and each is checked against every cue
    "proxy-then-one-clause-of-mentions": (_cut("on behalf of my son. " + "mole " * 400),) * 2,
    # a context-bound word repeated: each scans the whole text for its context (_has_context)
    "context-bound-word-repeated": (_cut("burn " * 400),) * 2,
}


@pytest.mark.parametrize("free_text, concern_text", list(CRAFTED.values()), ids=list(CRAFTED))
def test_crafted_text_is_read(triage: Triage, free_text: str, concern_text: str) -> None:
    concerns = (Concern(text=concern_text),) if concern_text else ()
    intake = Intake(channel="TELEHEALTH_INTAKE", free_text=free_text, concerns=concerns)
    assert triage.reader is not None
    assert check_intake(intake, triage.ruleset.catalog) == []  # a request the service accepts
    triage.reader.forget()
    merged, _ = merge_text(intake, triage.reader, triage.ruleset.catalog)
    assert isinstance(merged, Intake)
