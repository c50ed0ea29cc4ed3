"""Invariants of the safety lattice over generated intakes (hypothesis)."""

from __future__ import annotations

import copy
import dataclasses
from collections import Counter

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from service.adapters.rules_files import load_ruleset
from service.app import engine_of
from service.config import DEFAULT_RULES_DIR
from service.domain.facts import build_facts
from service.domain.model import Concern, Intake, Patient, Route, TreatmentRequest, Urgency, Venue
from tests.support.reference_engine import HostLoopEngine

CATALOG = load_ruleset(DEFAULT_RULES_DIR).catalog
CONCERNS = sorted(CATALOG.codes("concern"))
FINDINGS = sorted(CATALOG.codes("finding"))
TREATMENTS = sorted(CATALOG.codes("treatment"))
CONDITIONS = sorted(CATALOG.codes("condition"))
MEDICATIONS = sorted(CATALOG.codes("medication"))
SITES = ["", *sorted(CATALOG.codes("body_site"))]

# The least a red-flag finding must bring, on any concern (clinical basis §1.1-1.3).
RED_FLAG_TIER = {
    **dict.fromkeys(
        [
            "mucosal_involvement",
            "widespread_skin_pain",
            "difficulty_breathing",
            "facial_or_tongue_swelling",
            "confusion",
            "vision_change",
            "difficulty_swallowing",
            "difficulty_speaking",
        ],
        Urgency.EMERGENCY,
    ),
    **dict.fromkeys(
        [
            "blisters",
            "clustered_blisters_or_erosions",
            "eye_involvement",
            "spreading_redness",
            "red_streak",
            "pus",
            "fever",
            "rapid_heartbeat",
            "skin_blanching_or_mottling",
            "burn_or_blistering",
        ],
        Urgency.URGENT,
    ),
    **dict.fromkeys(["nail_pigmented_band", "lesion_rapid_growth"], Urgency.SOON),
    "lesion_pearly_or_rolled_edge": Urgency.ROUTINE,
}
# Where a finding is expected and no red flag: an ordinary cold sore is blisters (§2.3).
# Eye symptoms with facial redness or rosacea are ocular rosacea, routine (clinical basis §2.3).
RED_FLAG_EXEMPT = {
    "blisters": {"cold_sore"},
    "clustered_blisters_or_erosions": {"cold_sore"},
    # gritty or dry eyes with rosacea, redness or pustular spots are the (ocular) rosacea picture:
    # a dermatologist at routine speed, unless painful or with signs of infection (§2.3)
    "eye_involvement": {"rosacea", "redness", "acne"},
}
# Findings that explain another one, so that adding them may lift a red flag on purpose: peeling
# is the expected course after a peel, laser or needling, not skin shedding from SJS/TEN
# (rule redflag.sjs_ten.skin_shedding; StatPearls, Chemical Peels). SJS's other signs
# (mucosal involvement, widespread skin pain) stay red flags whatever explains the peeling.
# Blisters where an active cold sore is are the cold sore's: a deferral, not a red flag (§2.3).
EXPLAINS = {
    "skin_peeling": {"after_peel", "after_energy_device", "after_microneedling"},
    "blisters": {"active_cold_sore_at_site"},
    "clustered_blisters_or_erosions": {"active_cold_sore_at_site"},
}
# ABCDE and NG12 features count on a mole or spot: a dermatologist, never a med spa (§1.2-1.3).
PIGMENTED = ["mole", "dark_spot", "skin_lesion", "age_spots", "hyperpigmentation", "seborrheic_keratosis"]
LESION_WARNINGS = [
    "lesion_changed_size",
    "lesion_irregular_shape",
    "lesion_irregular_colour",
    "lesion_diameter_7mm_plus",
    "lesion_changed_shape",
    "lesion_changed_colour",
    "lesion_bleeding",
    "lesion_new_in_adult",
    "lesion_unlike_others",
]

tri = st.sampled_from([None, True, False])
patients = st.builds(
    Patient,
    age_years=st.one_of(st.none(), st.integers(0, 95)),
    pregnant=tri,
    breastfeeding=tri,
    fitzpatrick=st.sampled_from([None, "I", "II", "III", "IV", "V", "VI"]),
    conditions=st.lists(st.sampled_from(CONDITIONS), max_size=3, unique=True).map(tuple),
    medications=st.lists(st.sampled_from(MEDICATIONS), max_size=3, unique=True).map(tuple),
)
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
    patient=patients,
    concerns=st.lists(concerns, min_size=1, max_size=4).map(tuple),
    treatments=st.lists(treatments, max_size=4).map(tuple),
    venue=venues,
)

# Example counts come from the hypothesis profile (tests/conftest.py); function-scoped fixtures
# are fine here because `triage` is session-wide and stateless between calls.
SETTINGS = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _summary(decision):  # type: ignore[no-untyped-def]
    return (
        decision.route,
        decision.urgency,
        set(decision.flags),
        {r.rule_id for r in decision.reasons},
        {q.id for q in decision.questions},
        sorted((c.code, c.category.value, c.route.value, c.urgency.value) for c in decision.concerns),
        sorted((t.code, t.med_spa_appropriate) for t in decision.treatments),
    )


def _with_finding(intake: Intake, index: int, finding: str, code: str | None = None) -> Intake:
    concerns = list(intake.concerns)
    c = concerns[index]
    concerns[index] = Concern(code or c.code, tuple(dict.fromkeys((*c.findings, finding))), c.body_site, c.text)
    return dataclasses.replace(intake, concerns=tuple(concerns))


