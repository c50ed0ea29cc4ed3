"""Reading patients' own words: the ways they write, the labelled set, text versus codes."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.protobuf import json_format
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from service.domain.model import Concern, Intake, Patient, Route, Venue
from service.domain.text import merge_text
from service.gen.dermtriage.v1 import triage_pb2 as pb
from tests.support.paths import DATA as TEST_DATA
from tests.support.text_scoring import DATA, evaluate, load_items, reader_function, red_flag_findings, table

CASES = yaml.safe_load((TEST_DATA / "text_cases.yaml").read_text())["cases"]
PAIRS = yaml.safe_load((TEST_DATA / "text_pairs.yaml").read_text())["cases"]


def _facts(intake: Intake) -> set[str]:
    p = intake.patient
    out = {f"concern:{c.code}" for c in intake.concerns if c.code}
    out |= {f"finding:{f}" for c in intake.concerns for f in c.findings}
    out |= {f"body_site:{c.body_site}" for c in intake.concerns if c.body_site}
    out |= {f"body_site:{t.body_site}" for t in intake.treatments if t.body_site}
    out |= {f"treatment:{t.code}" for t in intake.treatments}
    out |= {f"condition:{c}" for c in p.conditions} | {f"medication:{m}" for m in p.medications}
    for name in ("age_years", "pregnant", "breastfeeding"):
        value = getattr(p, name)
        if value is not None:
            out.add(f"patient:{name}={str(value).lower()}")
    if p.sex is not None:
        out.add(f"patient:sex={p.sex}")
    if p.fitzpatrick is not None:
        out.add(f"patient:fitzpatrick={p.fitzpatrick}")
    if intake.venue is not None and intake.venue.medical_supervision is not None:
        out.add(f"venue:medical_supervision={str(intake.venue.medical_supervision).lower()}")
    return out


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:40] for c in CASES])
def test_the_ways_patients_write(case: dict[str, Any], triage) -> None:  # type: ignore[no-untyped-def]
    merged, _ = merge_text(
        Intake(channel="TELEHEALTH_INTAKE", free_text=case["text"]), triage.reader, triage.ruleset.catalog
    )
    facts = _facts(merged)
    assert set(case.get("present", [])) <= facts, (
        f"missing {set(case.get('present', [])) - facts}; read {sorted(facts)}"
    )
    assert not set(case.get("not_present", [])) & facts, f"wrongly read {set(case.get('not_present', [])) & facts}"


def test_labelled_set_meets_the_recall_and_precision_bars(triage) -> None:  # type: ignore[no-untyped-def]
    items = load_items(DATA)
    assert len(items) >= 200
    catalog = triage.ruleset.catalog
    score = evaluate(reader_function(triage.reader, catalog), items, red_flag_findings(catalog))
    report = table(score, "labelled set") + "\n" + "\n".join(score.misses[:40])
    assert score.red_flag_recall() >= 0.97, report
    assert score.precision() >= 0.9, report


def _pair_requests(case: dict[str, Any]) -> tuple[pb.AssessRequest, pb.AssessRequest]:
    text = pb.AssessRequest(channel=pb.CHANNEL_TELEHEALTH_INTAKE, free_text=case["text"])
    coded = json_format.ParseDict({"channel": "CHANNEL_TELEHEALTH_INTAKE", **case["coded"]}, pb.AssessRequest())
    return text, coded


@pytest.mark.parametrize("case", PAIRS, ids=[c["name"] for c in PAIRS])
def test_text_only_and_coded_get_the_same_answer_from_the_core(case: dict[str, Any], assess_core) -> None:  # type: ignore[no-untyped-def]
    text, coded = _pair_requests(case)
    a, b = assess_core(text), assess_core(coded)
    assert (a.route, a.urgency) == (b.route, b.urgency), f"text {a.route}/{a.urgency} vs codes {b.route}/{b.urgency}"
    assert a.text_findings, "the text answer says what it read"


@pytest.mark.parametrize("case", PAIRS, ids=[c["name"] for c in PAIRS])
def test_text_only_and_coded_get_the_same_answer_through_the_server(case: dict[str, Any], stub) -> None:  # type: ignore[no-untyped-def]
    text, coded = _pair_requests(case)
    a, b = stub.Assess(text, timeout=10), stub.Assess(coded, timeout=10)
    assert (a.route, a.urgency) == (b.route, b.urgency)


def test_text_findings_report_code_kind_negation_and_span(assess_core) -> None:  # type: ignore[no-untyped-def]
    words = "No fever but the redness is spreading"
    response = assess_core(
        pb.AssessRequest(channel=pb.CHANNEL_TELEHEALTH_INTAKE, concerns=[pb.Concern(code="rash", text=words)])
    )
    found = {(f.code, f.negated, f.used, words[f.start : f.end].lower()) for f in response.text_findings}
    assert ("fever", True, False, "fever") in found
    assert any(code == "spreading_redness" and not neg and used for code, neg, used, _ in found)
    assert all(f.field == "concerns[0].text" for f in response.text_findings)
    fired = {r.rule_id for r in response.reasons}
    assert response.urgency == pb.URGENCY_URGENT and "redflag.infection.spreading" in fired
    assert not fired & {"redflag.fever", "redflag.rash.fever"}, "a negated fever must not count"


def test_structured_fields_win_over_text(triage) -> None:  # type: ignore[no-untyped-def]
    intake = Intake(channel="BOOKING", patient=Patient(pregnant=False, age_years=40), free_text="I'm 25 and pregnant")
    merged, report = merge_text(intake, triage.reader, triage.ruleset.catalog)
    assert merged.patient.pregnant is False and merged.patient.age_years == 40
    read = {f.mention.code: f for f in report}
    assert read["pregnant"].mention.value == "true" and not read["pregnant"].used
    assert read["age_years"].mention.value == "25" and not read["age_years"].used


def _read_with(triage, text: str, *concerns: Concern) -> Intake:  # type: ignore[no-untyped-def]
    intake = Intake(channel="BOOKING", free_text=text, concerns=concerns)
    return merge_text(intake, triage.reader, triage.ruleset.catalog)[0]


def test_a_coded_finding_wins_over_a_graver_reading_of_the_same_words(triage) -> None:  # type: ignore[no-untyped-def]
    """Structured mode: words the coder read as a coded finding are not read again as a graver one."""
    text = "microneedling 2 days ago, now lots of little bumps and my face is swollen and hot to touch"
    alone = _read_with(triage, text)
    assert "facial_or_tongue_swelling" in _facts_of(alone), "the text alone reads the graver finding"
    coded = Concern("procedure_complication", ("after_microneedling", "swelling", "warmth"), "face")
    merged = _read_with(triage, text, coded)
    assert "facial_or_tongue_swelling" not in _facts_of(merged), "the coder read 'swollen' as swelling"
    assert {"swelling", "warmth"} <= set(merged.concerns[0].findings)
    # words the coder did not read: swelling coded on the legs is no reading of a tongue
    legs = _read_with(triage, "my tongue is swelling", Concern("rash", ("swelling",), "legs"))
    assert "facial_or_tongue_swelling" in _facts_of(legs)


def test_a_text_finding_with_no_concern_named_goes_to_the_coded_concern_on_its_site(triage) -> None:  # type: ignore[no-untyped-def]
    coded = (Concern("wrinkles", (), "face"), Concern("mole", (), "back"))
    merged = _read_with(triage, "the one on my back has got bigger", *coded)
    by_code = {c.code: c for c in merged.concerns}
    assert "lesion_changed_size" in by_code["mole"].findings and not by_code["wrinkles"].findings


NET_HOLDS = [
    "had a peel last week, no problems, but now my eyelid droops. want another peel",
    "there's a weird bump on my back that won't go away, can I get a facial and a peel?",
    "I've got a boil on my thigh, would like laser hair removal on my legs",
    "my arm flared up last week, booking microdermabrasion on my face",
    "got this blotch on my neck, I'd like a facial",
]
NET_PASSES = [
    "no lumps or bumps, just want a peel",
    "I'd like a chemical peel for my face",
    "I get the odd spot, would like a peel",
    "I had Lyme disease from a tick bite in 2019, fully recovered. would like a peel",
    "Had a peel on my face three weeks ago - went fine. Now I'd like another peel",
]


@pytest.mark.parametrize("text", NET_HOLDS)
def test_a_problem_no_concept_places_is_held_and_screened(triage, text: str) -> None:  # type: ignore[no-untyped-def]
    """The safety net: words of a problem the reader cannot place never leave a treatment on the
    skin bookable, and the answer asks for the concern and its warning signs."""
    decision = triage.assess(Intake(channel="BOOKING", free_text=text, venue=Venue("MED_SPA", True)))
    assert decision.route is Route.DERMATOLOGIST
    assert "CONCERN_NOT_RECOGNISED" in decision.flags
    assert {"concern.code", "concern.red_flags"} <= {q.id for q in decision.questions}
    assert decision.treatments and not any(t.med_spa_appropriate for t in decision.treatments)


@pytest.mark.parametrize("text", NET_PASSES)
def test_words_that_name_no_problem_do_not_trip_the_net(triage, text: str) -> None:  # type: ignore[no-untyped-def]
    decision = triage.assess(
        Intake(channel="BOOKING", free_text=text, venue=Venue("MED_SPA", True), patient=Patient(pregnant=False))
    )
    assert "CONCERN_NOT_RECOGNISED" not in decision.flags
    assert any(t.med_spa_appropriate for t in decision.treatments)


def test_words_for_a_kindred_coded_concern_are_that_concern(triage) -> None:  # type: ignore[no-untyped-def]
    """Structured wins: "brown spots" the coder coded as age spots are those spots, so no second,
    undiagnosed spot holds the IPL; told with a warning sign, the spot is a concern of its own,
    with the sign, so the warning-sign rules apply to it."""
    coded = Concern("age_spots", (), "hands")
    merged = _read_with(triage, "brown spots on the backs of my hands for ten years", coded)
    assert [(c.code, c.body_site) for c in merged.concerns] == [("age_spots", "hands")]
    changed = _read_with(triage, "the brown spots on my hands, one has got bigger and bleeds", coded)
    assert [c.code for c in changed.concerns] == ["age_spots", "dark_spot"], "a spot told with a sign is its own"
    assert {"lesion_changed_size", "lesion_bleeding"} <= set(changed.concerns[1].findings)
    alone = _read_with(triage, "brown spots on the backs of my hands for ten years")
    assert "dark_spot" in {c.code for c in alone.concerns}, "with nothing coded, the text's reading stands"


def test_a_year_dates_what_it_follows_from_this_year(triage) -> None:  # type: ignore[no-untyped-def]
    """A year two or more gone is history; last year may be a month ago, so a course finished
    then is still recent (the six-month isotretinoin window counts from its December)."""
    this_year = datetime.date.today().year
    long_ago = _read_with(triage, f"finished roaccutane in {this_year - 3}, had botox in {this_year - 2}")
    assert not long_ago.patient.medications
    assert not any(c.findings for c in long_ago.concerns), "a treatment years gone leaves no finding"
    last_year = _read_with(triage, f"finished roaccutane in {this_year - 1}, had botox yesterday")
    assert last_year.patient.medications == ("isotretinoin_past_6_months",)
    this = _read_with(triage, f"had filler in {this_year} and now my lip is white and blotchy")
    assert {"after_filler", "skin_blanching_or_mottling"} <= {f for c in this.concerns for f in c.findings}


def test_a_treatment_in_words_with_no_site_is_for_the_concern_the_text_is_about(triage) -> None:  # type: ignore[no-untyped-def]
    merged = _read_with(
        triage, "rough scaly patches on top of my head for a year. Would a chemical peel take them off?"
    )
    assert [(t.code, t.body_site) for t in merged.treatments] == [("chemical_peel_medium", "scalp")]
    two_sites = _read_with(
        triage, "acne on my back and wrinkles on my forehead for years now. Would a chemical peel help?"
    )
    assert [t.body_site for t in two_sites.treatments] == [""], "concerns on two sites: no site is guessed"
    unsited = _read_with(triage, "some wrinkles, and a rash on my scalp. Would a chemical peel help with the wrinkles?")
    assert [t.body_site for t in unsited.treatments] == [""], "a concern with no site: the peel's site is not known"
    assert [c.body_site for c in unsited.concerns if c.code == "rash"] == ["scalp"], "a site across a sentence end"


def test_a_concern_named_on_the_whole_body_or_on_several_sites_is_on_the_whole_body(triage) -> None:  # type: ignore[no-untyped-def]
    # The widespread reading is the safer one: a rash with fever on the whole body is an emergency.
    listed = _read_with(triage, "a red rash since yesterday on my chest, arms, legs and back, and a temp of 39")
    assert [(c.code, c.body_site) for c in listed.concerns] == [("rash", "whole_body")]
    spread = _read_with(triage, "a spotty rash, it started on her tummy and now it's literally everywhere")
    assert [(c.code, c.body_site) for c in spread.concerns] == [("rash", "whole_body")]
    one = _read_with(triage, "a red itchy rash on my arms")
    assert [(c.code, c.body_site) for c in one.concerns] == [("rash", "arms")]
    # the sites treatments are asked for on are not the concern's
    asked = _read_with(triage, "a rash on my chest. I'd like botox on my forehead and lip filler and a peel on my neck")
    assert [(c.code, c.body_site) for c in asked.concerns] == [("rash", "chest")]
    # a concern told on two sites is on each; a site said before the treatment is the concern's too
    two = _read_with(triage, "I have rough scaly patches on my scalp and face, would a peel take them off?")
    assert [(c.code, c.body_site) for c in two.concerns] == [
        ("rough_scaly_patch", "scalp"),
        ("rough_scaly_patch", "face"),
    ]
    assert [(t.code, t.body_site) for t in two.treatments] == [("chemical_peel_medium", "face")]
    named = _read_with(triage, "botox for my crow's feet please")  # a concern named on the site keeps it
    assert [(c.code, c.body_site) for c in named.concerns] == [("wrinkles", "periocular")]
    assert [(t.code, t.body_site) for t in named.treatments] == [("botulinum_toxin", "periocular")]


def test_a_coded_treatment_is_the_context_a_burn_needs(triage) -> None:  # type: ignore[no-untyped-def]
    assert "burn_or_blistering" not in _facts_of(_read_with(triage, "it burns"))
    merged = _read_with(triage, "it burns", Concern("procedure_complication", ("after_energy_device",), "legs"))
    assert "burn_or_blistering" in merged.concerns[0].findings


def test_pustules_are_part_of_acne_but_a_coded_finding_stays(triage) -> None:  # type: ignore[no-untyped-def]
    merged = _read_with(triage, "lots of pus-filled spots on my chin", Concern("acne", (), "face"))
    assert "pus" not in merged.concerns[0].findings
    merged = _read_with(triage, "lots of spots on my chin", Concern("acne", ("pus",), "face"))
    assert "pus" in merged.concerns[0].findings, "what the coder coded is not dropped"


def _facts_of(intake: Intake) -> set[str]:
    return {f for c in intake.concerns for f in c.findings}


def test_the_compiled_text_reader_is_built_from_the_current_source() -> None:
    """mypyc compiles the text reader's modules; a build older than its source would run stale code."""
    import os

    from service.domain.text import merge, reader, rules, tokens

    for module in (merge, reader, rules, tokens):
        if not module.__file__ or module.__file__.endswith(".py"):
            pytest.skip("the text reader runs as pure Python (not compiled)")
        source = Path(module.__file__).with_name(module.__name__.rsplit(".", 1)[1] + ".py")
        assert os.path.getmtime(module.__file__) >= os.path.getmtime(source), "stale build: run `make test`"


