"""The safety lattice: combines rule conclusions into one answer by taking the most cautious.

Rules only add conclusions. DERMATOLOGIST beats EITHER beats MED_SPA, EMERGENCY beats URGENT
beats SOON beats ROUTINE, "not appropriate" beats "appropriate", MEDICAL beats BOTH beats
COSMETIC beats WELLNESS. So the order in which the engine fires rules never matters and no
rule can lower another's answer. Where no rule spoke, the cautious default stands.

Two conclusions are conditional, both on the final verdicts of treatments, which only ever
move towards "not appropriate": ``only_if_appropriate`` (a GFE or split booking about a
treatment that ended blocked is dropped; the loader forbids it on cautious conclusions) and
``unless_bookable`` (a contraindication's DERMATOLOGIST route gives way when a requested
esthetician treatment stays bookable, clinical basis §9.3).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .catalog import Catalog
from .model import (
    Category,
    ConcernResult,
    Decision,
    Firing,
    Intake,
    MedSpa,
    ReasonLine,
    Route,
    TreatmentResult,
    Urgency,
)
from .rulebook import Rule, Rulebook

# Where no rule concluded a route, the cautious answer stands.
DEFAULT_ROUTE = Route.DERMATOLOGIST


@dataclass
class _Subject:
    route: Route | None = None
    urgency: Urgency = Urgency.ROUTINE
    category: Category | None = None
    appropriate: bool | None = None
    rule_ids: list[str] = field(default_factory=list)

    def add_rule(self, rule_id: str) -> None:
        if rule_id not in self.rule_ids:
            self.rule_ids.append(rule_id)


def _max(a: Any, b: Any) -> Any:
    """The more cautious of two lattice values, either of which may be None."""
    if a is None:
        return b
    if b is None:
        return a
    return a if a.value >= b.value else b


def _and(a: bool | None, b: bool | None) -> bool | None:
    if a is None:
        return b
    if b is None:
        return a
    return a and b


@dataclass(frozen=True)
class Ordering:
    """Sort orders of one ruleset, computed once (the resolver runs on every request)."""

    flag_rank: dict[str, int]
    question_rank: dict[str, int]
    rule_weight: dict[str, tuple[int, int, int, str]]


def ordering(rulebook: Rulebook, catalog: Catalog) -> Ordering:
    return Ordering(
        flag_rank={code: i for i, code in enumerate(catalog.codes("flag"))},
        question_rank={qid: i for i, qid in enumerate(catalog.questions)},
        rule_weight={rule.id: _weight(rule, catalog) for rule in rulebook.rules.values()},
    )


def resolve(
    intake: Intake,
    firings: Iterable[Firing],
    rulebook: Rulebook,
    catalog: Catalog,
    decision_id: str,
    ruleset_version: str,
    order: Ordering | None = None,
) -> Decision:
    """The answer for one intake from the rules that fired on it."""
    order = order or ordering(rulebook, catalog)
    concerns = {f"concerns[{i}]": _Subject() for i in range(len(intake.concerns))}
    treatments = {f"treatments[{i}]": _Subject() for i in range(len(intake.treatments))}
    # Sorted so that every list comes out the same whatever order the engine fired in.
    ordered = sorted(set(firings), key=lambda f: (f.rule_id, f.refs, f.values))

    # Pass 1: the verdicts on treatments, which the conditional conclusions depend on.
    for firing in ordered:
        eff = rulebook[firing.rule_id].then
        if eff.block_all_treatments:
            for subject in treatments.values():
                subject.appropriate = False
        for ref in _subjects(firing, eff.subject):
            if ref in treatments:
                treatments[ref].appropriate = _and(treatments[ref].appropriate, eff.med_spa_appropriate)
    treatment_codes = catalog.codes("treatment")
    bookable = any(
        s.appropriate is True and treatment_codes[t.code].med_spa is MedSpa.ALWAYS
        for t, s in zip(intake.treatments, treatments.values(), strict=True)
    )

    # Pass 2: everything else, skipping conditional conclusions whose condition failed.
    route: Route | None = None
    urgency = Urgency.ROUTINE
    flags: set[str] = set()
    asked: set[str] = set()
    reasons: dict[tuple[str, str], Rule] = {}
    for firing in ordered:
        rule = rulebook[firing.rule_id]
        eff = rule.then
        refs = _subjects(firing, eff.subject)
        if eff.only_if_appropriate and not any(treatments[r].appropriate is True for r in refs if r in treatments):
            continue
        rule_route = None if eff.unless_bookable and bookable else eff.route
        reasons[(rule.id, _summary(rule, firing))] = rule
        route = _max(route, rule_route)
        urgency = _max(urgency, eff.urgency)
        flags.update(eff.flags)
        asked.update(eff.ask)
        for ref in refs:
            subject = concerns.get(ref) or treatments[ref]
            subject.add_rule(rule.id)
            subject.route = _max(subject.route, rule_route)
            subject.urgency = _max(subject.urgency, eff.urgency)
            subject.category = _max(subject.category, eff.category)
        if eff.block_all_treatments:
            for subject in treatments.values():
                subject.add_rule(rule.id)

    concern_codes = catalog.codes("concern")
    concern_results = []
    for c, s in zip(intake.concerns, concerns.values(), strict=True):
        base = concern_codes[c.code].category if c.code else None
        category = _max(base, s.category) or Category.MEDICAL  # an unclassified concern is taken as medical
        concern_results.append(ConcernResult(c.code, category, s.route or DEFAULT_ROUTE, s.urgency, tuple(s.rule_ids)))
    treatment_results = []
    for t, s in zip(intake.treatments, treatments.values(), strict=True):
        concept = treatment_codes[t.code]
        assert concept.practitioner is not None
        treatment_results.append(
            TreatmentResult(
                t.code, concept.invasiveness, concept.practitioner, s.appropriate is True, tuple(s.rule_ids)
            )
        )

    return Decision(
        request_id=intake.request_id,
        decision_id=decision_id,
        route=route or DEFAULT_ROUTE,
        urgency=urgency,
        concerns=tuple(concern_results),
        treatments=tuple(treatment_results),
        flags=tuple(sorted(flags, key=order.flag_rank.__getitem__)),
        reasons=tuple(
            ReasonLine(rule.id, summary, rule.source)
            for (_, summary), rule in sorted(reasons.items(), key=lambda kv: (order.rule_weight[kv[1].id], kv[0][1]))
        ),
        questions=tuple(catalog.questions[q] for q in sorted(asked, key=order.question_rank.__getitem__)),
        ruleset_version=ruleset_version,
    )


def _subjects(firing: Firing, indexes: tuple[int, ...]) -> list[str]:
    return [firing.refs[i] for i in indexes]


def _summary(rule: Rule, firing: Firing) -> str:
    """The rule's summary with its placeholders (``{ng12_score}``) filled from the matched facts."""
    return rule.summary.format_map(dict(firing.values)) if firing.values else rule.summary


def _weight(rule: Rule, catalog: Catalog) -> tuple[int, int, int, str]:
    """Sort key putting the reasons that mattered most first: urgency, route, red flags."""
    eff = rule.then
    red = any(catalog.codes("flag")[f].red_flag for f in eff.flags)
    return (
        -(eff.urgency.value if eff.urgency else 0),
        -(eff.route.value if eff.route else 0),
        -int(red),
        rule.id,
    )