@SETTINGS
@given(intake=intakes, finding=st.sampled_from(sorted(RED_FLAG_TIER)), data=st.data())
def test_a_red_flag_finding_goes_to_a_dermatologist_at_least_at_its_tier(triage, intake, finding, data) -> None:  # type: ignore[no-untyped-def]
    index = data.draw(st.integers(0, len(intake.concerns) - 1))
    assume(intake.concerns[index].code not in RED_FLAG_EXEMPT.get(finding, ()))
    assume(EXPLAINS.get(finding, set()).isdisjoint(intake.concerns[index].findings))
    decision = triage.assess(_with_finding(intake, index, finding))
    assert decision.route is Route.DERMATOLOGIST
    assert decision.urgency.value >= RED_FLAG_TIER[finding].value
    assert "RED_FLAG" in decision.flags
    assert not any(t.med_spa_appropriate for t in decision.treatments), "a red flag blocks every treatment"


@SETTINGS
@given(intake=intakes, finding=st.sampled_from(LESION_WARNINGS), code=st.sampled_from(PIGMENTED), data=st.data())
def test_a_warning_sign_on_a_spot_is_never_for_a_med_spa(triage, intake, finding, code, data) -> None:  # type: ignore[no-untyped-def]
    index = data.draw(st.integers(0, len(intake.concerns) - 1))
    decision = triage.assess(_with_finding(intake, index, finding, code))
    assert decision.route is Route.DERMATOLOGIST
    assert decision.concerns[index].route is Route.DERMATOLOGIST
    assert not any(t.med_spa_appropriate for t in decision.treatments)


@SETTINGS
@given(
    intake=intakes,
    extra=st.one_of(
        st.tuples(st.just("finding"), st.sampled_from(FINDINGS)),
        st.tuples(st.just("condition"), st.sampled_from(CONDITIONS)),
        st.tuples(st.just("medication"), st.sampled_from(MEDICATIONS)),
    ),
    data=st.data(),
)
def test_adding_a_finding_condition_or_medication_is_never_less_cautious(triage, intake, extra, data) -> None:  # type: ignore[no-untyped-def]
    kind, code = extra
    if kind == "finding":
        index = data.draw(st.integers(0, len(intake.concerns) - 1))
        assume(not any(code in EXPLAINS.get(f, ()) for f in intake.concerns[index].findings))
        bigger = _with_finding(intake, index, code)
    else:
        p = intake.patient
        field = "conditions" if kind == "condition" else "medications"
        values = tuple(dict.fromkeys((*getattr(p, field), code)))
        bigger = dataclasses.replace(intake, patient=dataclasses.replace(p, **{field: values}))
    before, after = triage.assess(intake), triage.assess(bigger)
    assert after.urgency.value >= before.urgency.value
    if before.route is Route.DERMATOLOGIST:
        assert after.route is Route.DERMATOLOGIST
    for b, a in zip(before.treatments, after.treatments, strict=True):
        assert a.med_spa_appropriate <= b.med_spa_appropriate, "a treatment blocked stays blocked"


@SETTINGS
@given(intake=intakes, data=st.data())
def test_answer_does_not_depend_on_order(triage, intake: Intake, data) -> None:  # type: ignore[no-untyped-def]
    p = intake.patient
    shuffled = dataclasses.replace(
        intake,
        patient=dataclasses.replace(
            p,
            conditions=tuple(data.draw(st.permutations(p.conditions))),
            medications=tuple(data.draw(st.permutations(p.medications))),
        ),
        concerns=tuple(
            Concern(c.code, tuple(data.draw(st.permutations(c.findings))), c.body_site)
            for c in data.draw(st.permutations(intake.concerns))
        ),
        treatments=tuple(data.draw(st.permutations(intake.treatments))),
    )
    assert _summary(triage.assess(intake)) == _summary(triage.assess(shuffled))


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
    if decision.urgency is not Urgency.ROUTINE:
        assert decision.route is Route.DERMATOLOGIST, "anything urgent goes to a physician"
    if decision.route is not Route.DERMATOLOGIST and any(not t.med_spa_appropriate for t in decision.treatments):
        # Off the dermatologist route, a blocked item is only deferred: a temporary reason
        # (§9.5) or another item that keeps the spa booking (§9.3).
        deferred = any(f.startswith("DEFER_") for f in decision.flags)
        assert deferred or any(t.med_spa_appropriate for t in decision.treatments)


STOCK_LOOP = HostLoopEngine(load_ruleset(DEFAULT_RULES_DIR).rulebook)


@SETTINGS
@given(intake=intakes)
def test_the_adapter_fires_what_durables_own_action_loop_fires(triage, intake: Intake) -> None:  # type: ignore[no-untyped-def]
    """The adapter drives durable's C action queue itself; durable's stock Host loop is the
    reference. The adapter reports each rule on the same facts once, where durable's loop may
    fire it once for every alternative of an `any` that holds."""
    facts = build_facts(intake, triage.ruleset.catalog)
    ours = engine_of(triage).evaluate(copy.deepcopy(facts))
    assert ours, "every intake fires at least one rule"
    assert max(Counter((f.rule_id, f.refs) for f in ours).values()) == 1, "a rule fired twice on the same facts"
    assert set(ours) == set(STOCK_LOOP.evaluate(copy.deepcopy(facts)))
