"""Proto <-> domain: the only place that knows both the wire messages and the core model."""

from __future__ import annotations

from ..domain.catalog import KINDS, Catalog
from ..domain.mentions import HISTORICAL, HYPOTHETICAL, NEGATED, OTHER_PERSON, PRESENT
from ..domain.model import (
    Category,
    Concern,
    Decision,
    Intake,
    Invasiveness,
    Patient,
    Practitioner,
    Route,
    TreatmentRequest,
    Urgency,
    Venue,
)
from ..domain.rulebook import Rulebook
from ..gen.dermtriage.v1 import triage_pb2 as pb


def _names(enum_type, prefix: str) -> dict[int, str]:  # type: ignore[no-untyped-def]
    """Wire number -> core name for every value but the zero one, e.g. 1 -> "BOOKING"."""
    return {v.number: v.name.removeprefix(prefix) for v in enum_type.DESCRIPTOR.values if v.number != 0}


_CHANNEL = _names(pb.Channel, "CHANNEL_")
_FITZPATRICK = _names(pb.Fitzpatrick, "FITZPATRICK_")
_VENUE_KIND = _names(pb.VenueKind, "VENUE_KIND_")
_SEX = _names(pb.Sex, "SEX_")
_ROUTE = {r: pb.Route.Value(f"ROUTE_{r.name}") for r in Route}
_URGENCY = {u: pb.Urgency.Value(f"URGENCY_{u.name}") for u in Urgency}
_CATEGORY = {c: pb.ConcernCategory.Value(f"CONCERN_CATEGORY_{c.name}") for c in Category}
_INVASIVENESS = {i: pb.Invasiveness.Value(f"INVASIVENESS_{i.name}") for i in Invasiveness}
_PRACTITIONER = {p: pb.Practitioner.Value(f"PRACTITIONER_{p.name}") for p in Practitioner}
_CONCEPT_KIND = {k: pb.ConceptKind.Value(f"CONCEPT_KIND_{k.upper()}") for k in (*KINDS, "patient_fact", "venue_fact")}
_ASSERTION = {
    a: pb.TextAssertion.Value(f"TEXT_ASSERTION_{a.upper()}")
    for a in (PRESENT, NEGATED, HYPOTHETICAL, HISTORICAL, OTHER_PERSON)
}


def _enum(number: int, names: dict[int, str]) -> str | None:
    """None for the zero value; an unknown number keeps a marker the validator rejects."""
    if number == 0:
        return None
    return names.get(number, f"#{number}")


def decode_intake(req: pb.AssessRequest) -> Intake:
    p = req.patient
    patient = Patient(
        age_years=p.age_years if p.HasField("age_years") else None,
        pregnant=p.pregnant if p.HasField("pregnant") else None,
        breastfeeding=p.breastfeeding if p.HasField("breastfeeding") else None,
        fitzpatrick=_enum(p.fitzpatrick, _FITZPATRICK),
        conditions=tuple(p.conditions),
        medications=tuple(p.medications),
        sex=_enum(p.sex, _SEX),
    )
    venue = None
    if req.HasField("venue"):
        venue = Venue(
            kind=_enum(req.venue.kind, _VENUE_KIND),
            medical_supervision=req.venue.medical_supervision if req.venue.HasField("medical_supervision") else None,
        )
    return Intake(
        request_id=req.request_id,
        channel=_enum(req.channel, _CHANNEL),
        patient=patient,
        concerns=tuple(Concern(c.code, tuple(c.findings), c.body_site, c.text) for c in req.concerns),
        treatments=tuple(TreatmentRequest(t.code, t.body_site) for t in req.requested_treatments),
        venue=venue,
        free_text=req.free_text,
    )


def encode_decision(d: Decision) -> pb.AssessResponse:
    return pb.AssessResponse(
        request_id=d.request_id,
        decision_id=d.decision_id,
        route=_ROUTE[d.route],
        urgency=_URGENCY[d.urgency],
        concerns=[
            pb.ConcernAssessment(
                code=c.code,
                category=_CATEGORY[c.category],
                route=_ROUTE[c.route],
                urgency=_URGENCY[c.urgency],
                rule_ids=c.rule_ids,
            )
            for c in d.concerns
        ],
        treatments=[
            pb.TreatmentAssessment(
                code=t.code,
                invasiveness=_INVASIVENESS[t.invasiveness] if t.invasiveness else pb.INVASIVENESS_UNSPECIFIED,
                required_practitioner=_PRACTITIONER[t.practitioner],
                med_spa_appropriate=t.med_spa_appropriate,
                rule_ids=t.rule_ids,
            )
            for t in d.treatments
        ],
        flags=d.flags,
        reasons=[pb.Reason(rule_id=r.rule_id, summary=r.summary, source=r.source) for r in d.reasons],
        questions=[pb.FollowUpQuestion(id=q.id, text=q.text, answer_field=q.answer_field) for q in d.questions],
        ruleset_version=d.ruleset_version,
        text_findings=[
            pb.TextFinding(
                code=f.mention.code,
                kind=_CONCEPT_KIND[f.mention.kind],
                negated=f.mention.assertion == NEGATED,
                start=f.mention.start,
                end=f.mention.end,
                field=f.field,
                assertion=_ASSERTION[f.mention.assertion],
                used=f.used,
                value=f.mention.value,
            )
            for f in d.text_findings
        ],
    )


def encode_ruleset(version: str, rulebook: Rulebook, catalog: Catalog) -> pb.GetRulesetResponse:
    return pb.GetRulesetResponse(
        ruleset_version=version,
        rules=[
            pb.Rule(rule_id=r.id, summary=r.summary, source=r.source)
            for r in sorted(rulebook.rules.values(), key=lambda r: r.id)
        ],
        concepts=[
            pb.Concept(
                code=c.code,
                kind=_CONCEPT_KIND[c.kind],
                label=c.label,
                synonyms=c.synonyms,
                icd10cm=c.icd10cm,
            )
            for c in catalog.all_concepts()
        ],
    )