# Words the reader acts on mixed with characters that break naive code: numbers in other
# scripts, a capital whose lower case is longer (İ), apostrophes, clause marks.
_SOUP = st.lists(
    st.sampled_from(["i am", "aged", "18", "١٧", "２５", "mm", "cm", "years old", "mole", "bleeding", "no", "not",
                     "pregnant", "botox", "İ", "ß", "'", "’", ".", ",", "\n", " ", "dont'i", "my mum", "had"]),
    max_size=60,
).map(" ".join)  # fmt: skip


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(free_text=st.text(max_size=2000) | _SOUP, concern_text=st.text(max_size=300) | _SOUP)
@example(free_text="İ have a mole, İ am 17", concern_text="ß")
def test_any_text_is_read_without_failing(triage, free_text: str, concern_text: str) -> None:  # type: ignore[no-untyped-def]
    """Arbitrary Unicode (control characters, emoji, other scripts) never breaks an answer."""
    intake = Intake(channel="TELEHEALTH_INTAKE", free_text=free_text, concerns=(Concern(text=concern_text or "x"),))
    decision = triage.assess(intake)
    assert decision.route is not None
    for finding in decision.text_findings:
        source = free_text if finding.field == "free_text" else (concern_text or "x")
        assert 0 <= finding.mention.start < finding.mention.end <= len(source)
        if finding.mention.code == "mole":  # offsets are into the text as sent
            assert source[finding.mention.start : finding.mention.end].lower() in ("mole", "moles")


