"""What the text reader finds: mentions, and how each stands for the patient.

Plain values of the domain; the decision reports them (``Decision.text_findings``). Kept apart
from the reader so that the model needs nothing from it.
"""

from __future__ import annotations

from dataclasses import dataclass

# How a mention read from text stands for the patient.
PRESENT, NEGATED, HYPOTHETICAL, HISTORICAL, OTHER_PERSON = (
    "present",
    "negated",
    "hypothetical",
    "historical",
    "other_person",
)
# The value of a treatment's finding when the text says the treatment went without a problem.
UNEVENTFUL = "uneventful"
# The value of a finding negated only by a list run on past a comma ("doesn't itch, bleeds").
LISTED = "listed"


@dataclass(slots=True, unsafe_hash=True)  # not frozen: mypyc compiles this __init__, not a frozen one
class Mention:
    """One concept read from a text: kind, code, character span, and how it is asserted."""

    kind: str  # a catalog kind, "patient_fact" or "venue_fact"
    code: str  # a vocabulary code, or age_years / pregnant / breastfeeding / venue_kind / medical_supervision
    start: int
    end: int
    assertion: str = PRESENT
    value: str = ""  # for patient and venue facts; UNEVENTFUL for a treatment had that went fine
    first: int = 0  # token indexes, for linking findings and sites to the nearest concern
    last: int = 0


@dataclass(slots=True, unsafe_hash=True)  # not frozen, as Mention
class TextFinding:
    """A mention as reported to the caller: where it was read and whether it became a fact."""

    field: str
    mention: Mention
    used: bool
