"""The intake and the decision, as plain immutable values.

Enumerations carry their caution rank, so the resolver can take the most cautious value
without knowing what any of them means clinically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .mentions import TextFinding


class Route(Enum):
    """Who should see the patient; ranked from least to most cautious."""

    MED_SPA = 1
    EITHER = 2
    DERMATOLOGIST = 3


class Urgency(Enum):
    """How soon; ranked from least to most urgent."""

    ROUTINE = 1
    SOON = 2
    URGENT = 3
    EMERGENCY = 4


class Category(Enum):
    """What kind of concern; ranked so that a finding can only move it towards medical."""

    WELLNESS = 1
    COSMETIC = 2
    BOTH = 3
    MEDICAL = 4


class Invasiveness(Enum):
    NON_INVASIVE = 1
    MINIMALLY_INVASIVE = 2
    INVASIVE = 3


class Practitioner(Enum):
    ESTHETICIAN = 1
    SUPERVISED_CLINICIAN = 2
    PHYSICIAN = 3


class MedSpa(Enum):
    """Whether a med spa may give a treatment: always, with medical supervision, never."""

    ALWAYS = 1
    SUPERVISED = 2
    NEVER = 3


CHANNELS = ("BOOKING", "TELEHEALTH_INTAKE")
VENUE_KINDS = ("MED_SPA", "DERMATOLOGY_PRACTICE")
FITZPATRICK_TYPES = ("I", "II", "III", "IV", "V", "VI")
SEXES = ("FEMALE", "MALE")
# The text of a concern the text reader made from words it could not place as a concept.
READ_FROM_TEXT = "(read from text)"


@dataclass(frozen=True, slots=True)
class Patient:
    age_years: int | None = None
    pregnant: bool | None = None
    breastfeeding: bool | None = None
    fitzpatrick: str | None = None  # "I".."VI", None = not known
    conditions: tuple[str, ...] = ()
    medications: tuple[str, ...] = ()
    sex: str | None = None  # one of SEXES (for clinical use), None = not known


@dataclass(frozen=True, slots=True)
class Concern:
    code: str = ""
    findings: tuple[str, ...] = ()
    body_site: str = ""
    text: str = ""


@dataclass(frozen=True, slots=True)
class TreatmentRequest:
    code: str = ""
    body_site: str = ""


@dataclass(frozen=True, slots=True)
class Venue:
    kind: str | None = None  # one of VENUE_KINDS, None = not known
    medical_supervision: bool | None = None


@dataclass(frozen=True, slots=True)
class Intake:
    """One request, decoded from the wire but not yet validated."""

    request_id: str = ""
    channel: str | None = None  # one of CHANNELS
    patient: Patient = field(default_factory=Patient)
    concerns: tuple[Concern, ...] = ()
    treatments: tuple[TreatmentRequest, ...] = ()
    venue: Venue | None = None
    free_text: str = ""


@dataclass(frozen=True, slots=True)
class Firing:
    """One rule that fired, with the refs (``concerns[0]``) of the facts it matched, in order.

    ``values`` holds the matched facts' fields that the rule's summary names as placeholders.
    """

    rule_id: str
    refs: tuple[str, ...]
    values: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True, slots=True)
class ReasonLine:
    rule_id: str
    summary: str
    source: str


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    text: str
    answer_field: str


@dataclass(frozen=True, slots=True)
class ConcernResult:
    code: str
    category: Category
    route: Route
    urgency: Urgency
    rule_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TreatmentResult:
    code: str
    invasiveness: Invasiveness | None
    practitioner: Practitioner
    med_spa_appropriate: bool
    rule_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Decision:
    request_id: str
    decision_id: str
    route: Route
    urgency: Urgency
    concerns: tuple[ConcernResult, ...]
    treatments: tuple[TreatmentResult, ...]
    flags: tuple[str, ...]
    reasons: tuple[ReasonLine, ...]
    questions: tuple[Question, ...]
    ruleset_version: str
    text_findings: tuple[TextFinding, ...] = ()