_AGE_PHRASES = st.sampled_from(
    ["i am {n}", "i'm {n}", "aged  {n}", "age: {n}", "{n} years old", "{n}-year-old", "{n} yrs old", "{n}yo",
     "{n} y/o", "{n}f", "{n} m", "turning {n}", "about {n} moles", "{n}mm", "for {n} days", "{n}"]
)  # fmt: skip
_FILLER = st.sampled_from(["", " ", ", ", ". ", " and ", "\n", " my mole is ", " botox ", "x", "x'", "dont'"])
# How the number is written: ASCII, Arabic-Indic and full-width digits all read as ages.
_DIGITS = st.sampled_from(["0123456789", "٠١٢٣٤٥٦٧٨٩", "０１２３４５６７８９"])


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.tuples(_FILLER, _AGE_PHRASES, st.integers(0, 250), _DIGITS), min_size=1, max_size=5))
def test_the_age_is_the_first_a_full_scan_of_the_text_finds(triage, parts) -> None:  # type: ignore[no-untyped-def]
    """Age patterns are tried only at the words before each number; a scan of the whole text is the reference."""
    reader = triage.reader
    text = "".join(
        filler + phrase.format(n=str(n).translate(str.maketrans("0123456789", d))) for filler, phrase, n, d in parts
    )
    expected = None
    patterns = triage.ruleset.text_rules.age_patterns  # the reader tries them as one alternation
    every_age = re.compile("|".join(f"(?:{p.pattern})" for p in patterns))
    for m in every_age.finditer(text.lower()):
        value = next(g for g in m.groups() if g is not None)
        if 0 < int(value) <= 120:
            expected = value
            break
    ages = [m.value for m in reader.read(text) if m.kind == "patient_fact" and m.code == "age_years"]
    assert ages == ([expected] if expected else []), text


