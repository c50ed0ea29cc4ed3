"""The safety lattice: combines rule conclusions into one answer by taking the most cautious.

Rules only add conclusions. DERMATOLOGIST beats EITHER beats MED_SPA, EMERGENCY beats URGENT
beats SOON beats ROUTINE, "not appropriate" beats "appropriate", MEDICAL beats BOTH beats
COSMETIC beats WELLNESS. So the order in which the engine fires rules never matters and no
rule can lower another's answer. Where no rule spoke, the cautious default stands.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .catalog import Catalog
from .model import (
    Category,
    ConcernResult,
    Decision,
    Firing,
    Intake,
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


def _max(a, b):  # type: ignore[no-untyped-def]
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


def resolve(
    intake: Intake,
    firings: Iterable[Firing],
    rulebook: Rulebook,
    catalog: Catalog,
    decision_id: str,
    ruleset_version: str,
) -> Decision:
    """The answer for one intake from the rules that fired on it."""
    concerns = {f"concerns[{i}]": _Subject() for i in range(len(intake.concerns))}
    treatments = {f"treatments[{i}]": _Subject() for i in range(len(intake.treatments))}
    route: Route | None = None
    urgency = Urgency.ROUTINE
    flags: set[str] = set()
    conditional_flags: list[tuple[str, list[str]]] = []  # (flag, the treatment refs it is about)
    flag_concepts = catalog.codes("flag")
    asked: set[str] = set()
    fired: dict[str, Rule] = {}

    # Sorted so that rule_ids lists come out the same whatever order the engine fired in.
    for firing in sorted(set(firings), key=lambda f: (f.rule_id, f.refs)):
        rule = rulebook[firing.rule_id]
        fired[rule.id] = rule
        eff = rule.then
        route = _max(route, eff.route)
        urgency = _max(urgency, eff.urgency)
        about = [firing.refs[i] for i in eff.subject if firing.refs[i] in treatments]
        for flag in eff.flags:
            if flag_concepts[flag].needs_appropriate_treatment and about:
                conditional_flags.append((flag, about))
            else:
                flags.add(flag)
        asked.update(eff.ask)
        for index in eff.subject:
            ref = firing.refs[index]
            subject = concerns.get(ref) or treatments[ref]
            subject.add_rule(rule.id)
            subject.route = _max(subject.route, eff.route)
            subject.urgency = _max(subject.urgency, eff.urgency)
            subject.category = _max(subject.category, eff.category)
            subject.appropriate = _and(subject.appropriate, eff.med_spa_appropriate)
        if eff.block_all_treatments:
            for subject in treatments.values():
                subject.add_rule(rule.id)
                subject.appropriate = False

    for flag, about in conditional_flags:
        if any(treatments[ref].appropriate is True for ref in about):
            flags.add(flag)

    concern_codes = catalog.codes("concern")
    concern_results = []
    for c, s in zip(intake.concerns, concerns.values(), strict=True):
        base = concern_codes[c.code].category if c.code else None
        category = _max(base, s.category) or Category.MEDICAL  # an unclassified concern is taken as medical
        concern_results.append(ConcernResult(c.code, category, s.route or DEFAULT_ROUTE, s.urgency, tuple(s.rule_ids)))
    treatment_codes = catalog.codes("treatment")
    treatment_results = []
    for t, s in zip(intake.treatments, treatments.values(), strict=True):
        concept = treatment_codes[t.code]
        assert concept.practitioner is not None
        treatment_results.append(
            TreatmentResult(
                t.code, concept.invasiveness, concept.practitioner, s.appropriate is True, tuple(s.rule_ids)
            )
        )

    flag_order = list(flag_concepts)
    question_order = list(catalog.questions)
    return Decision(
        request_id=intake.request_id,
        decision_id=decision_id,
        route=route or DEFAULT_ROUTE,
        urgency=urgency,
        concerns=tuple(concern_results),
        treatments=tuple(treatment_results),
        flags=tuple(sorted(flags, key=flag_order.index)),
        reasons=tuple(
            ReasonLine(r.id, r.summary, r.source) for r in sorted(fired.values(), key=lambda r: _weight(r, catalog))
        ),
        questions=tuple(catalog.questions[q] for q in sorted(asked, key=question_order.index)),
        ruleset_version=ruleset_version,
    )


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
