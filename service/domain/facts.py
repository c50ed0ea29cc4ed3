"""Turns a valid intake into the flat facts the rules match, and declares their fields.

Facts are small flat dicts (the engine allows about 254 fields a fact). A set-valued field
(findings, tags, conditions, medications) is spread into one ``<field>__<code>: 1`` key per
member, so a rule tests membership with a plain equality. Nothing here is clinical: the facts
only restate the intake and the catalog. Two derived things only combine them: the venue's
``unsupervised``, so that the rules say "a venue without medical supervision" once, and a
treatment's ``concerns_at_site`` and ``uncoded_at_site``, the concerns at the body site where
it would be done, so that a rule can say "a treatment on skin with this concern" (the rule
language cannot join two facts on a field).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .catalog import TREATMENT_TAGS, Catalog
from .model import (
    CHANNELS,
    FITZPATRICK_TYPES,
    READ_FROM_TEXT,
    SEXES,
    VENUE_KINDS,
    Category,
    Intake,
    Invasiveness,
    MedSpa,
    Practitioner,
)


@dataclass(frozen=True, slots=True)
class Domain:
    """The values one fact field may take, for validating rule conditions."""

    type: str  # "code" (a vocabulary kind), "enum", "int", "bool", "tri", "set" (of a vocabulary kind or tags)
    values: tuple[str, ...] = ()  # enum: the allowed values
    kind: str = ""  # code and set: the vocabulary kind ("tag" for treatment tags)


def _enum(*values: str) -> Domain:
    return Domain("enum", values)


FACT_FIELDS: dict[str, dict[str, Domain]] = {
    "concern": {
        "code": Domain("code", kind="concern"),
        "coded": Domain("bool"),
        "category": _enum(*(c.name for c in Category), "UNCLASSIFIED"),
        "body_site": Domain("code", kind="body_site"),
        "has_text": Domain("bool"),
        "ng12_score": Domain("int"),
        "findings": Domain("set", kind="finding"),
    },
    "treatment": {
        "code": Domain("code", kind="treatment"),
        "invasiveness": _enum(*(i.name for i in Invasiveness), "NOT_A_PROCEDURE"),
        "practitioner": _enum(*(p.name for p in Practitioner)),
        "med_spa": _enum(*(m.name for m in MedSpa)),
        "body_site": Domain("code", kind="body_site"),
        "tags": Domain("set", kind="tag"),
        "concerns_at_site": Domain("set", kind="concern"),
        "uncoded_at_site": Domain("bool"),
    },
    "patient": {
        "age": Domain("int"),
        "age_known": Domain("bool"),
        "pregnant": Domain("tri"),
        "breastfeeding": Domain("tri"),
        "fitzpatrick": _enum(*FITZPATRICK_TYPES, "unknown"),
        "sex": _enum(*SEXES, "unknown"),
        "conditions": Domain("set", kind="condition"),
        "medications": Domain("set", kind="medication"),
    },
    "venue": {
        "kind": _enum(*VENUE_KINDS, "unknown"),
        "supervision": Domain("tri"),
        "unsupervised": Domain("bool"),
    },
    "intake": {
        "channel": _enum(*CHANNELS),
        "concerns": Domain("int"),
        "treatments": Domain("int"),
        "has_free_text": Domain("bool"),
        "always_ok": Domain("int"),
        "supervised": Domain("int"),
        "physician_only": Domain("int"),
    },
}

TAG_VALUES = TREATMENT_TAGS


def set_key(field: str, code: str) -> str:
    """The flat key that says ``code`` is a member of the set field ``field``."""
    return f"{field}__{code}"


def _tri(value: bool | None) -> bool | str:
    """A yes/no fact that may be unknown: true, false or "unknown"."""
    return "unknown" if value is None else value


def unsupervised(kind: str, supervision: bool | str) -> bool:
    """A venue without medical supervision: not a dermatology practice (a med spa, or a kind
    not given) and not known to have supervision (false, or not given). Its opposite is a
    dermatology practice, or a venue with supervision."""
    return kind != "DERMATOLOGY_PRACTICE" and supervision is not True


# Body sites that share skin: a part and the region it lies in, or two sites that meet. This is
# anatomy, not clinical judgement: a treatment at one is done on skin of the other.
_OVERLAP = frozenset(
    frozenset(pair)
    for pair in (
        ("face", "periocular"),
        ("face", "lips"),
        ("face", "perioral"),
        ("lips", "perioral"),
        ("face", "submental"),
        ("neck", "submental"),
        ("bikini", "genitals"),
        ("hands", "nails"),
        ("feet", "nails"),
    )
)
WHOLE_BODY = "whole_body"
FACE = "face"


def same_site(concern_site: str, treatment_site: str) -> bool:
    """Whether a concern and a treatment are on the same skin. A site not given is taken to be
    the same site (the safer answer), as is the whole body; overlapping sites count as one."""
    if not concern_site or not treatment_site or WHOLE_BODY in (concern_site, treatment_site):
        return True
    return concern_site == treatment_site or frozenset((concern_site, treatment_site)) in _OVERLAP


def treatment_site(body_site: str, tags: frozenset[str]) -> str:
    """Where a treatment is done: its body site; without one, a treatment the catalog tags
    ``facial_procedure`` ("is done on the face") is on the face, and any other is taken to be
    at every site (empty)."""
    return body_site or (FACE if "facial_procedure" in tags else "")


def _spread(fact: dict[str, Any], field: str, codes: Any) -> None:
    for code in codes:
        fact[set_key(field, code)] = 1


def build_facts(intake: Intake, catalog: Catalog) -> list[dict[str, Any]]:
    """One fact per concern and treatment, plus the patient, the venue and the intake."""
    facts: list[dict[str, Any]] = []
    concerns = catalog.codes("concern")
    findings = catalog.codes("finding")
    for i, c in enumerate(intake.concerns):
        concept = concerns.get(c.code)
        fact: dict[str, Any] = {
            "type": "concern",
            "ref": f"concerns[{i}]",
            "code": c.code,
            "coded": concept is not None,
            "category": concept.category.name if concept and concept.category else "UNCLASSIFIED",
            "body_site": c.body_site,
            "has_text": bool(c.text),
            "ng12_score": sum(findings[f].ng12_points for f in set(c.findings)),
        }
        _spread(fact, "findings", c.findings)
        facts.append(fact)
    treatments = catalog.codes("treatment")
    counts = {m: 0 for m in MedSpa}
    for i, t in enumerate(intake.treatments):
        tc = treatments[t.code]
        assert tc.practitioner and tc.med_spa  # guaranteed by the catalog loader
        counts[tc.med_spa] += 1
        fact = {
            "type": "treatment",
            "ref": f"treatments[{i}]",
            "code": t.code,
            "invasiveness": tc.invasiveness.name if tc.invasiveness else "NOT_A_PROCEDURE",
            "practitioner": tc.practitioner.name,
            "med_spa": tc.med_spa.name,
            "body_site": t.body_site,
            "uncoded_at_site": False,
        }
        _spread(fact, "tags", sorted(tc.tags))
        site = treatment_site(t.body_site, tc.tags)
        for c in intake.concerns:
            if c.code not in concerns:
                # A concern the reader made from words it could not place could be anywhere: the
                # site its words suggest is a guess, so it is at every treatment's site.
                if c.text == READ_FROM_TEXT or same_site(c.body_site, site):
                    fact["uncoded_at_site"] = True
            elif same_site(c.body_site, site):
                fact[set_key("concerns_at_site", c.code)] = 1
        facts.append(fact)
    p = intake.patient
    patient: dict[str, Any] = {
        "type": "patient",
        "ref": "patient",
        "age_known": p.age_years is not None,
        "pregnant": _tri(p.pregnant),
        "breastfeeding": _tri(p.breastfeeding),
        "fitzpatrick": p.fitzpatrick or "unknown",
        "sex": p.sex or "unknown",
    }
    if p.age_years is not None:
        patient["age"] = p.age_years
    _spread(patient, "conditions", p.conditions)
    _spread(patient, "medications", p.medications)
    facts.append(patient)
    venue = intake.venue
    kind = venue.kind if venue and venue.kind else "unknown"
    supervision = _tri(venue.medical_supervision if venue else None)
    facts.append(
        {
            "type": "venue",
            "ref": "venue",
            "kind": kind,
            "supervision": supervision,
            "unsupervised": unsupervised(kind, supervision),
        }
    )
    facts.append(
        {
            "type": "intake",
            "ref": "intake",
            "channel": intake.channel,
            "concerns": len(intake.concerns),
            "treatments": len(intake.treatments),
            "has_free_text": bool(intake.free_text),
            "always_ok": counts[MedSpa.ALWAYS],
            "supervised": counts[MedSpa.SUPERVISED],
            "physician_only": counts[MedSpa.NEVER],
        }
    )
    return facts