@settings(max_examples=300)
@given(
    text=st.text(alphabet=st.sampled_from(list("ab9'’ .!?;:\n()[]-é_İ\t٣")), max_size=60)
    | st.text(max_size=60).map(str.lower)
)
def test_the_word_scanner_splits_as_the_word_and_clause_expressions_do(text: str) -> None:
    """tokens.scan does in one pass over character codes what a regular-expression pass for
    words and one for clause marks do; has_digit what a search for a digit does."""
    import bisect
    import re

    from service.domain.text.tokens import DIGIT, WORD, has_digit, scan

    assert has_digit(text) == bool(DIGIT.search(text))
    spans = [m.span() for m in WORD.finditer(text)]
    marks = [m.start() for m in re.finditer(r"[.!?;:\n()\[\]]", text)]
    expected = ([a for a, _ in spans], [b for _, b in spans], [bisect.bisect_left(marks, a) for a, _ in spans])
    assert scan(text) == expected


def test_a_treatment_done_is_the_context_of_the_problems_its_own_words_tell(triage) -> None:  # type: ignore[no-untyped-def]
    told = "had filler in my tear troughs today to soften the 11s. now the skin between my brows went white, it hurts"
    blanched = [c for c in _read_with(triage, told).concerns if "skin_blanching_or_mottling" in c.findings]
    assert blanched and all("after_filler" in c.findings for c in blanched)
