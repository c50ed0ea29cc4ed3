"""Reads patients' own words into the same facts as the structured codes.

A dictionary matcher over the catalog synonyms (longest phrase first, with one-edit typo
tolerance for words no English dictionary knows), then ConText-style cue rules from
``rules/text.yaml`` decide whether each mention is stated about the patient now (present),
negated, hypothetical, historical, or about another person. Only present mentions become
facts; negated pregnancy and breastfeeding statements become "no". Standard library only:
the word list that guards typo correction is passed in by the caller.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .catalog import Catalog
from .errors import RulesError
from .model import HISTORICAL, NEGATED, PRESENT, Concern, Intake, Mention, Patient, TextFinding, TreatmentRequest, Venue

KINDS = ("concern", "finding", "body_site", "condition", "medication", "treatment")
CUE_TYPES = ("negation", "hypothetical", "historical", "other_person", "treatment_done")
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_BOUNDARY = re.compile(r"[.!?;:\n()\[\]]")
_NEGATION_WINDOW = 3  # tokens between a negation cue and the first mention it negates
_MAX_ITEMS = 20


@dataclass(frozen=True, slots=True)
class Token:
    norm: str
    start: int
    end: int


def normalize_word(word: str, spelling: Mapping[str, str]) -> str:
    word = word.replace("'", "").replace("’", "")
    if not word.isascii():
        word = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
    return spelling.get(word, word)


@dataclass(frozen=True)
class TextRules:
    """The cue words and fact phrases of ``rules/text.yaml``, normalised."""

    spelling: Mapping[str, str]
    cues: Mapping[tuple[str, ...], tuple[tuple[str, str], ...]]  # phrase -> ((type, "before"|"after"), ...)
    after_treatment: Mapping[str, str]
    list_words: frozenset[str]
    terminators: frozenset[str]
    first_person: frozenset[str]
    fact_phrases: Mapping[tuple[str, ...], tuple[tuple[str, str, str], ...]]  # phrase -> ((kind, code, value),)
    age_patterns: tuple[re.Pattern[str], ...]

    @classmethod
    def from_data(cls, file: str, data: Any, catalog: Catalog) -> TextRules:
        if not isinstance(data, dict):
            raise RulesError(file, "must be a mapping")
        spelling = {str(k): str(v) for k, v in (data.get("spelling") or {}).items()}

        def phrase(text: Any, where: str) -> tuple[str, ...]:
            if not isinstance(text, str) or not text.strip():
                raise RulesError(file, f"{where}: phrases must be non-empty strings")
            return tuple(normalize_word(w, spelling) for w in _WORD.findall(text.lower()))

        cues: dict[tuple[str, ...], list[tuple[str, str]]] = {}
        for cue_type in CUE_TYPES:
            section = data.get(cue_type)
            if not isinstance(section, dict) or not set(section) <= {"before", "after"}:
                raise RulesError(file, f"'{cue_type}' needs 'before' and/or 'after' lists")
            for direction, phrases in section.items():
                for p in phrases or []:
                    cues.setdefault(phrase(p, f"{cue_type}.{direction}"), []).append((cue_type, direction))
        after = data.get("after_treatment") or {}
        for treatment, finding in after.items():
            if treatment not in catalog.codes("treatment") or finding not in catalog.codes("finding"):
                raise RulesError(file, f"after_treatment: unknown code in {treatment!r}: {finding!r}")
        facts: dict[tuple[str, ...], list[tuple[str, str, str]]] = {}
        for code, phrases in (data.get("patient_facts") or {}).items():
            if code not in ("pregnant", "breastfeeding"):
                raise RulesError(file, f"patient_facts: unknown fact {code!r}")
            for p in phrases:
                facts.setdefault(phrase(p, f"patient_facts.{code}"), []).append(("patient_fact", code, "true"))
        for key, phrases in (data.get("venue") or {}).items():
            if key not in ("MED_SPA", "DERMATOLOGY_PRACTICE", "supervised"):
                raise RulesError(file, f"venue: unknown key {key!r}")
            fact = (
                ("venue_fact", "medical_supervision", "true")
                if key == "supervised"
                else ("venue_fact", "venue_kind", key)
            )
            for p in phrases:
                facts.setdefault(phrase(p, f"venue.{key}"), []).append(fact)
        try:
            ages = tuple(re.compile(p) for p in data.get("age") or [])
        except re.error as exc:
            raise RulesError(file, f"age: invalid pattern ({exc})") from None

        def words(key: str) -> frozenset[str]:
            return frozenset(normalize_word(w, spelling) for w in data.get(key) or [])

        return cls(
            spelling=spelling,
            cues={k: tuple(v) for k, v in cues.items()},
            after_treatment=dict(after),
            list_words=words("list_words"),
            terminators=words("terminators"),
            first_person=words("first_person"),
            fact_phrases={k: tuple(v) for k, v in facts.items()},
            age_patterns=ages,
        )


class TextReader:
    """Finds the concepts in a text; build once (it indexes the catalog), call ``read`` per text."""

    def __init__(self, catalog: Catalog, rules: TextRules, known_words: Iterable[str] = ()):
        self.rules = rules
        lexicon: dict[tuple[str, ...], list[tuple[str, str, str]]] = {}
        for kind in KINDS:
            for concept in catalog.codes(kind).values():
                for text in (*concept.synonyms, concept.label, concept.code.replace("_", " ")):
                    key = self._phrase(text)
                    if key and (kind, concept.code, "") not in lexicon.get(key, []):
                        lexicon.setdefault(key, []).append((kind, concept.code, ""))
        for key, facts in rules.fact_phrases.items():
            lexicon.setdefault(key, []).extend(facts)
        self._lexicon = {k: tuple(v) for k, v in lexicon.items()}
        self._lengths = _first_word_lengths(self._lexicon)
        self._cue_lengths = _first_word_lengths(rules.cues)
        vocabulary = {w for key in self._lexicon for w in key}
        self._vocabulary = frozenset(vocabulary)
        # Typo correction: a word no dictionary knows, one edit away from exactly one lexicon word.
        self._known = frozenset(known_words) | self._vocabulary | rules.list_words | rules.first_person
        self._deletes: dict[str, set[str]] = {}
        for word in vocabulary:
            if len(word) >= 5 and word.isalpha():
                for variant in _deletes(word):
                    self._deletes.setdefault(variant, set()).add(word)
        self._four_letter = frozenset(w for w in vocabulary if len(w) == 4 and w.isalpha())
        self._corrections: dict[str, str | None] = {}

    def _phrase(self, text: str) -> tuple[str, ...]:
        return tuple(normalize_word(w, self.rules.spelling) for w in _WORD.findall(text.lower()))

    def _correct(self, word: str) -> str:
        if word in self._known or len(word) < 4 or not word.isalpha():
            return word
        if word in self._corrections:
            return self._corrections[word] or word
        candidates: set[str] = set()
        if len(word) == 4:  # short words: only two neighbours swapped ("moel")
            candidates = {w for w in self._four_letter if _swapped(word, w)}
        else:
            candidates.update(self._deletes.get(word, ()))  # a letter missing
            for variant in _deletes(word):
                if variant in self._vocabulary:
                    candidates.add(variant)  # a letter too many
                candidates.update(
                    w for w in self._deletes.get(variant, ()) if len(w) == len(word) and _one_edit(word, w)
                )
        best = next(iter(candidates)) if len(candidates) == 1 else None
        if len(self._corrections) > 50_000:  # bounded: texts are unbounded in variety
            self._corrections.clear()
        self._corrections[word] = best
        return best or word

    def tokens(self, text: str) -> tuple[list[Token], set[int]]:
        """Normalised tokens, and the indexes of tokens that start a new clause."""
        lower = text.lower()
        tokens: list[Token] = []
        boundaries: set[int] = {0}
        previous_end = 0
        for m in _WORD.finditer(lower):
            if _BOUNDARY.search(lower, previous_end, m.start()):
                boundaries.add(len(tokens))
            word = self._correct(normalize_word(m.group(), self.rules.spelling))
            if word in self.rules.terminators:
                boundaries.add(len(tokens))
            tokens.append(Token(word, m.start(), m.end()))
            previous_end = m.end()
        return tokens, boundaries

    def read(self, text: str) -> list[Mention]:
        """Every mention in the text, each with its assertion."""
        tokens, boundaries = self.tokens(text)
        words = [t.norm for t in tokens]
        mentions = [
            Mention(kind, code, tokens[i].start, tokens[j - 1].end, PRESENT, value, i, j - 1)
            for i, j, hits in _longest_matches(words, self._lexicon, self._lengths)
            for kind, code, value in hits
        ]
        mentions.extend(self._ages(text, tokens))
        covered = {k for m in mentions for k in range(m.first, m.last + 1)}
        cues = [(i, j, hits) for i, j, hits in _longest_matches(words, self.rules.cues, self._cue_lengths)]
        cues = [c for c in cues if not any(k in covered for k in range(c[0], c[1]))]
        clause = _clause_ids(len(tokens), boundaries)
        return [self._assert(m, cues, clause, words) for m in sorted(mentions, key=lambda m: (m.first, m.kind))]

    def _ages(self, text: str, tokens: list[Token]) -> list[Mention]:
        lower = text.lower()
        out = []
        for pattern in self.rules.age_patterns:
            for m in pattern.finditer(lower):
                if not 0 < int(m.group(1)) <= 120:
                    continue
                first = next((i for i, t in enumerate(tokens) if t.end > m.start()), 0)
                last = next((i for i in range(len(tokens) - 1, -1, -1) if tokens[i].start < m.end()), first)
                out.append(Mention("patient_fact", "age_years", m.start(1), m.end(1), PRESENT, m.group(1), first, last))
        out.sort(key=lambda m: m.start)
        return out[:1]  # the first age stated is the patient's

    def _assert(self, m: Mention, cues: list[tuple[int, int, Any]], clause: list[int], words: list[str]) -> Mention:
        if not clause:
            return m
        kinds = []  # the cues that reach this mention, nearest first
        for start, end, hits in cues:
            for cue_type, direction in hits:
                if direction == "before" and end - 1 < m.first and clause[start] == clause[m.first]:
                    if self._reaches(cue_type, end, m.first, words, clause):
                        kinds.append((m.first - end, cue_type))
                elif direction == "after" and start > m.last and clause[start] == clause[m.last]:
                    if start - m.last <= 6:
                        kinds.append((start - m.last, cue_type))
        if not kinds:
            return m
        types = {t for _, t in kinds}
        if m.kind == "treatment":
            if "negation" in types:
                return replace(m, assertion=NEGATED)
            if "treatment_done" in types or "historical" in types:
                return replace(m, assertion=HISTORICAL)
            return m  # asking about a treatment, even hypothetically, is a request
        for cue_type in ("other_person", "negation", "hypothetical", "historical"):
            if cue_type in types:
                if cue_type == "historical" and m.kind == "condition":
                    return m  # a condition is history by nature ("history of cold sores")
                if cue_type == "negation":
                    return replace(m, assertion=NEGATED, value="false" if m.value == "true" else m.value)
                return replace(m, assertion=cue_type)
        return m

    def _reaches(self, cue_type: str, cue_end: int, target: int, words: list[str], clause: list[int]) -> bool:
        """Whether a cue ending at token ``cue_end`` reaches the mention starting at ``target``."""
        between = words[cue_end:target]
        if cue_type == "negation":
            # The first thing negated is near the cue; a list ("no fever, chills or rash") carries on.
            if target - cue_end <= _NEGATION_WINDOW:
                return True
            return all(w in self.rules.list_words or w in self._vocabulary for w in between)
        if cue_type == "other_person":
            return not any(w in self.rules.first_person for w in between)
        if cue_type == "treatment_done":
            return target - cue_end <= 3
        return True


def _first_word_lengths(index: Mapping[tuple[str, ...], Any]) -> dict[str, tuple[int, ...]]:
    lengths: dict[str, set[int]] = {}
    for key in index:
        lengths.setdefault(key[0], set()).add(len(key))
    return {w: tuple(sorted(ls, reverse=True)) for w, ls in lengths.items()}


def _longest_matches(
    words: list[str], index: Mapping[tuple[str, ...], Any], lengths: Mapping[str, tuple[int, ...]]
) -> Iterable[tuple[int, int, Any]]:
    """Greedy longest phrase matches, left to right: (first token, end token, hits)."""
    i, n = 0, len(words)
    while i < n:
        for length in lengths.get(words[i], ()):
            if i + length <= n:
                hits = index.get(tuple(words[i : i + length]))
                if hits is not None:
                    yield i, i + length, hits
                    i += length
                    break
        else:
            i += 1


def _clause_ids(n: int, boundaries: set[int]) -> list[int]:
    ids, current = [], -1
    for i in range(n):
        if i in boundaries:
            current += 1
        ids.append(current)
    return ids


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _swapped(a: str, b: str) -> bool:
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def _one_edit(a: str, b: str) -> bool:
    """Same length, one letter changed or two neighbours swapped."""
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 1 or _swapped(a, b)


# ---- merging what was read into the intake ------------------------------------------


@dataclass
class _Draft:
    code: str
    findings: list[str] = field(default_factory=list)
    body_site: str = ""
    text: str = ""


def merge_text(intake: Intake, reader: TextReader, catalog: Catalog) -> tuple[Intake, tuple[TextFinding, ...]]:
    """The intake with the facts its texts state added; structured fields win on conflict."""
    concerns = [_Draft(c.code, list(c.findings), c.body_site, c.text) for c in intake.concerns]
    treatments = [TreatmentRequest(t.code, t.body_site) for t in intake.treatments]
    conditions = list(intake.patient.conditions)
    medications = list(intake.patient.medications)
    facts: dict[str, str] = {}
    report: list[TextFinding] = []
    after = reader.rules.after_treatment

    def read(field_name: str, text: str, own: _Draft | None) -> None:
        mentions = reader.read(text)
        used: set[int] = set()
        anchors: list[tuple[Mention, _Draft]] = []  # concerns mentioned here, for linking findings
        for k, m in enumerate(mentions):
            if m.assertion == HISTORICAL and m.kind == "treatment" and m.code in after:
                mentions[k] = m = Mention("finding", after[m.code], m.start, m.end, PRESENT, "", m.first, m.last)
            if m.kind == "concern" and m.assertion == PRESENT:
                draft = own if own is not None and not own.code else None
                if draft is not None:
                    draft.code = m.code
                else:
                    draft = next((c for c in concerns if c.code == m.code), None)
                    if draft is None and len(concerns) < _MAX_ITEMS:
                        draft = _Draft(m.code)
                        concerns.append(draft)
                if draft is not None:
                    anchors.append((m, draft))
                    used.add(k)
        for k, m in enumerate(mentions):
            if k in used:
                continue
            if m.kind in ("finding", "body_site") and m.assertion == PRESENT:
                target = _nearest(m, anchors) or own or (concerns[0] if concerns else None)
                if target is None and len(concerns) < _MAX_ITEMS:
                    target = _Draft("", text="(read from text)")
                    concerns.append(target)
                if target is None:
                    continue
                if m.kind == "finding":
                    if m.code not in target.findings:
                        target.findings.append(m.code)
                    used.add(k)
                elif not target.body_site:
                    target.body_site = m.code
                    used.add(k)
            elif m.kind == "treatment" and m.assertion == PRESENT:
                if all(t.code != m.code for t in treatments) and len(treatments) < _MAX_ITEMS:
                    treatments.append(TreatmentRequest(m.code, _nearest_site(m, mentions)))
                used.add(k)
            elif m.kind in ("condition", "medication") and m.assertion == PRESENT:
                values = conditions if m.kind == "condition" else medications
                if m.code not in values:
                    values.append(m.code)
                used.add(k)
            elif m.kind in ("patient_fact", "venue_fact") and m.assertion in (PRESENT, NEGATED):
                if m.code == "venue_kind" and m.assertion == NEGATED:
                    continue
                value = m.value
                if m.code not in facts:
                    facts[m.code] = value
                    used.add(k)
        report.extend(TextFinding(field_name, m, k in used) for k, m in enumerate(mentions))

    for i, c in enumerate(intake.concerns):
        if c.text:
            read(f"concerns[{i}].text", c.text, concerns[i])
    if intake.free_text:
        read("free_text", intake.free_text, None)
    if not report:
        return intake, ()

    p = intake.patient
    age = p.age_years if p.age_years is not None else (int(facts["age_years"]) if "age_years" in facts else None)
    patient = Patient(
        age_years=age,
        pregnant=p.pregnant if p.pregnant is not None else _bool(facts.get("pregnant")),
        breastfeeding=p.breastfeeding if p.breastfeeding is not None else _bool(facts.get("breastfeeding")),
        fitzpatrick=p.fitzpatrick,
        conditions=tuple(conditions),
        medications=tuple(medications),
    )
    venue = intake.venue
    if venue is None and ("venue_kind" in facts or "medical_supervision" in facts):
        venue = Venue(facts.get("venue_kind", "MED_SPA"), _bool(facts.get("medical_supervision")))
    elif venue is not None and venue.medical_supervision is None and "medical_supervision" in facts:
        venue = Venue(venue.kind, _bool(facts["medical_supervision"]))
    merged = replace(
        intake,
        patient=patient,
        concerns=tuple(Concern(d.code, tuple(d.findings), d.body_site, d.text) for d in concerns),
        treatments=tuple(treatments),
        venue=venue,
    )
    return merged, tuple(report)


def _bool(value: str | None) -> bool | None:
    return None if value is None else value == "true"


def _nearest(m: Mention, anchors: list[tuple[Mention, _Draft]]) -> _Draft | None:
    """The concern mentioned nearest before the finding (else nearest after), in tokens."""
    before = [(m.first - a.last, d) for a, d in anchors if a.last <= m.first]
    if before:
        return min(before, key=lambda x: x[0])[1]
    after = [(a.first - m.last, d) for a, d in anchors if a.first > m.last]
    return min(after, key=lambda x: x[0])[1] if after else None


def _nearest_site(m: Mention, mentions: list[Mention]) -> str:
    sites = [x for x in mentions if x.kind == "body_site" and x.assertion == PRESENT and abs(x.first - m.last) <= 4]
    return min(sites, key=lambda x: abs(x.first - m.last)).code if sites else ""
