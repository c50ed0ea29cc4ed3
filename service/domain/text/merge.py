"""Merging what was read into the intake: structured fields win where both speak."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from ..catalog import Catalog
from ..facts import WHOLE_BODY
from ..mentions import HISTORICAL, LISTED, NEGATED, OTHER_PERSON, PRESENT, UNEVENTFUL, Mention, TextFinding
from ..model import READ_FROM_TEXT, Concern, Intake, Patient, TreatmentRequest, Venue
from ..validate import MAX_ITEMS  # what text adds stays within what a request may send
from .reader import TextReader


@dataclass
class _Draft:
    code: str
    findings: list[str] = field(default_factory=list)
    body_site: str = ""
    text: str = ""
    coded: tuple[str, ...] = ()  # the findings the request coded (the rest were read from text)
    sites: list[str] = field(default_factory=list)  # the body sites read from text for it
    problem: bool = False  # told only in words that name a problem ("a strange thing on my lip")
    fine: set[str] = field(default_factory=set)  # treatments' findings told as going fine ("went fine")
    denied: bool = False  # a warning sign of it is told absent ("none of them have changed")
    unsure: bool = False  # a sign negated only by a list run on past a comma ("doesn't itch, bleeds")


_SENTENCE_END = re.compile(r"[.!?\n]")
_PUNCTUATION = re.compile(r"[,.;:!?\n]")
# Words that tell a condition is active now ("now I have eczema", "my eczema is flaring").
_NOW_BEFORE = re.compile(r"\b(?:now|currently)\b[^,.;:!?]*$", re.IGNORECASE)
_ACTIVE_AFTER = re.compile(
    r"[^.;:!?]*?\b(?:flaring|flared|flare up|flare-up|playing up|right now|at the moment|currently|worse|bad|itchy|"
    r"cracked|cracking|weeping|sore|red|raw|steroid)\b",
    re.IGNORECASE,
)
_SPOT_SIGNS = frozenset({"lesion_bleeding", "lesion_non_healing", "lesion_crusted", "lesion_rapid_growth"})
_NOW_REACH = 40  # characters either side of the condition's words
_UNSURE = re.compile(
    r"\b(?:not sure|unsure|dont think|don't think|i think|maybe|might|new one|one of them|one has|one is|except one|"
    r"apart from one)\b",
    re.IGNORECASE,
)
# A turn to something new: a stop or comma, a contrast, or a new subject ("its not hives its
# swelling in her throat").
_TURN = re.compile(
    r"[,.;:!?\n]|\b(?:but|however|though|although|yet|except|now|it'?s|it is|this is|that'?s|that is|"
    r"they'?re|they are|instead|rather|more like|just|only|looks like|seems like|actually)\b",
    re.IGNORECASE,
)
_OF_DENIED_WORDS = 3
# A concern told on this many different sites, or on the whole body, is on the whole body.
_WIDESPREAD_SITES = 3


def merge_text(intake: Intake, reader: TextReader, catalog: Catalog) -> tuple[Intake, tuple[TextFinding, ...]]:
    """The intake with the facts its texts state added; structured fields win on conflict."""
    concerns = [_Draft(c.code, list(c.findings), c.body_site, c.text, c.findings) for c in intake.concerns]
    coded = len(concerns)  # the concerns the request codes come first
    # Coded findings are context for the words that need one ("it burns" after a coded laser),
    # and what the coder read the text as.
    context = frozenset(f for c in intake.concerns for f in c.findings)
    treatments = [TreatmentRequest(t.code, t.body_site) for t in intake.treatments]
    conditions = list(intake.patient.conditions)
    medications = list(intake.patient.medications)
    facts: dict[str, str] = {}
    conflicting: set[str] = set()
    report: list[TextFinding] = []
    p0, v0 = intake.patient, intake.venue
    structured = {  # facts the request already states: text does not override them
        name
        for name, value in (
            ("age_years", p0.age_years),
            ("pregnant", p0.pregnant),
            ("breastfeeding", p0.breastfeeding),
            ("sex", p0.sex),
            ("fitzpatrick", p0.fitzpatrick),
            ("venue_kind", v0.kind if v0 else None),
            ("medical_supervision", v0.medical_supervision if v0 else None),
        )
        if value is not None
    }
    after = reader.rules.after_treatment
    after_codes = frozenset(after.values())
    site_distance = reader.rules.windows.site_distance

    def read(field_name: str, text: str, own: _Draft | None) -> None:
        mentions = reader.read(text, context)
        first_new = len(concerns)  # the concerns this text makes start here
        used: set[int] = set()
        anchors: list[tuple[Mention, _Draft]] = []  # concerns mentioned here, for linking findings
        # a warning sign told keeps a spot its own concern (no coded kin takes it)
        signs = coded > 0 and any(
            x.kind == "finding"
            and x.assertion == PRESENT
            and (x.code in reader.rules.lesion_findings or x.code in _SPOT_SIGNS)
            for x in mentions
        )
        words: list[str] | None = None  # the text's words, when a coded reading is compared
        for k, m in enumerate(mentions):
            if m.kind == "concern" and m.assertion == HISTORICAL and m.code in reader.rules.history_condition:
                mentions[k] = m = Mention(
                    "condition", reader.rules.history_condition[m.code], m.start, m.end, PRESENT, "", m.first, m.last
                )
            if m.kind == "condition" and m.assertion == PRESENT and m.code in reader.rules.active_conditions:
                nxt = mentions[k + 1] if k + 1 < len(mentions) else None
                before = mentions[k - 1] if k > 0 else None
                if (
                    (
                        nxt is not None
                        and nxt.kind in ("body_site", "finding")
                        and nxt.assertion == PRESENT
                        and nxt.first - m.last <= site_distance
                        and not _SENTENCE_END.search(text, m.end, nxt.start)
                    )
                    or (  # "my eyelids have eczema"
                        before is not None
                        and before.kind == "body_site"
                        and before.assertion == PRESENT
                        and m.first - before.last <= site_distance
                        and not _SENTENCE_END.search(text, before.end, m.start)
                    )
                    or _NOW_BEFORE.search(text, max(0, m.start - _NOW_REACH), m.start)  # "now I have eczema"
                    or _ACTIVE_AFTER.match(text, m.end, m.end + _NOW_REACH)  # "eczema, it's flaring"
                ):
                    # "I have eczema on my hands": the condition, and the concern there.
                    if m.code not in conditions:
                        conditions.append(m.code)
                    mentions[k] = m = Mention(
                        "concern", reader.rules.active_conditions[m.code], m.start, m.end, PRESENT, "", m.first, m.last
                    )
            if m.kind == "concern" and m.assertion == PRESENT:
                draft = own if own is not None and not own.code else None
                if draft is not None:
                    draft.code = m.code
                else:
                    draft = next((c for c in concerns if c.code == m.code), None)
                    if draft is None and not signs:  # "brown spots" the coder coded as age spots are those
                        kin = reader.rules.coded_kin
                        draft = next((c for c in concerns[:coded] if kin.get(c.code) == m.code), None)
                    if draft is None and len(concerns) < MAX_ITEMS:
                        draft = _Draft(m.code)
                        concerns.append(draft)
                if draft is not None:
                    anchors.append((m, draft))
                    used.add(k)
        near = _Near(mentions, anchors)
        sites = {
            k: _treatment_site(m, near, mentions, text, site_distance)
            for k, m in enumerate(mentions)
            if m.kind == "treatment" and m.assertion == PRESENT
        }
        # A site a treatment is asked for on in or after its name is no concern's ("a rash on my chest;
        # botox on my forehead and lip filler": the rash is on the chest only), unless a concern
        # names it ("botox for my crow's feet": the wrinkles are there too). One said before the
        # treatment may be the concern's as well ("patches on my scalp and face, would a peel
        # take them off?": the patches are on the face too).
        named = {(a.first, a.last) for a, _ in anchors}
        used.update(
            k
            for t, k in sites.items()
            if k >= 0 and mentions[k].last >= mentions[t].first and (mentions[k].first, mentions[k].last) not in named
        )
        # So is one that names the treatment, just before it, with the sites listed with it ("the
        # hand and arm massage", "an underarm laser"): the treatment is asked for on each, and a
        # nail told of beside it stays on the nail.
        listed: dict[int, list[str]] = {}  # treatment mention -> the other sites listed with its own
        for t, k in sites.items():
            if k < 0 or mentions[t].first - mentions[k].last != 1 or (mentions[k].first, mentions[k].last) in named:
                continue
            if _PUNCTUATION.search(text, mentions[k].end, mentions[t].start):
                continue  # "a rash on my chest, back, arms and legs, waxing ok?": the rash's list
            if words is None:
                words = reader.tokens(text)[0].words
            chain = [k]
            j = k - 1
            while j >= 0 and mentions[j].kind == "body_site" and (mentions[j].first, mentions[j].last) not in named:
                gap = words[mentions[j].last + 1 : mentions[j + 1].first]
                if not gap or not all(w in reader.rules.list_words for w in gap):
                    break
                if _PUNCTUATION.search(text, mentions[j].end, mentions[j + 1].start):
                    break
                chain.append(j)
                j -= 1
            # a list of sites a concern was told on just before is the concern's ("a rash on my
            # chest, arms and legs waxing ok?"): the treatment takes none of it
            h = chain[-1] - 1
            while h >= 0 and mentions[h].kind == "body_site":
                h -= 1  # past the rest of the list ("chest, back,")
            head = mentions[h] if h >= 0 else None
            if (
                head is not None
                and head.kind in ("concern", "finding", "problem", "condition")
                and not (_SENTENCE_END.search(text, head.end, mentions[chain[-1]].start))
            ):
                continue
            used.update(chain)
            listed.setdefault(t, []).extend(mentions[j].code for j in chain[1:])
        # So is the site of one had before or by another, said after its name and its date ("had
        # laser hair removal in 2022 on my legs, want botox for frown lines": no lines on the legs),
        # unless a problem is told on it next ("had filler in 2019 and now my lips have lumps").
        looked: set[int] = set()  # each site once, however many treatments precede it
        for m in mentions:
            if m.kind == "treatment" and m.assertion in (HISTORICAL, OTHER_PERSON):
                k = near.site(m.last, 2 * site_distance, only_after=True)
                if k in looked:
                    continue
                looked.add(k)
                if (
                    k >= 0
                    and (mentions[k].first, mentions[k].last) not in named
                    and not _SENTENCE_END.search(text, m.end, mentions[k].start)
                    and not _problem_follows(mentions, k, text)
                ):
                    used.add(k)
        # Body sites last, so that they go to the concerns the findings and problems make; a body
        # site alone is no problem ("a peel for my face", "my upper back is tight") and makes none.
        order = [k for k, m in enumerate(mentions) if m.kind != "body_site"]
        order += [k for k, m in enumerate(mentions) if m.kind == "body_site"]
        for k in order:
            m = mentions[k]
            if k in used:
                continue
            if m.kind == "problem":
                # A problem no concept names: a concern told only in words, where no other is.
                if m.assertion == PRESENT and not concerns and len(concerns) < MAX_ITEMS:
                    concerns.append(_Draft("", text=READ_FROM_TEXT))
                continue
            if m.kind == "finding" and m.assertion == PRESENT and k > 0 and _of_denied(mentions[k - 1], m, text):
                continue  # "none of my moles have changed": the change is of the moles denied
            if m.kind in ("finding", "body_site") and m.assertion == PRESENT:
                target = near.concern(m) or own or _fallback(m, near, mentions, concerns, reader, site_distance)
                if target is None and m.kind == "body_site":
                    continue
                if target is None and len(concerns) < MAX_ITEMS:
                    target = _Draft("", text=READ_FROM_TEXT)
                    concerns.append(target)
                if target is None:
                    continue
                if m.kind == "finding":
                    rules = reader.rules
                    if m.code in rules.lesion_findings and target.code and target.code not in rules.lesion_concerns:
                        continue  # a lesion feature on another concern ("itchy psoriasis")
                    if context and m.last > m.first and m.code not in context:
                        # Structured wins where both speak: words the coder read as a coded
                        # finding on that site ("my face is swollen", swelling coded on the face)
                        # are not read again as a graver one (facial swelling). Elsewhere the
                        # coder did not read them ("my tongue is swelling", swelling coded on
                        # the legs): the graver finding stands.
                        if words is None:
                            words = reader.tokens(text)[0].words
                        within = reader.findings_within(words, m.first, m.last)
                        at = near.site(m.first, site_distance)
                        said_on = mentions[at].code if at >= 0 else ""
                        if said_on and any(
                            c.body_site == said_on and not within.isdisjoint(c.findings) for c in intake.concerns
                        ):
                            continue
                    if m.code not in target.findings:
                        target.findings.append(m.code)
                        if m.value == UNEVENTFUL:
                            target.fine.add(m.code)
                    used.add(k)
                elif not target.body_site or target.sites:
                    # A concern named on the whole body, or on several sites ("chest, arms, legs,
                    # back"), is on the whole body: the widespread reading is the safer one.
                    if m.code not in target.sites:  # each site once: a site said a thousand times is one
                        target.sites.append(m.code)
                    # the parts of the face are one region ("eyelids, round her mouth and cheeks")
                    face = reader.rules.face_sites
                    regions = {"face" if s in face else s for s in target.sites}
                    widespread = WHOLE_BODY in target.sites or len(regions) >= _WIDESPREAD_SITES
                    target.body_site = WHOLE_BODY if widespread else target.sites[0]
                    used.add(k)
            elif m.kind == "finding" and m.assertion == NEGATED:
                denied = near.concern(m)
                if denied is not None:
                    denied.denied = denied.denied or m.code in reader.rules.lesion_findings
                    denied.unsure = denied.unsure or m.value == LISTED
            elif m.kind == "treatment" and m.assertion == PRESENT:
                if all(t.code != m.code for t in treatments) and len(treatments) < MAX_ITEMS:
                    site = sites.get(k, -1)
                    treatments.append(TreatmentRequest(m.code, mentions[site].code if site >= 0 else ""))
                    for other in listed.get(k, ()):
                        if len(treatments) < MAX_ITEMS:
                            treatments.append(TreatmentRequest(m.code, other))
                used.add(k)
            elif m.kind in ("condition", "medication") and m.assertion == PRESENT:
                values = conditions if m.kind == "condition" else medications
                if m.code not in values:
                    values.append(m.code)
                used.add(k)
            elif m.kind in ("patient_fact", "venue_fact") and m.assertion in (PRESENT, NEGATED):
                if m.assertion == NEGATED and m.value not in ("true", "false"):
                    continue  # "not a med spa", "not male": nothing known
                value = m.value
                if m.code in ("sex", "fitzpatrick") and facts.get(m.code, value) != value:
                    conflicting.add(m.code)  # two sexes or two skin types read: neither is known
                if m.code in ("pregnant", "breastfeeding") and value == "true" and facts.get(m.code) == "false":
                    # "weaned my first, breastfeeding my second now": the safer reading
                    facts[m.code] = value
                if m.code == "medical_supervision" and value == "false" and facts.get(m.code) == "true":
                    # "we have a medical director, but she never comes in": none, the safer reading
                    facts[m.code] = value
                if m.code not in facts:
                    facts[m.code] = value
                    if m.code not in structured:
                        used.add(k)
        # A treatment done is the context of every problem the same words tell of on its site or
        # none ("had filler today ... to soften the 11s ... the skin between my brows went white"):
        # the blanching is after the filler, whichever concern it was said nearest.
        # Each concern once, however often the text names it.
        if any(m.kind == "problem" and m.assertion == PRESENT for m in mentions):
            for d in concerns[first_new:]:
                d.problem = d.text == READ_FROM_TEXT
        by_id = {id(d): d for _, d in anchors}
        by_id.update((id(d), d) for d in concerns[first_new:] if d.text == READ_FROM_TEXT)
        told = list(by_id.values())
        done = {(f, d.body_site) for d in told for f in d.findings if f in after_codes}
        for d in told:
            have = set(d.findings)
            for after_finding, on in done:
                if after_finding not in have and (on == d.body_site or "" in (on, d.body_site)):
                    d.findings.append(after_finding)
                    have.add(after_finding)
        report.extend(TextFinding(field_name, m, k in used) for k, m in enumerate(mentions) if m.kind != "problem")

    for i, c in enumerate(intake.concerns):
        if c.text:
            read(f"concerns[{i}].text", c.text, concerns[i])
    if intake.free_text:
        read("free_text", intake.free_text, None)
    if not report:
        return intake, ()

    after_findings = set(after.values())
    for draft in concerns:
        for own_concerns, own_findings, unless in reader.rules.own_findings:
            # Part of the concern's own picture (the pustules of acne), unless more is stated.
            if draft.code in own_concerns and unless.isdisjoint(draft.findings):
                draft.findings[:] = [f for f in draft.findings if f not in own_findings or f in draft.coded]
        for together, add, drop in reader.rules.derive:
            if together <= set(draft.findings) and add not in draft.findings:
                draft.findings[:] = [f for f in draft.findings if f not in drop] + [add]
        # A problem told only in words, after a treatment: a complication of that treatment.
        if not draft.code and reader.rules.complication_concern and after_findings & set(draft.findings):
            if set(draft.findings) - after_findings:
                draft.code = reader.rules.complication_concern
        # A problem told only in words with a spot's warning signs ("a new one on my leg, weird
        # shape, 8 mm") is an undiagnosed spot, so the checklists for a spot apply (the safer
        # answer): two of its features, or one with a word of a problem ("spot", "lump"), never on
        # the whole body ("my chin has got bigger", "itchy bumps everywhere" are no spot).
        lesion = reader.rules.lesion_concern
        features = len(reader.rules.lesion_findings.intersection(draft.findings))
        spot = draft.body_site != WHOLE_BODY and (features >= 2 or (features and draft.problem))
        if not draft.code and lesion and spot:
            draft.code = lesion

    # Facts that are no problem alone, told with no concern ("a tan on my legs"), are of the
    # concern a treatment asked for on their site is for; with more than one such treatment
    # or none, the concern stays one told only in words.
    rules = reader.rules
    for draft in concerns:
        if draft.code or draft.text != READ_FROM_TEXT or draft.problem or not draft.findings:
            continue  # a problem told in words stays one, whatever treatment was had
        if not rules.context_findings.issuperset(draft.findings):
            continue
        codes = {
            rules.treatment_concerns.get(t.code, "")
            for t in treatments
            if not draft.body_site or not t.body_site or t.body_site == draft.body_site
        }
        if len(codes) == 1 and "" not in codes:
            draft.code, draft.text = next(iter(codes)), ""
            draft.body_site = draft.body_site or next(
                (t.body_site for t in treatments if rules.treatment_concerns.get(t.code) == draft.code), ""
            )

    # A spot told only to say it is fine ("I have quite a few moles, but none of mine have
    # changed", "a mole I've had since a kid, no bleeding, it hasn't changed"), on no site said,
    # beside what the intake is about (another concern, or a treatment), is background, on no
    # treatment's skin: it is no concern. Told alone, with a site or with any sign present, it
    # stays one.
    # A hedge, a spot singled out or the patient's own skin cancer before keeps it ("I don't
    # think any have changed", "though there's a new one"); a mother's melanoma does not.
    sure: list[bool] = []  # found once, and only when a spot may be background

    def background(d: _Draft) -> bool:
        if not (d.denied and d.code in rules.lesion_concerns):
            return False
        if not sure:
            texts = [t for t in (intake.free_text, *(c.text for c in intake.concerns)) if t]
            # one text is the one just read: its words are the reader's already
            told = texts[0] if len(texts) == 1 else " ".join(texts)
            sure.append(not _UNSURE.search(told) and "skin_cancer_history" not in conditions)
            # checked by a doctor and fine: diagnosed, on whatever site ("moles on my legs my
            # dermatologist checked in March, none has changed")
            sure.append(sure[0] and _says(reader.tokens(told)[0].words, rules.examined))
        return sure[0] and not d.unsure and not d.findings and (not d.body_site or sure[1])

    if treatments or any(not background(d) for d in concerns):
        concerns = [d for i, d in enumerate(concerns) if i < coded or not background(d)]
    # A treatment had that went fine ("botox three weeks ago, went fine; now lip filler") is no
    # problem: told with nothing else, and of no concern a treatment asked for is for, it is none.
    concerns = [
        d
        for d in concerns
        if d.code or d.text != READ_FROM_TEXT or d.problem or not (d.fine and d.fine.issuperset(d.findings))
    ]

    # A treatment asked for in words with no site of its own is for the concern the text is
    # about, when all its concerns are on one site ("rough patches on my scalp... would a peel
    # take them off?"): the peel is on the scalp, not the face a peel is usually for.
    concern_sites = {d.body_site for d in concerns}
    if len(concern_sites) == 1 and "" not in concern_sites:
        site = next(iter(concern_sites))
        for i in range(len(intake.treatments), len(treatments)):
            if not treatments[i].body_site and treatments[i].code not in reader.rules.sited_by_name:
                treatments[i] = TreatmentRequest(treatments[i].code, site)

    p = intake.patient
    age = p.age_years if p.age_years is not None else (int(facts["age_years"]) if "age_years" in facts else None)
    sex = p.sex if p.sex is not None or "sex" in conflicting else facts.get("sex")
    # a man is neither pregnant nor breastfeeding: words of it are someone else's ("my partner
    # is pregnant, I want laser on my back")
    told = {} if sex == "MALE" else facts
    patient = Patient(
        age_years=age,
        pregnant=p.pregnant if p.pregnant is not None else _bool(told.get("pregnant")),
        breastfeeding=p.breastfeeding if p.breastfeeding is not None else _bool(told.get("breastfeeding")),
        fitzpatrick=p.fitzpatrick
        if p.fitzpatrick is not None or "fitzpatrick" in conflicting
        else facts.get("fitzpatrick"),
        conditions=tuple(conditions),
        medications=tuple(medications),
        sex=sex,
    )
    venue = intake.venue
    if venue is None and ("venue_kind" in facts or "medical_supervision" in facts):
        venue = Venue(facts.get("venue_kind", "MED_SPA"), _bool(facts.get("medical_supervision")))
    elif venue is not None and venue.medical_supervision is None and "medical_supervision" in facts:
        venue = Venue(venue.kind, _bool(facts["medical_supervision"]))
    merged = Intake(
        request_id=intake.request_id,
        channel=intake.channel,
        patient=patient,
        concerns=_concerns(concerns),
        treatments=tuple(treatments),
        venue=venue,
        free_text=intake.free_text,
    )
    return merged, tuple(report)


def _concerns(drafts: list[_Draft]) -> tuple[Concern, ...]:
    """The concerns, one for each site a concern was told on ("rough patches on my scalp and
    face": on the scalp and on the face, so a peel on the face meets them), up to MAX_ITEMS."""
    out = [Concern(d.code, tuple(d.findings), d.body_site, d.text) for d in drafts]
    for d in drafts:
        for site in dict.fromkeys(d.sites):
            if site != d.body_site and d.body_site != WHOLE_BODY and len(out) < MAX_ITEMS:
                out.append(Concern(d.code, tuple(d.findings), site, d.text))
    return tuple(out)


def _says(words: list[str], phrases: frozenset[tuple[str, ...]]) -> bool:
    """Whether the words hold one of the phrases."""
    if not phrases:
        return False
    firsts = {p[0] for p in phrases}
    return any(w in firsts and any(tuple(words[i : i + len(p)]) == p for p in phrases) for i, w in enumerate(words))


def _bool(value: str | None) -> bool | None:
    return None if value is None else value == "true"


class _Near:
    """What is nearest a word of one text, a body site or a concern named there, found by
    bisection over positions sorted once: a text of thousands of findings and sites costs a
    lookup for each, not a scan of all. Ties go to the one before, then the one named first."""

    def __init__(self, mentions: list[Mention], anchors: list[tuple[Mention, _Draft]]) -> None:
        self.sites = sorted(
            (x.first, k) for k, x in enumerate(mentions) if x.kind == "body_site" and x.assertion == PRESENT
        )
        self.anchors = anchors
        self.by_last = sorted((a.last, i) for i, (a, _) in enumerate(anchors))
        self.by_first = sorted((a.first, i) for i, (a, _) in enumerate(anchors))

    def site(self, at: int, distance: int, after_on_a_tie: bool = False, only_after: bool = False) -> int:
        """The index of the body site nearest word ``at``, at most ``distance`` words away, or -1;
        on a tie the one before, or with ``after_on_a_tie`` the one after (a treatment's site:
        "a rash on my chest. Botox on my forehead")."""
        j = bisect.bisect_left(self.sites, (at, -1))  # the first site at or after ``at``
        before = _first_of_run(self.sites, j - 1) if j > 0 and not only_after else None
        after = self.sites[j] if j < len(self.sites) else None
        tie_before = 0 if after_on_a_tie else 1
        if before is not None and (after is None or at - before[0] < after[0] - at + tie_before):
            return before[1] if at - before[0] <= distance else -1
        return after[1] if after is not None and after[0] - at <= distance else -1

    def concern(self, m: Mention) -> _Draft | None:
        """The concern named nearest before the mention (else nearest after), in words."""
        j = bisect.bisect_right(self.by_last, (m.first, len(self.anchors)))
        if j > 0:
            return self.anchors[_first_of_run(self.by_last, j - 1)[1]][1]
        j = bisect.bisect_right(self.by_first, (m.last, len(self.anchors)))
        return self.anchors[self.by_first[j][1]][1] if j < len(self.by_first) else None


def _of_denied(before: Mention, m: Mention, text: str) -> bool:
    """Whether finding ``m`` is said of the negated concern just before it, a few words back
    with no stop, comma or turn between ("none of my moles have changed")."""
    return (
        before.kind in ("concern", "problem")
        and before.assertion == NEGATED
        and m.first - before.last <= _OF_DENIED_WORDS
        and _TURN.search(text, before.end, m.start) is None
    )


def _problem_follows(mentions: list[Mention], k: int, text: str) -> bool:
    """Whether the next mention after body site ``k`` other than a site is a concern, a finding
    or a problem told in the same sentence: the site is where that problem is."""
    for m in mentions[k + 1 :]:
        if m.kind == "body_site":
            continue
        return (
            m.kind in ("concern", "finding", "problem", "condition")
            and m.assertion == PRESENT
            and not _SENTENCE_END.search(text, mentions[k].end, m.start)
        )
    return False


def _treatment_site(m: Mention, near: _Near, mentions: list[Mention], text: str, distance: int) -> int:
    """The body site a treatment named in words is asked for on: the nearest, the one after it on
    a tie, never one across the end of a sentence ("a rash on my scalp. Would a peel help?")."""
    k = near.site(m.last, distance, after_on_a_tie=True)
    if k >= 0 and mentions[k].last < m.first and _SENTENCE_END.search(text, mentions[k].end, m.start):
        k = near.site(m.last, distance, only_after=True)
    return k


def _first_of_run(pairs: list[tuple[int, int]], j: int) -> tuple[int, int]:
    """Of the sorted (position, index) pairs at ``pairs[j]``'s position, the first named."""
    return pairs[bisect.bisect_left(pairs, (pairs[j][0], -1))]


def _fallback(
    m: Mention, near: _Near, mentions: list[Mention], concerns: list[_Draft], reader: TextReader, distance: int
) -> _Draft | None:
    """The concern a finding named with no concern near it is about: the one on the body site
    stated next to it ("itchy on my back": the concern on the back), else for a lesion feature
    the first lesion concern, else the first concern."""
    if not concerns:
        return None
    k = near.site(m.first, distance)
    site = mentions[k].code if k >= 0 else ""
    if site:
        for c in concerns:
            if c.body_site == site:
                return c
    rules = reader.rules
    if m.kind == "finding" and m.code in rules.lesion_findings:
        for c in concerns:
            if c.code in rules.lesion_concerns:
                return c
    return concerns[0]
