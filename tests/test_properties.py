"""Invariants of the safety lattice over generated intakes (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.core.model import Concern, Intake, Patient, TreatmentRequest, Venue
from service.rules_loader import DEFAULT_RULES_DIR, load_ruleset

CATALOG = load_ruleset(DEFAULT_RULES_DIR).catalog
CONCERNS = sorted(CATALOG.codes("concern"))
FINDINGS = sorted(CATALOG.codes("finding"))
TREATMENTS = sorted(CATALOG.codes("treatment"))
SITES = ["", *sorted(CATALOG.codes("body_site"))]

concerns = st.builds(
    Concern,
    code=st.sampled_from(CONCERNS),
    findings=st.lists(st.sampled_from(FINDINGS), max_size=4, unique=True).map(tuple),
    body_site=st.sampled_from(SITES),
)
treatments = st.builds(TreatmentRequest, code=st.sampled_from(TREATMENTS), body_site=st.sampled_from(SITES))
venues = st.one_of(
    st.none(),
    st.builds(
        Venue,
        kind=st.sampled_from(["MED_SPA", "DERMATOLOGY_PRACTICE"]),
        medical_supervision=st.sampled_from([None, True, False]),
    ),
)
intakes = st.builds(
    Intake,
    channel=st.sampled_from(["BOOKING", "TELEHEALTH_INTAKE"]),
    patient=st.just(Patient()),
    concerns=st.lists(concerns, max_size=4).map(tuple),
    treatments=st.lists(treatments, max_size=4).map(tuple),
    venue=venues,
).filter(lambda i: i.concerns or i.treatments)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])


def _summary(decision):  # type: ignore[no-untyped-def]
    return (
        decision.route,
        decision.urgency,
        set(decision.flags),
        {r.rule_id for r in decision.reasons},
        {q.id for q in decision.questions},
    )


@SETTINGS
@given(intake=intakes, data=st.data())
def test_answer_does_not_depend_on_order(triage, intake: Intake, data) -> None:  # type: ignore[no-untyped-def]
    shuffled = Intake(
        channel=intake.channel,
        concerns=tuple(
            Concern(c.code, tuple(data.draw(st.permutations(c.findings))), c.body_site)
            for c in data.draw(st.permutations(intake.concerns))
        ),
        treatments=tuple(data.draw(st.permutations(intake.treatments))),
        venue=intake.venue,
    )
    assert _summary(triage.assess(intake)) == _summary(triage.assess(shuffled))


@SETTINGS
@given(
    intake=intakes, extra=st.one_of(concerns.map(lambda c: ("concern", c)), treatments.map(lambda t: ("treatment", t)))
)
def test_adding_an_item_never_makes_the_answer_less_cautious(triage, intake: Intake, extra) -> None:  # type: ignore[no-untyped-def]
    kind, item = extra
    if kind == "concern" and len(intake.concerns) < 20:
        bigger = Intake(
            channel=intake.channel, concerns=(*intake.concerns, item), treatments=intake.treatments, venue=intake.venue
        )
    elif kind == "treatment" and len(intake.treatments) < 20:
        bigger = Intake(
            channel=intake.channel, concerns=intake.concerns, treatments=(*intake.treatments, item), venue=intake.venue
        )
    else:
        return
    before, after = triage.assess(intake), triage.assess(bigger)
    assert after.route.value >= before.route.value
    assert after.urgency.value >= before.urgency.value


@SETTINGS
@given(intake=intakes)
def test_every_item_is_assessed_and_explained(triage, intake: Intake) -> None:  # type: ignore[no-untyped-def]
    decision = triage.assess(intake)
    assert len(decision.concerns) == len(intake.concerns)
    assert len(decision.treatments) == len(intake.treatments)
    fired = {r.rule_id for r in decision.reasons}
    for item in (*decision.concerns, *decision.treatments):
        assert item.rule_ids, f"{item.code} was assessed by no rule"
        assert set(item.rule_ids) <= fired
    if any(not t.med_spa_appropriate for t in decision.treatments):
        assert decision.route.name == "DERMATOLOGIST", "a treatment blocked at the spa goes to a dermatologist"
