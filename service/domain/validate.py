"""Checks an intake against the contract and the vocabulary, naming every bad field.

Messages never repeat the value sent: codes and text are patient data.
"""

from __future__ import annotations

from .catalog import Catalog
from .errors import FieldViolation
from .model import CHANNELS, FITZPATRICK_TYPES, SEXES, VENUE_KINDS, Intake

MAX_ITEMS = 20
MAX_FINDINGS = 40
MAX_TEXT = 2000
# All the text of one request together (free_text and every concern's text): reading text costs
# in proportion to its length, so this bounds what any request can cost (bench/text_bench.py).
MAX_TOTAL_TEXT = 4000
MAX_REQUEST_ID = 128
MAX_AGE = 130


def check_intake(intake: Intake, catalog: Catalog) -> list[FieldViolation]:
    """Every violation in the intake, in field order; empty when it may be evaluated."""
    out: list[FieldViolation] = []

    def bad(field: str, description: str) -> None:
        out.append(FieldViolation(field, description))

    def code(field: str, kind: str, value: str, required: bool) -> None:
        if not value:
            if required:
                bad(field, "required")
        elif value not in catalog.codes(kind):
            bad(field, f"unknown {kind.replace('_', ' ')} code; GetRuleset lists the valid codes")

    if len(intake.request_id) > MAX_REQUEST_ID:
        bad("request_id", f"longer than {MAX_REQUEST_ID} characters")
    if intake.channel is None:
        bad("channel", "required: CHANNEL_BOOKING or CHANNEL_TELEHEALTH_INTAKE")
    elif intake.channel not in CHANNELS:
        bad("channel", "unknown enum value")

    p = intake.patient
    if p.age_years is not None and not 0 <= p.age_years <= MAX_AGE:
        bad("patient.age_years", f"must be between 0 and {MAX_AGE}")
    if p.fitzpatrick is not None and p.fitzpatrick not in FITZPATRICK_TYPES:
        bad("patient.fitzpatrick", "unknown enum value")
    if p.sex is not None and p.sex not in SEXES:
        bad("patient.sex", "unknown enum value")
    for name, kind, values in (("conditions", "condition", p.conditions), ("medications", "medication", p.medications)):
        if len(values) > MAX_ITEMS:
            bad(f"patient.{name}", f"more than {MAX_ITEMS} items")
        else:
            for i, v in enumerate(values):
                code(f"patient.{name}[{i}]", kind, v, True)

    if not intake.concerns and not intake.treatments and not intake.free_text:
        bad("concerns", "give at least one concern, requested treatment or free text")
    if len(intake.concerns) > MAX_ITEMS:
        bad("concerns", f"more than {MAX_ITEMS} items")
    else:
        for i, c in enumerate(intake.concerns):
            at = f"concerns[{i}]"
            if not c.code and not c.text:
                bad(f"{at}.code", "required unless text is given")
            code(f"{at}.code", "concern", c.code, False)
            if len(c.findings) > MAX_FINDINGS:
                bad(f"{at}.findings", f"more than {MAX_FINDINGS} items")
            else:
                for j, f in enumerate(c.findings):
                    code(f"{at}.findings[{j}]", "finding", f, True)
            code(f"{at}.body_site", "body_site", c.body_site, False)
            if len(c.text) > MAX_TEXT:
                bad(f"{at}.text", f"longer than {MAX_TEXT} characters")
    if len(intake.treatments) > MAX_ITEMS:
        bad("requested_treatments", f"more than {MAX_ITEMS} items")
    else:
        for i, t in enumerate(intake.treatments):
            at = f"requested_treatments[{i}]"
            code(f"{at}.code", "treatment", t.code, True)
            code(f"{at}.body_site", "body_site", t.body_site, False)

    if intake.venue is not None:
        # An unspecified kind is not known ("not sure which location"), as no venue is.
        if intake.venue.kind is not None and intake.venue.kind not in VENUE_KINDS:
            bad("venue.kind", "unknown enum value")
    if len(intake.free_text) > MAX_TEXT:
        bad("free_text", f"longer than {MAX_TEXT} characters")
    texts = [(f"concerns[{i}].text", c.text) for i, c in enumerate(intake.concerns[:MAX_ITEMS]) if c.text]
    total = 0
    for field, text in (*texts, ("free_text", intake.free_text)):
        total += len(text)
        if total > MAX_TOTAL_TEXT:  # named at the text that passes the bound
            bad(field, f"the texts of one request together are longer than {MAX_TOTAL_TEXT} characters")
            break
    return out
