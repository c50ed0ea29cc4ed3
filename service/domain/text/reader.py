"""Matching and context cues: finds the concepts in a text and decides how each is asserted.

A dictionary matcher over the catalog synonyms (longest phrase first, with one-edit typo
tolerance for words no English dictionary knows), then ConText-style cue rules from
``rules/text.yaml`` decide whether each mention is stated about the patient now (present),
negated, hypothetical, historical, or about another person.
"""

from __future__ import annotations

import bisect
import datetime
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..catalog import Catalog
from ..mentions import HISTORICAL, LISTED, NEGATED, OTHER_PERSON, PRESENT, UNEVENTFUL, Mention
from .rules import KINDS, Phrases, TextRules
from .tokens import WORD, Tokens, TypoIndex, has_digit, lower_text, normalize_word, scan, singular, token_at

_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*(mm|millimet(?:er|re)s?|cm|centimet(?:er|re)s?)\b")
# How long ago something was, as people write it: "2 months ago", "18 months now", "a year
# back", "long time ago" (no number: further back than any window).
_AGO = re.compile(
    r"\b(\d+(?:\.\d+)?|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|eighteen|"
    r"a couple of|a few|few|several)\s*(day|week|wk|month|mth|mo|year|yr)s?\s+(?:ago|now|back)\b"
    r"|\b(?:a )?(?:long time|ages|years|decades)\s+ago\b"
)
# a date of when something began ("started it 2 years ago") says nothing of when it ended
_STARTED = re.compile(r"\b(?:start(?:ed)?|began|begun)\s+(?:[a-z']+\s+){0,3}$")
_NUMBER_WORDS = {
    "a": 1.0, "an": 1.0, "one": 1.0, "two": 2.0, "three": 3.0, "four": 4.0, "five": 5.0, "six": 6.0, "seven": 7.0,
    "eight": 8.0, "nine": 9.0, "ten": 10.0, "eleven": 11.0, "twelve": 12.0, "eighteen": 18.0, "a couple of": 2.0,
    "a few": 3.0, "few": 3.0, "several": 3.0,
}  # fmt: skip
_DIRECTIONS = ("before", "after")
_NO_NESTED = frozenset({"patient_fact", "venue_fact", "condition", "none", "_span", "problem"})
_NOT_SUBJECTS = frozenset({"my", "mine", "me", "myself"})
_CUE_SPAN = 50  # words: the furthest a cue is looked for from a mention
# "she's" is read as "sh" (its plural-like ending stripped, as "rashes" is "rash")
_THIRD_PERSON = frozenset({"he", "she", "they", "him", "her", "his", "hers", "them", "their", "hes", "sh"})
_ByFirst = dict[str, list[tuple[str, ...]]]  # phrases by their first word
_SENTENCE_END = re.compile(r"[.!?;]")
_ELLIPSIS_END = re.compile(r"\s*[,.;:!?]")  # punctuation straight after a cue
_COMMA = re.compile(r",")
_DONE_WORDS = frozenset({"done", "filled", "injected"})  # a treatment's own last word telling it was had
_DOUBT_REACH = 8  # words: a negation this near before a venue's supervision doubts it
# What a reply answers: "bleeding: no", "pregnant? no", "doctor on site? none"; not the concern
# the question is about ("any change in my mole? no" still has a mole).
_ANSWERED = frozenset({"finding", "condition", "medication", "patient_fact", "venue_fact"})
# A year named as when something was ("in 2019", "back in march 2021"); "since 2021" is a
# duration, not a date in the past.
_YEAR = re.compile(r"\b(?:in|during|around|summer|winter|spring|autumn|fall|early|late|mid)\s+((?:19|20)\d\d)\b")
_DATED_CUE = (("dated", "after"),)  # "a tick bite in 2021": the year follows what it dates
_THEN_CUE = (("historical", "after"),)  # "acne when I was 19": the age dates what it follows
_AGE_THEN = re.compile(r"\bwhen (?:i|he|she|they) (?:was|were) (?:about |around |like |only |just )?\d{1,2}\b")
_OTHER_CUE = (("other_person", "before"),)  # a person named bare ("husband has shingles")
_SUBJECTS = frozenset({"she", "he", "sh", "hes", "her", "his"})  # a clause about someone else
_SENTENCE_MARK = re.compile(r"[.?\n]")  # a sentence's end, for how far back "she" looks
_STATES = frozenset({"age_years", "pregnant", "breastfeeding"})  # patient facts a writer tells of themselves
# A year that dates a start, a birth or a duration, not the thing itself ("since summer 2024",
# "noticed it in late 2024", "born in 2018").
_YEAR_NOT_PAST = re.compile(
    r"\b(?:born|since|from|noticed(?: it| them| this)?|started|began|appeared|first saw(?: it)?)"
    r"(?:\s+(?:in|around|about))?\s*$"
)
# What a year dates as history besides a treatment had (as treatment_past does): a problem told
# in words ("a tick bite in 2019"). Never a finding or a fact ("my tongue is swelling, happened
# once in 2021 too"), a concern (psoriasis "diagnosed in 2015" is still there; "had this rash in
# 2019 and it's come back") or a medicine (a course is dated by `recent_use`: "started
# isotretinoin in 2024, still on it" is current).
_DATED_KINDS = frozenset({"problem"})
_UNIT_MONTHS = {"day": 1 / 30, "week": 0.25, "wk": 0.25, "month": 1.0, "mth": 1.0, "mo": 1.0, "year": 12.0, "yr": 12.0}
_DASH_AFTER = re.compile(r"\s[-\u2013\u2014]\s")  # the three characters before the next word
_FUNCTION_WORDS = frozenset(
    "is are was were be been has have had do does did it its this that there the a an to of in on at for with "
    "from by up down out over very so too just".split()
)


class TextReader:
    """Finds the concepts in a text; build once (it indexes the catalog), call ``read`` per text."""

    def __init__(self, catalog: Catalog, rules: TextRules, known_words: Iterable[str] = ()):
        self.rules = rules
        self._last: tuple[str, Tokens, list[int]] | None = None  # the last text read, and its tokens
        # A year two or more before this one ("in 2019") dates what it is told with as history;
        # taken when the reader is built, so a reader built in December errs on the recent side.
        self._this_year = datetime.date.today().year
        lexicon: dict[tuple[str, ...], list[tuple[str, str, str]]] = {}
        for kind in KINDS:
            for concept in catalog.codes(kind).values():
                for text in (*concept.synonyms, concept.label, concept.code.replace("_", " ")):
                    key = self._phrase(text)
                    if key and (kind, concept.code, "") not in lexicon.get(key, []):
                        lexicon.setdefault(key, []).append((kind, concept.code, ""))
        for key, facts in rules.fact_phrases.items():
            lexicon.setdefault(key, []).extend(facts)
        for key in rules.idioms:  # matched like concepts, so their words are taken, then dropped
            lexicon[key] = [("none", "", "")]
        self._lexicon = {k: tuple(v) for k, v in lexicon.items()}
        self._lengths = _first_word_lengths(self._lexicon)
        self._trie = build_trie(self._lexicon)
        # Idioms that yield to a clinical context, and the tries without them (built when first needed).
        self._yielding = rules.yielding_idioms
        self._yielding_phrases = frozenset(p for phrases, _ in rules.yielding_idioms for p in phrases)
        self._tries_without: dict[frozenset[tuple[str, ...]], dict[str, Any]] = {}
        self._cue_trie = build_trie(rules.cues)
        # One-word negation cues: a phrase read across one of them ("redness isnt spreading") is negated.
        self._negation_words = frozenset(
            k[0] for k, hits in rules.cues.items() if len(k) == 1 and ("negation", "before") in hits
        )
        # First-person words that start a new statement ("I'd like"), not those of a noun ("my moles").
        self._subjects = rules.first_person - _NOT_SUBJECTS
        # the proxy.own phrases that are statements of the writer ("I have"), not questions ("can I")
        self._own_statements = [p for p in rules.proxy_own if p[0] in rules.first_person]
        # a spot's features, which a negated list may carry past a comma ("none raised, itchy or bleeding")
        self._spot_features = rules.lesion_findings | {
            c.code for c in catalog.codes("finding").values() if c.group == "lesion_feature"
        }
        vocabulary = frozenset(w for key in self._lexicon for w in key)
        known = (
            frozenset(singular(w) for w in known_words) | rules.list_words | rules.first_person | rules.foreign_words
        )
        self._typos = TypoIndex(vocabulary, known)
        # Two-word phrases also match apart or reversed within a clause ("tongue is swelling",
        # "vision went blurry"), when both words carry meaning.
        function_words = rules.list_words | rules.first_person | _FUNCTION_WORDS
        self._pairs: dict[str, dict[str, tuple[tuple[str, str, str], ...]]] = {}
        for key, hits in self._lexicon.items():
            # an idiom is an exact phrase: "confused about" apart is no idiom
            idiom = hits[0][0] == "none"
            if len(key) == 2 and not idiom and not set(key) & function_words and all(len(w) > 2 for w in key):
                self._pairs.setdefault(key[0], {}).setdefault(key[1], hits)
                # a pair led by a negation reads only in its order: "never healed", but "healed
                # fine and never had a problem" is no sore that never heals
                if key[0] not in self._negation_words:
                    self._pairs.setdefault(key[1], {}).setdefault(key[0], hits)
        self._word_cache: dict[str, str] = {}  # raw word -> its normalised, corrected form
        # The age patterns as one alternation: one scan of the text instead of one each.
        self._age = re.compile("|".join(f"(?:{p.pattern})" for p in rules.age_patterns)) if rules.age_patterns else None
        self._sex = re.compile("|".join(f"(?:{p.pattern})" for p in rules.sex_patterns)) if rules.sex_patterns else None
        groups_of: dict[tuple[str, ...], list[tuple[int, int]]] = {}
        for c, (_, _, _, groups) in enumerate(rules.combinations):
            for g, group in enumerate(groups):
                for key in group:
                    if key:
                        groups_of.setdefault(key, []).append((c, g))
        self._combination_trie = build_trie(groups_of)
        self._idioms = _by_first_word(rules.idioms)
        self._idiom_reach = max((len(p) for p in rules.idioms), default=1) - 1  # words an idiom spans after its first
        # needs_context, by finding: (the bound phrases, context findings, context phrases and
        # done words each by their first word, so a text is scanned once per bound mention)
        self._contexts: dict[str, tuple[Phrases, frozenset[str], _ByFirst, _ByFirst]] = {}
        # and the words that make a bound mention something else in its clause (anywhere, before it)
        self._other_senses: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        for finding, bound, findings, phrases, done, not_with, not_after in rules.needs_context:
            if finding not in self._contexts:
                self._contexts[finding] = (bound, findings, _by_first_word(phrases), _by_first_word(done))
                self._other_senses[finding] = (not_with, not_after)
        # the first words of each combination's groups, by word: (combination, group) pairs
        self._combination_groups = [len(groups) for _, _, _, groups in rules.combinations]
        self._combination_firsts: dict[str, list[tuple[int, int]]] = {}
        for c, (_, _, _, groups) in enumerate(rules.combinations):
            for g, group in enumerate(groups):
                for first in {key[0] for key in group if key}:
                    self._combination_firsts.setdefault(first, []).append((c, g))

    def _phrase(self, text: str) -> tuple[str, ...]:
        return tuple(normalize_word(w, self.rules.spelling) for w in WORD.findall(text.lower()))

    @property
    def typos(self) -> TypoIndex:
        """The typo index; a reader for comparison may stand another in its place."""
        return self._typos

    @typos.setter
    def typos(self, index: TypoIndex) -> None:
        self._typos = index

    def findings_within(self, words: list[str], first: int, last: int) -> set[str]:
        """The findings that phrases lying inside words ``first``..``last`` (and shorter than
        them) read as on their own: what a coder reading those words could have coded."""
        out: set[str] = set()
        for i in range(first, last + 1):
            for length in self._lengths.get(words[i], ()):
                if i + length - 1 <= last and length <= last - first:
                    for kind, code, _ in self._lexicon.get(tuple(words[i : i + length]), ()):
                        if kind == "finding":
                            out.add(code)
        return out

    def forget(self) -> None:
        """Drops what earlier texts left in the caches (benchmarks time each text afresh)."""
        self._word_cache.clear()
        self._typos.forget()
        self._last = None

    def tokens(self, text: str) -> tuple[Tokens, list[int]]:
        """Normalised tokens, and the clause number of each (clauses end at . ! ? ; : and at
        words such as "but"). The last text's are kept: the merge asks again for the words of
        the text it has just had read."""
        last = self._last  # one tuple, read and written whole: safe if threads share the reader
        if last is not None and last[0] is text:
            return last[1], list(last[2])
        tokens, clause = self._tokens(text)
        self._last = (text, tokens, list(clause))
        return tokens, clause

    def _tokens(self, text: str) -> tuple[Tokens, list[int]]:
        lower = lower_text(text)
        starts, ends, clause = scan(lower)
        cache = self._word_cache
        words = []
        for a, b in zip(starts, ends, strict=True):
            raw = lower[a:b]
            word = cache.get(raw)
            if word is None:
                word = self._typos.correct(normalize_word(raw, self.rules.spelling))
                if len(cache) > 100_000:  # bounded: texts are unbounded in variety
                    cache.clear()
                cache[raw] = word
            words.append(word)
        terminators = self.rules.terminators
        if not terminators.isdisjoint(words):  # "but", "however": a new clause from that word on
            shift = 0
            for i, w in enumerate(words):
                if w in terminators and i:
                    shift += 1
                clause[i] += shift
        return Tokens(words, starts, ends, lower), clause

    def read(self, text: str, context: frozenset[str] = frozenset()) -> list[Mention]:
        """Every mention in the text, each with its assertion. ``context``: findings already known
        of the intake (coded ones), which count as the context a context-bound word needs."""
        tokens, clause = self._tokens(text)  # always afresh; kept for the merge's own question after
        self._last = (text, tokens, list(clause))
        words = tokens.words
        # a phrase is never read across a comma ("a high fever, blisters" is no fever blister)
        phrases = _comma_segments(tokens, clause)
        matched = list(self.match(words, phrases))
        if self._yielding_phrases:
            matched = self._yield_idioms(words, phrases, matched, context)
        mentions = [
            Mention(kind, code, tokens.starts[i], tokens.ends[j - 1], PRESENT, value, i, j - 1)
            for i, j, hits in matched
            for kind, code, value in hits
        ]
        mentions.extend(self._nested(words, tokens, mentions))  # only inside exact phrases
        mentions = self._apart(words, tokens, phrases, mentions)
        # an idiom's words make no combination ("dull and grey"), and one beside an idiom is
        # still read from the other words ("aches and pains all over, skin hurts everywhere")
        idiom = {k for m in mentions if m.kind == "none" for k in range(m.first, m.last + 1)}
        combined = self._combinations(words, tokens, clause, mentions, idiom)
        mentions = [m for m in mentions if not _inside_combination(m, combined)] + [c for c, _, _ in combined]
        lower = tokens.lower
        if has_digit(lower):  # sizes and ages need a number
            mentions.extend(self._sizes(lower, tokens))
            mentions.extend(self._ages(lower, tokens))
        if self._sex is not None:
            mentions.extend(self._sexes(lower, tokens))
        covered = {k for m in mentions for k in range(m.first, m.last + 1)}
        cues = _longest_matches(words, self._cue_trie, clause)
        cues = [c for c in cues if not any(k in covered for k in range(c[0], c[1]))]
        if has_digit(lower) and ("19" in lower or "20" in lower):  # a year is 19xx or 20xx
            cues = self._year_cues(cues, tokens, lower)
        if "when " in lower and has_digit(lower):  # "acne when I was 19"
            cues = _age_then_cues(cues, tokens, lower)
        unique: dict[tuple[str, str, int, int], Mention] = {}
        for m in mentions:
            if m.kind not in ("none", "_span"):
                unique.setdefault((m.kind, m.code, m.first, m.last), m)
        mentions = list(unique.values())
        mentions.sort(key=lambda m: (m.first, m.kind))
        writer: set[int] = set()  # mentions of the writer's own, in a text written for someone else
        if any(h[0] == "course_done" for _, _, hits in cues for h in hits) and _says_any(words, self.rules.restarted):
            # "took roaccutane in 2019, started it again 2 months ago": the course is not over
            cues = [(a, b, tuple(h for h in hits if h[0] != "course_done")) for a, b, hits in cues]
            cues = [c for c in cues if c[2]]
        if self.rules.proxy_persons:
            if self.rules.proxy_bare:
                cues = self._bare_persons(cues, mentions, words, clause)
            cues, patients = self._proxy(cues, mentions, tokens, lower)
            if not patients:
                cues = self._told_on(cues, mentions, tokens, clause)
            if patients:
                writer = self._writers_own(mentions, words, clause)
        negated, listed = self._negation_scopes(mentions, cues, clause, words, tokens)
        cue_starts = [c[0] for c in cues]
        first_person = _prefix_counts(words, self.rules.first_person)
        out = [
            _with(m, OTHER_PERSON)
            if k in writer
            else self._assert(m, cues, cue_starts, first_person, clause, words, k in negated)
            for k, m in enumerate(mentions)
        ]
        alarms = self.rules.comma_alarms
        for k in listed:  # negated only by a list run on past a comma ("doesn't itch, bleeds"): unsure
            if out[k].assertion == NEGATED and out[k].kind == "finding":
                # an emergency sign there is a new statement: "not itchy, lips and tongue swelling up"
                out[k] = _with(out[k], PRESENT, "") if out[k].code in alarms else _with(out[k], NEGATED, LISTED)
        out = self._doubted_supervision(out, cues, cue_starts, clause)
        asks_again = any(t == "repeat" for _, _, hits in cues for t, _ in hits)  # "my usual top-up"
        again = _asked_again(mentions, out) if asks_again else []
        lasting = self.rules.lasting
        if lasting:  # "a tattoo from years ago" is still there
            out = [
                _with(m, PRESENT) if m.assertion == HISTORICAL and m.kind == "concern" and m.code in lasting else m
                for m in out
            ]
        if self.rules.recent_use and any(m.kind in ("medication", "treatment") for m in out):
            dates = _Dates(lower, tokens, clause, self._this_year)
            out = [self._recent(m, dates) for m in out]
        if self.rules.needs_context:
            out = self._in_context(out, words, cues, clause, context)
        if self.rules.unspecified_treatments:
            out = self._specified(out, words)
        return out + again if again else out

    def _specified(self, out: list[Mention], words: list[str]) -> list[Mention]:
        """A treatment named without saying which of its family ("a peel", read as the cautious
        member) is the member the text names in its own words ("a light glycolic peel ... is a
        peel a good idea?"): the unspecified mention is dropped."""
        named = {m.code for m in out if m.kind == "treatment" and m.assertion == PRESENT}
        for code, family, phrases in self.rules.unspecified_treatments:
            if code in named and not family.isdisjoint(named):
                out = [
                    m
                    for m in out
                    if not (m.kind == "treatment" and m.code == code and tuple(words[m.first : m.last + 1]) in phrases)
                ]
        return out

    def _year_cues(self, cues: list[tuple[int, int, Any]], tokens: Tokens, lower: str) -> list[tuple[int, int, Any]]:
        """The cues with a historical one for each year named as a date at least a year gone
        ("a tick bite in 2021", "in 2019 I had filler"), in order of their start."""
        added = []
        starts = [c[0] for c in cues]  # in text order: only the cues just before a year can overlap it
        for hit in _YEAR.finditer(lower):
            if int(hit.group(1)) > self._this_year - 2 or _YEAR_NOT_PAST.search(
                lower, max(0, hit.start() - 24), hit.start()
            ):
                continue
            first = token_at(tokens, hit.start())
            last = token_at(tokens, hit.end() - 1)
            j = bisect.bisect_right(starts, last)
            if first >= 0 and last >= first and not (j > 0 and cues[j - 1][1] > first):
                added.append((first, last + 1, _DATED_CUE))
        return sorted(cues + added, key=lambda c: c[0]) if added else cues

    def _proxy(
        self, cues: list[tuple[int, int, Any]], mentions: list[Mention], tokens: Tokens, lower: str
    ) -> tuple[list[tuple[int, int, Any]], list[int]]:
        """The cues left once the text says whom it is about, and the tokens naming the patient: a
        person named as the patient ("my son is 15", "on behalf of my wife", "my son has acne" in a
        text with no body site of the writer's own) is the patient, so no cue naming them marks
        another person; nor does one naming a reporter ("my wife says it has grown")."""
        rules = self.rules
        words = tokens.words
        persons: set[str] = set()
        dropped: set[int] = set()
        own: bool | None = None
        for k, (start, end, hits) in enumerate(cues):
            if ("other_person", "before") not in hits:
                continue
            if _phrase_at(words, end, rules.reporters):
                dropped.add(k)
                continue
            person = words[end - 1]
            if person not in rules.proxy_persons:
                continue
            if _phrase_before(words, start, rules.proxy_before) or self._age_follows(end, tokens, lower):
                persons.add(person)
            elif _phrase_at(words, end, rules.proxy_after) and not any(
                w in rules.first_person for w in words[end : end + 3]
            ):  # "my husband has booked me in" is about the writer
                if own is None:  # a note about "pt" names the patient so: "wife has rosacea" is hers
                    own = self._writes_of_self(mentions, words) or self._names_patient(words)
                if not own:
                    persons.add(person)
        if not persons and not dropped:
            return cues, []
        out = []
        patients = []
        for k, (start, end, hits) in enumerate(cues):
            if k in dropped or words[end - 1] in persons:
                if words[end - 1] in persons:
                    patients.append(end - 1)
                hits = tuple(h for h in hits if h != ("other_person", "before"))
                if not hits:
                    continue
            out.append((start, end, hits))
        return out, patients

    def _bare_persons(
        self, cues: list[tuple[int, int, Any]], mentions: list[Mention], words: list[str], clause: list[int]
    ) -> list[tuple[int, int, Any]]:
        """The cues with an other-person one for each person named bare and followed by one of
        ``proxy.bare`` ("husband currently has shingles", "Mum had melanoma"), where the writer
        speaks of their own skin or the text names the patient as ``proxy.notes`` does: there a
        bare "husband" is not the patient. A person after any other word ("my", "her", "the") is
        left to the cues that name them."""
        persons = self.rules.proxy_persons
        if persons.isdisjoint(words):
            return cues
        covered = {k for start, end, _ in cues for k in range(start, end)}
        found = [
            i
            for i, w in enumerate(words)
            if w in persons
            and i not in covered
            and (i == 0 or clause[i] != clause[i - 1] or (words[i - 1],) in self.rules.proxy_bare_after)
            and _phrase_at(words, i + 1, self.rules.proxy_bare)
        ]
        if not found or not (self._speaks_of_own_skin(mentions, words) or self._names_patient(words)):
            return cues
        added = [(i, i + 1, _OTHER_CUE) for i in found]
        return sorted(cues + added, key=lambda c: c[0])

    def _told_on(
        self, cues: list[tuple[int, int, Any]], mentions: list[Mention], tokens: Tokens, clause: list[int]
    ) -> list[tuple[int, int, Any]]:
        """The cues with an other-person one for each "she" or "he" starting a clause after
        another person's cue, where the writer speaks of their own skin and no note names the
        patient ("pt"): a writer is never "she", so the story goes on about that person ("My
        partner is pregnant ... She's had a rash on her belly"). Not where the pronoun reports
        ("she says it has grown"), nor in a text written for someone ("on behalf of"), and only
        for a person named in the same sentence or the one before."""
        words = tokens.words
        others = [start for start, _, hits in cues if ("other_person", "before") in hits]
        if not others or any(_phrase_at(words, i, self.rules.proxy_before) for i in range(len(words))):
            return cues  # none, or a text written for someone ("on behalf of"): "she" may be the patient
        covered = {k for start, end, _ in cues for k in range(start, end)}
        added = []
        for i, w in enumerate(words):
            if w not in _SUBJECTS or i == 0 or clause[i] == clause[i - 1] or i in covered:
                continue
            j = bisect.bisect_left(others, i) - 1
            if j < 0 or _phrase_at(words, i + 1, self.rules.reporters):
                continue
            # the person was named in this sentence or the one before ("My partner is pregnant
            # (due in May!) ... She's had a rash"), not paragraphs away
            end = _SENTENCE_MARK.search(tokens.lower, tokens.ends[others[j]], tokens.starts[i])
            if end is not None and _SENTENCE_MARK.search(tokens.lower, end.end(), tokens.starts[i]) is not None:
                continue
            added.append((i, i + 1, _OTHER_CUE))
        if not added or not self._speaks_of_own_skin(mentions, words) or self._names_patient(words):
            return cues
        return sorted(cues + added, key=lambda c: c[0])

    def _writers_own(self, mentions: list[Mention], words: list[str], clause: list[int]) -> set[int]:
        """In a text written for someone else, the mentions the writer states of themselves: after
        one of ``proxy.own`` in their clause with no third-person word between ("I have eczema
        myself but he doesn't"; not "I have noticed he has a rash"), and a treatment followed by
        one of ``proxy.own_after`` ("a facial for myself"), and an age, pregnancy or breastfeeding
        told as "I'm" ("I'm 5 months pregnant")."""
        third = _THIRD_PERSON | self.rules.proxy_persons
        # open[i]: an own phrase stands before word i in its clause, with no third-person word since
        # (one pass over the words, so a clause of thousands of mentions costs its length)
        open_ = [False] * (len(words) + 1)
        state = False
        for i, w in enumerate(words):
            if i and clause[i] != clause[i - 1]:
                state = False
            open_[i] = state
            if w in third:
                state = False
            elif self._own_at(words, i, told=True):
                state = True
        own_after = self.rules.proxy_own_after
        return {
            k
            for k, m in enumerate(mentions)
            if m.assertion == PRESENT
            and (
                (
                    m.kind in ("concern", "finding", "condition", "medication")
                    and (open_[m.first] or self._own_at(words, m.first, told=True))  # "I get cold sores" as one phrase
                )
                # "I'm 5 months pregnant", "I'm 45": the writer's own state, not the patient's
                or (m.kind == "patient_fact" and m.code in _STATES and _said_as_mine(words, clause, m.first, third))
                # "a facial for myself": the treatment the writer asks for is theirs
                or (
                    m.kind == "treatment"
                    and own_after
                    and any(
                        _phrase_at(words, i, own_after) and clause[i] == clause[m.last]
                        for i in range(m.last + 1, min(m.last + 3, len(words)))
                    )
                )
            )
        }

    def _sexes(self, lower: str, tokens: Tokens) -> list[Mention]:
        """Sex for clinical use, as the sex patterns of rules/text.yaml state it ("50m", "f32", "a
        60 year old man", "i'm a guy"). Each pattern ends at a word of ``sex.FEMALE`` or
        ``sex.MALE`` or at a number, so it is tried only at the few words before those."""
        assert self._sex is not None
        words, starts = tokens.words, tokens.starts
        triggers = self.rules.sex_words
        out: list[Mention] = []
        tried: set[int] = set()
        reach = self.rules.windows.age_words_before + 2
        for k, w in enumerate(words):
            if w not in triggers and not ((w[0] in "mf" or w[-1] in "mf") and not w.isalpha() and has_digit(w)):
                continue
            for i in range(max(0, k - reach), k + 1):
                if i in tried:
                    continue
                tried.add(i)
                hit = self._sex.match(lower, starts[i])
                if hit is None:
                    continue
                group = next((g for g in range(1, len(hit.groups()) + 1) if hit.group(g) is not None), 0)
                sex = triggers.get(hit.group(group)) if group else None
                if sex is not None:
                    first = token_at(tokens, hit.start(group))
                    out.append(
                        Mention("patient_fact", "sex", hit.start(group), hit.end(group), PRESENT, sex, first, first)
                    )
        return out

    def _age_follows(self, end: int, tokens: Tokens, lower: str) -> bool:
        """Whether an age is stated within ``windows.after_cue_reach`` words after a person's cue
        ending at token ``end`` ("my son is 6", "my husband (60)", "my son Jake, who is 16")."""
        if self._age is None or not has_digit(lower):
            return False
        reach = self.rules.windows.after_cue_reach
        words = tokens.words
        for i in range(max(end - 1, 0), min(end + reach, len(words))):
            if i >= end and (
                words[i] in self.rules.first_person
                or _SENTENCE_END.search(lower, tokens.ends[i - 1], tokens.starts[i]) is not None
            ):
                return False  # the age is someone else's ("my gran had lupus. I'm 30")
            hit = self._age.match(lower, tokens.starts[i])
            if hit is not None:
                found = _age_mention(hit, tokens)
                if found is not None and found.first - end < reach:
                    return True
        return False

    def _writes_of_self(self, mentions: list[Mention], words: list[str]) -> bool:
        """Whether the writer speaks of their own skin: a body site of theirs ("my back") or one
        of ``proxy.own`` ("for myself", "can I")."""
        return self._own_site_or_age(mentions, words) or any(self._own_at(words, i) for i in range(len(words)))

    def _own_site_or_age(self, mentions: list[Mention], words: list[str]) -> bool:
        """Whether the text names a body site of the writer's ("my back", "my dry cheeks") or
        their own age ("I'm 29", "I am 29")."""
        first_person = self.rules.first_person
        for m in mentions:
            if m.kind == "body_site" and not first_person.isdisjoint(words[max(m.first - 2, 0) : m.first + 1]):
                return True
            if m.kind == "patient_fact" and m.code == "age_years" and _age_as_mine(words, m.first):
                return True
        return False

    def _speaks_of_own_skin(self, mentions: list[Mention], words: list[str]) -> bool:
        """Whether the writer tells of their own skin or self, which a question to the clinic
        ("can I bring him in?", "should I take her to A&E?") does not: a body site of theirs
        ("my back"), their own age ("I'm 45"), or one of ``proxy.own`` that starts with a
        first-person word followed within three words by a concern, finding or condition ("I
        have no rash", "I get cold sores")."""
        if self._own_site_or_age(mentions, words):
            return True
        own = self._own_statements
        return any(
            m.kind in ("concern", "finding", "condition")
            and any(tuple(words[j : j + len(p)]) == p for j in range(max(m.first - 3, 0), m.first + 1) for p in own)
            for m in mentions
        )

    def _names_patient(self, words: list[str]) -> bool:
        """Whether the text is a note naming the patient as one of ``proxy.notes`` ("pt")."""
        return _says_any(words, self.rules.proxy_notes)

    def _own_at(self, words: list[str], i: int, told: bool = False) -> bool:
        """Whether one of ``proxy.own`` (and, ``told``, of ``proxy.own_told``) starts at word
        ``i`` and is not a report ("I have noticed")."""
        for p in (*self.rules.proxy_own, *self.rules.proxy_own_told) if told else self.rules.proxy_own:
            if tuple(words[i : i + len(p)]) == p:
                return not _phrase_at(words, i + len(p), self.rules.reporters)
        return False

    def _recent(self, m: Mention, dates: _Dates) -> Mention:
        """A medicine in the past is its recent-use code (``recent_use``), unless its clause dates
        it further back than the code's months ("finished roaccutane 18 months ago")."""
        if m.kind not in ("medication", "treatment") or m.assertion not in (PRESENT, HISTORICAL):
            return m
        for code, months, sources in self.rules.recent_use:
            past_code = m.kind == "medication" and m.code == code
            if not past_code and m.code not in sources:
                continue
            current = not past_code and m.assertion != HISTORICAL
            # "on roaccutane for 18 months now" is current use for that long, not a past course
            ago = dates.months_ago(m, since_only=current)
            if current:
                # Current use, unless a date puts it in the past ("a course of roaccutane, but
                # I finished it two years ago"; "started isotretinoin 2 months ago" is recent).
                if ago is None:
                    continue
                if ago > months:
                    return _with(m, HISTORICAL)
            elif ago is not None and ago > months:
                return _with(m, HISTORICAL) if past_code else m
            return Mention("medication", code, m.start, m.end, PRESENT, "", m.first, m.last)
        return m

    def _in_context(
        self,
        mentions: list[Mention],
        words: list[str],
        cues: list[tuple[int, int, Any]],
        clause: list[int],
        context: frozenset[str],
    ) -> list[Mention]:
        """Drops context-bound findings stated without their context (``needs_context``): "I burn
        easily" is a skin type, not a burn after a treatment."""
        known = {m.code for m in mentions if m.kind == "finding" and m.assertion == PRESENT} | context
        hits: dict[str, list[int]] = {}  # by finding: where its context is stated (found once a text)
        out = []
        senses: dict[tuple[str, int], tuple[int, int]] = {}  # by finding and clause, found once
        for m in mentions:
            if m.kind == "finding" and m.assertion == PRESENT and m.code in self._contexts:
                bound, findings, phrases, done = self._contexts[m.code]
                if not _bound(m, words, bound):
                    out.append(m)
                    continue
                if self._other_sense(m, words, clause, senses):
                    continue  # "I tan, sometimes burn a little": a skin type; "my eyes burn": the eyes
                if findings.isdisjoint(known):
                    if m.code not in hits:
                        hits[m.code] = self._context_at(phrases, done, mentions, words, cues, clause)
                    if all(m.first <= i <= m.last for i in hits[m.code]):
                        continue
            out.append(m)
        return out

    def _other_sense(
        self, m: Mention, words: list[str], clause: list[int], senses: dict[tuple[str, int], tuple[int, int]]
    ) -> bool:
        """Whether the clause of a context-bound mention gives its words another sense: one of
        ``not_with`` anywhere in it, or one of ``not_after`` before it. Each clause is looked
        at once per finding (``senses``: how many of ``not_with`` it has, where its first
        ``not_after`` is), so a clause of a thousand such mentions stays linear."""
        not_with, not_after = self._other_senses[m.code]
        if not not_with and not not_after:
            return False
        key = (m.code, clause[m.first])
        found = senses.get(key)
        if found is None:
            lo = bisect.bisect_left(clause, key[1])
            hi = bisect.bisect_right(clause, key[1])
            with_count = sum(1 for w in words[lo:hi] if w in not_with)
            after_at = next((k for k in range(lo, hi) if words[k] in not_after), hi)
            found = senses[key] = (with_count, after_at)
        own = sum(1 for k in range(m.first, m.last + 1) if words[k] in not_with)
        return found[0] > own or found[1] < m.first

    def _context_at(
        self,
        phrases: _ByFirst,
        done: _ByFirst,
        mentions: list[Mention],
        words: list[str],
        cues: list[tuple[int, int, Any]],
        clause: list[int],
    ) -> list[int]:
        """Where the text states a context phrase, or a treatment done in words outside any
        mention (a treatment read as a mention has been decided: asked for, or done, when its
        finding counts). A mention's own words are no context for it (the caller skips them)."""
        taken = {k for x in mentions for k in range(x.first, x.last + 1) if x.kind in ("treatment", "finding")}
        starts = [c[0] for c in cues]
        out: list[int] = []
        for i, w in enumerate(words):
            if any(tuple(words[i : i + len(phrase)]) == phrase for phrase in phrases.get(w, ())):
                out.append(i)
                continue
            if i in taken:
                continue
            for phrase in done.get(w, ()):
                last = i + len(phrase) - 1
                lo = bisect.bisect_left(starts, i - _CUE_SPAN)
                hi = bisect.bisect_right(starts, last + _CUE_SPAN)
                if tuple(words[i : last + 1]) == phrase and self._done_at(i, last, cues[lo:hi], clause, words):
                    out.append(i)
                    break
        return out

    def _done_at(
        self, first: int, last: int, cues: list[tuple[int, int, Any]], clause: list[int], words: list[str]
    ) -> bool:
        """Whether a treatment_done cue reaches the words ``first``..``last`` ("had a peel on monday"),
        nearer than any request cue ("after a quote for laser" asks for the laser)."""
        probe = Mention("treatment", "", 0, 0, PRESENT, "", first, last)
        nearest = {"treatment_done": -1, "request": -1}
        for start, end, hits in cues:
            for cue_type, d in hits:
                if cue_type in nearest:
                    distance = self._cue_reaches(probe, start, end, d, cue_type, clause, words)
                    if distance >= 0 and (nearest[cue_type] < 0 or distance < nearest[cue_type]):
                        nearest[cue_type] = distance
        done, request = nearest["treatment_done"], nearest["request"]
        return done >= 0 and (request < 0 or done < request)

    def _negation_scopes(
        self,
        mentions: list[Mention],
        cues: list[tuple[int, int, Any]],
        clause: list[int],
        words: list[str],
        tokens: Tokens,
    ) -> tuple[set[int], set[int]]:
        """Mentions a negation cue reaches: the first within a few words of the cue, then a list
        that carries on ("no fever, chills or rash") until a word that is not a list word. A cue
        a comma or a stop ends negates nothing after it ("I look tired even when I'm not, fine
        lines around my eyes"). Also the mentions the list reached past a comma ("doesn't itch,
        bleeds"), which may be a new statement."""
        out: set[int] = set()
        listed: set[int] = set()
        direct: set[int] = set()  # the first a cue negates, or one a list reaches with no comma
        firsts = [m.first for m in mentions]  # in text order
        reach = self.rules.windows.negation_reach
        n = len(words)
        for start, end, hits in cues:
            if ("negation", "answer") in hits:
                out |= self._answered(mentions, start, end, clause, tokens.lower, tokens.starts)
            adjacent_only = ("negation", "before") not in hits
            if adjacent_only and ("negation", "next") not in hits:
                continue
            if end < n and _ELLIPSIS_END.match(tokens.lower, tokens.ends[end - 1]):
                continue
            previous_end = end
            past_comma = False
            for k in range(bisect.bisect_left(firsts, end), len(mentions)):
                m = mentions[k]
                if clause[m.first] != clause[start]:
                    break  # mentions are in text order: the cue's clause is over
                gap = words[previous_end : m.first]
                if previous_end == end:
                    if adjacent_only and m.first != end:
                        break  # "nothing bleeding or itchy", but "nothing helps my acne"
                    if m.first - end > reach or not self._subjects.isdisjoint(gap):
                        break  # too far, or past a new subject ("never tan, I'd like IPL")
                    if gap and _COMMA.search(tokens.lower, tokens.ends[end - 1], m.start):
                        # past a comma after other words ("it hasn't changed, want botox"), unless
                        # one unread item starts a list that goes on "X or Y" ("none raised,
                        # itchy or bleeding"): the list is negated, as a list past a comma is
                        if not self._list_goes_on(gap, mentions, k, clause, words):
                            break
                        listed.add(k)
                        past_comma = True
                elif not all(w in self.rules.list_words for w in gap):
                    break
                elif past_comma or _COMMA.search(tokens.lower, tokens.ends[previous_end - 1], m.start):
                    listed.add(k)  # and every item after it ("not itchy, lips and tongue swelling")
                    past_comma = True
                if k not in listed:
                    direct.add(k)
                out.add(k)
                previous_end = max(previous_end, m.last + 1)
        return out, listed - direct

    def _list_goes_on(
        self, gap: list[str], mentions: list[Mention], k: int, clause: list[int], words: list[str]
    ) -> bool:
        """Whether mention ``k``, after one unread word and a comma from a negation, is the
        second item of a list of a spot's features (``lesion_findings`` and the catalog's
        lesion_feature group) that goes on to a third with "or" or "nor" ("none raised, itchy or
        bleeding"), the unread first item being a word of the lexicon."""
        unread = [w for w in gap if w not in self.rules.list_words]
        if len(unread) != 1 or k + 1 >= len(mentions):
            return False
        m, following = mentions[k], mentions[k + 1]
        # a spot's features only, never an alarm; the unread item is a word of the lexicon ("raised"),
        # not the end of an answer ("none known, blistering or peeling skin")
        features = self._spot_features
        if m.code not in features or following.code not in features or unread[0] not in self._typos.vocabulary:
            return False
        between = words[m.last + 1 : following.first]
        return (
            clause[following.first] == clause[m.first]
            and 0 < len(between) <= 2
            and all(w in self.rules.list_words for w in between)
            and not {"or", "nor"}.isdisjoint(between)
        )

    def _doubted_supervision(
        self, out: list[Mention], cues: list[tuple[int, int, Any]], cue_starts: list[int], clause: list[int]
    ) -> list[Mention]:
        """A venue's supervision told after a negation word in its clause is none, however the
        sentence runs ("We don't, unfortunately, have a medical director"): the safer reading."""
        facts = [
            k
            for k, m in enumerate(out)
            if m.kind == "venue_fact"
            and m.code == "medical_supervision"
            and m.value == "true"
            and m.assertion == PRESENT
        ]
        if not facts:
            return out
        for k in facts:
            m = out[k]
            # only the cues starting within reach before it (a cue is a few words long)
            lo = bisect.bisect_left(cue_starts, m.first - _DOUBT_REACH - _CUE_SPAN)
            hi = bisect.bisect_right(cue_starts, m.first)
            if any(
                ("negation", "before") in hits
                and end <= m.first
                and clause[start] == clause[m.first]
                and m.first - end <= _DOUBT_REACH
                for start, end, hits in cues[lo:hi]
            ):
                out[k] = _with(m, NEGATED, "false")
        return out

    def _answered(
        self, mentions: list[Mention], start: int, end: int, clause: list[int], lower: str, starts: list[int]
    ) -> set[int]:
        """Mentions a reply negates ("bleeding: no", "Itchy? None at all.", "itchy - no."): a
        reply that ends its clause negates the label just before it, the clause before when the
        reply stands alone (a label of at most ``windows.after_cue_reach`` words), else its own
        clause's words before it within that many words."""
        n = len(clause)
        # a reply ends its clause, or a dash follows it ("Pregnant: no - post-menopausal")
        if start == 0 or (end < n and clause[end] == clause[start] and not _DASH_AFTER.match(lower, starts[end] - 3)):
            return set()
        reach = self.rules.windows.after_cue_reach
        out: set[int] = set()
        if clause[start - 1] != clause[start]:  # the reply is a clause of its own
            labels = {clause[start - 1]}
            first = bisect.bisect_left(clause, clause[start - 1])
            # a bracket in the label is part of it: "Neuromuscular disease (e.g. myasthenia): no"
            if first and lower[max(0, starts[first] - 4) : starts[first]].rstrip().endswith("("):
                labels.add(clause[first - 1])
            if sum(1 for c in clause if c in labels) > reach:
                return out
            for k, m in enumerate(mentions):
                if m.kind in _ANSWERED and clause[m.first] in labels and m.last < start:
                    out.add(k)
        else:
            for k, m in enumerate(mentions):
                near = m.last < start and start - m.last <= reach
                if m.kind in _ANSWERED and near and clause[m.first] == clause[start]:
                    out.add(k)
        return out

    def match(self, words: list[str], clause: list[int]) -> Iterable[tuple[int, int, tuple[tuple[str, str, str], ...]]]:
        """Concept phrases in the normalised words: (first token, end token, (kind, code, value)...)."""
        return _longest_matches(words, self._trie, clause)

    def _apart(self, words: list[str], tokens: Tokens, clause: list[int], mentions: list[Mention]) -> list[Mention]:
        """Adds two-word phrases whose words stand apart (up to ``windows.pair_gap`` words between) or reversed.

        Such a pair may take over a one-word mention ("tongue ... swelling" is more than
        "swelling"), never part of a longer phrase.
        """
        single = {m.first: m for m in mentions if m.first == m.last}
        taken = {k for m in mentions if m.first != m.last for k in range(m.first, m.last + 1)}
        replaced: set[int] = set()
        out: list[Mention] = []
        pairs = self._pairs
        n = len(words)
        stop = self.rules.windows.pair_gap + 2  # j < i + stop: at most pair_gap words between i and j
        breakers = self.rules.pair_breakers
        organs = self.rules.organ_findings
        for i, w in enumerate(words):
            partners = pairs.get(w)
            if partners is None or i in taken:
                continue
            for j in range(i + 1, min(i + stop, n)):
                hits = partners.get(words[j])
                if hits is None or j in taken or clause[j] != clause[i]:
                    continue
                if any(words[k] in self._negation_words or words[k] in breakers for k in range(i + 1, j)):
                    break  # never read a pair across a negation, nor across "around" or "I"
                organ = organs and any(c in organs for _, c, _ in hits)
                if organ and (self._placed(words, i) or self._placed(words, j)):
                    continue  # "the corners of my eyes are red": the skin by the eyes
                out.extend(Mention(k, c, tokens.starts[i], tokens.ends[j], PRESENT, v, i, j) for k, c, v in hits)
                taken.update((i, j))
                replaced.update(k for k in (i, j) if k in single)
                break
        return [m for m in mentions if not (m.first == m.last and m.first in replaced)] + out

    def _combinations(
        self, words: list[str], tokens: Tokens, clause: list[int], mentions: list[Mention], idiom: set[int]
    ) -> list[tuple[Mention, frozenset[int], str]]:
        """Concepts stated in many words: one word group each within a short span of one clause.

        Each comes with the tokens its groups matched, which no vaguer one-word mention keeps, and
        the kind it reads as (a span read already is kind "_span").
        """
        if not self.rules.combinations:
            return []
        # Only combinations each of whose groups can start somewhere in this text are looked for.
        starting: dict[int, set[int]] = {}  # combination -> its groups some word of the text starts
        firsts = self._combination_firsts
        for w in set(words):
            for c, g in firsts.get(w, ()):
                starting.setdefault(c, set()).add(g)
        sizes = self._combination_groups
        wanted = {c for c, groups in starting.items() if len(groups) == sizes[c]}
        if not wanted:
            return []
        found: dict[int, list[list[tuple[int, int]]]] = {}
        trie = self._combination_trie
        n = len(words)
        for i, w in enumerate(words):
            node: dict[str, Any] | None = trie.get(w)
            j = i
            while node is not None:  # every group phrase starting here, not only the longest
                if _HITS in node and not (idiom and any(k in idiom for k in range(i, j + 1))):
                    for c, g in node[_HITS]:
                        if c not in wanted:
                            continue
                        groups = found.get(c)
                        if groups is None:
                            groups = found[c] = [[] for _ in self.rules.combinations[c][3]]
                        groups[g].append((i, j))
                j += 1
                if j >= n:
                    break
                node = node.get(words[j])
        have = {(m.kind, m.code, clause[m.first]) for m in mentions if clause}
        # Words of a treatment named in full are that treatment's ("laser hair removal, I have a
        # tattoo" asks for no tattoo removal).
        named: dict[int, str] | None = None  # built when a treatment combination first matches
        slack = self.rules.windows.combination_slack
        out = []
        for c, groups in found.items():
            kind, code, within, _ = self.rules.combinations[c]
            if not all(groups):
                continue
            if code in self.rules.organ_findings:  # "red patches around my eyes": the skin there
                groups[0] = [g for g in groups[0] if not self._placed(words, g[0])]
                if not groups[0]:
                    continue
            # each group's positions are in text order: only those within reach are looked at
            starts = [[o[0] for o in other] for other in groups[1:]]
            for first in groups[0]:
                match = [first]
                for other, at in zip(groups[1:], starts, strict=True):
                    a, b = bisect.bisect_left(at, first[0] - within), bisect.bisect_right(at, first[0] + within)
                    reach = other[a:b]
                    near = [o for o in reach if clause[o[0]] == clause[first[0]]]
                    if not near:
                        break
                    match.append(min(near, key=lambda o: abs(o[0] - first[0])))
                else:
                    lo, hi = min(m[0] for m in match), max(m[1] for m in match)
                    if kind == "treatment" and named is None:
                        named = {
                            k: m.code
                            for m in mentions
                            if m.kind == "treatment" and m.last > m.first
                            for k in range(m.first, m.last + 1)
                        }
                    if hi - lo <= within + slack and not (
                        kind == "treatment"
                        and named
                        and any(named.get(k, code) != code for a, b in match for k in range(a, b + 1))
                    ):
                        # Already read in other words: the span still shadows the vaguer words in it.
                        known = (kind, code, clause[lo]) in have
                        matched = frozenset(k for a, b in match for k in range(a, b + 1))
                        # A negation between its words negates it; one in its own phrases does not
                        # ("doesnt look like my other moles").
                        negated = any(words[k] in self._negation_words for k in range(lo, hi + 1) if k not in matched)
                        assertion = NEGATED if negated else PRESENT
                        mention = Mention(
                            "_span" if known else kind, code, tokens.starts[lo], tokens.ends[hi], assertion, "", lo, hi
                        )
                        out.append((mention, matched, kind))
                        have.add((kind, code, clause[lo]))
        return out

    def _placed(self, words: list[str], i: int) -> bool:
        """Whether the word at ``i`` is told after a word of place, up to two determiners between
        ("around my eyes", "the corners of both eyes", "under the eye")."""
        places, between = self.rules.place_words, self.rules.place_between
        for k in range(i - 1, max(i - 4, -1), -1):
            if words[k] in places:
                return True
            if words[k] not in between:
                return False
        return False

    def _nested(self, words: list[str], tokens: Tokens, mentions: list[Mention]) -> list[Mention]:
        """Concerns and body sites named inside a longer phrase of another kind ("lip filler"). A
        phrase that is itself a body site as well ("crow's feet": wrinkles, and the eye area)
        names that site, not the sites of its words ("feet")."""
        out = []
        for m in mentions:
            # a problem's phrase names no concern or site ("keeps coming back" is not on the back)
            if m.last - m.first < 1 or m.kind in _NO_NESTED:
                continue
            # a phrase that is a site itself is read as that site already; its words give none
            whole = self._lexicon.get(tuple(words[m.first : m.last + 1]), ())
            sited = any(kind == "body_site" for kind, _, _ in whole)
            for i in range(m.first, m.last + 1):
                for length in self._lengths.get(words[i], ()):
                    if i + length - 1 <= m.last and (i, length) != (m.first, m.last - m.first + 1):
                        for kind, code, value in self._lexicon.get(tuple(words[i : i + length]), ()):
                            if (
                                kind in ("concern", "body_site")
                                and kind != m.kind
                                and not (sited and kind == "body_site")
                                and not self._in_idiom(words, m.first, i, i + length - 1)
                            ):
                                out.append(
                                    Mention(
                                        kind,
                                        code,
                                        tokens.starts[i],
                                        tokens.ends[i + length - 1],
                                        PRESENT,
                                        value,
                                        i,
                                        i + length - 1,
                                    )
                                )
        return out

    def _yield_idioms(
        self,
        words: list[str],
        clause: list[int],
        matched: list[tuple[int, int, tuple[tuple[str, str, str], ...]]],
        context: frozenset[str],
    ) -> list[tuple[int, int, tuple[tuple[str, str, str], ...]]]:
        """The matches again without the idioms whose clinical context the text or the intake
        states ("I can't see the room" after filler is a loss of vision, not the idiom)."""
        said = {tuple(words[i:j]) for i, j, hits in matched if hits[0][0] == "none"} & self._yielding_phrases
        if not said:
            return matched
        codes = {code for _, _, hits in matched for _, code, _ in hits} | context
        # whole entries are dropped, so that at most one trie is built for each set of entries
        drop = frozenset(
            p for phrases, unless in self._yielding if phrases & said and not unless.isdisjoint(codes) for p in phrases
        )
        if not drop:
            return matched
        trie = self._tries_without.get(drop)
        if trie is None:
            trie = self._tries_without[drop] = build_trie({k: v for k, v in self._lexicon.items() if k not in drop})
        return list(_longest_matches(words, trie, clause))

    def _in_idiom(self, words: list[str], start: int, first: int, last: int) -> bool:
        """Whether words ``first``..``last`` are inside an idiom that starts at ``start`` or
        later ("back" in "keep coming back" is in the idiom "coming back": no body site)."""
        for i in range(max(start, first - self._idiom_reach), first + 1):
            for p in self._idioms.get(words[i], ()):
                if i + len(p) - 1 >= last and tuple(words[i : i + len(p)]) == p:
                    return True
        return False

    def _sizes(self, lower: str, tokens: Tokens) -> list[Mention]:
        """Lesion sizes stated in millimetres or centimetres (``lower``: the text in lower case)."""
        out: list[Mention] = []
        if not ("mm" in lower or "cm" in lower or "metre" in lower or "meter" in lower):
            return out
        for m in _SIZE.finditer(lower):
            size = float(m.group(1)) * (10 if m.group(2).startswith("c") else 1)
            first = token_at(tokens, m.start())
            for finding, min_mm in self.rules.sizes:
                if size >= min_mm:
                    out.append(Mention("finding", finding, m.start(), m.end(), PRESENT, "", first, first))
        return out

    def _ages(self, lower: str, tokens: Tokens) -> list[Mention]:
        """The first age stated (the patient's), from the age patterns of rules/text.yaml.

        Every pattern starts at a word and its age is a number within the next few words, so in
        ASCII text the patterns are tried only at the words just before and at each number: an
        alternation scanned over the whole text costs more than the rest of this method. Other
        text is scanned whole: its numbers may be digits the word scanner does not take (١٧, ２５).
        """
        if self._age is None:
            return []
        if not lower.isascii():
            for m in self._age.finditer(lower):
                found = _age_mention(m, tokens)
                if found is not None:
                    return [found]
            return []
        starts, ends, words = tokens.starts, tokens.ends, tokens.words
        tried: set[int] = set()
        words_before = self.rules.windows.age_words_before
        resume = 0  # like a scan: a match that gave no age is not looked into again
        for k in range(len(words)):
            w = words[k]  # "32", "f32", "50m"
            if not (w[0].isdigit() or w[-1].isdigit() or (len(w) > 2 and not w.isalpha() and has_digit(w))):
                continue
            for i in range(max(0, k - words_before), k + 1):
                # A word starts a pattern; so does the part after an apostrophe ("x'i am 40").
                apostrophe = max(lower.find("'", starts[i], ends[i]), lower.find("’", starts[i], ends[i]))
                # ...and the text's own start, before its first word ("  45, not pregnant")
                at_start = (0,) if i == 0 and starts[0] > 0 else ()
                for at in (*at_start, starts[i], apostrophe + 1) if apostrophe > 0 else (*at_start, starts[i]):
                    if at in tried or at < resume:
                        continue
                    tried.add(at)
                    hit = self._age.match(lower, at)
                    if hit is None:
                        continue
                    found = _age_mention(hit, tokens)
                    if found is not None:
                        return [found]
                    resume = hit.end()
        return []

    def _assert(
        self,
        m: Mention,
        cues: list[tuple[int, int, Any]],
        cue_starts: list[int],
        first_person: list[int],
        clause: list[int],
        words: list[str],
        negated: bool,
    ) -> Mention:
        if not clause or m.assertion != PRESENT:
            return m  # already decided (a phrase read across a negation)
        kinds = [(0, "negation")] if negated else []  # the cues that reach this mention, with their distance
        # Cues are in text order; one further than _CUE_SPAN words never counts, which keeps a
        # clause crafted of thousands of cues and mentions linear in its length.
        lo = bisect.bisect_left(cue_starts, m.first - _CUE_SPAN)
        hi = bisect.bisect_right(cue_starts, m.last + _CUE_SPAN)
        for start, end, hits in cues[lo:hi]:
            if clause[start] != clause[m.first] and clause[start] != clause[m.last]:
                continue
            for cue_type, direction in hits:
                if cue_type == "negation" and direction != "after":
                    continue  # decided by _negation_scopes
                distance = self._cue_reaches(m, start, end, direction, cue_type, clause, words, first_person)
                if distance >= 0:
                    kinds.append((distance, cue_type))
        if m.kind == "treatment" and m.last > m.first and words[m.last] in _DONE_WORDS:
            kinds.append((0, "treatment_done"))  # "lips done", "lips filled": had, unless asked for
        if not kinds:
            return m
        types = {t for _, t in kinds}
        if m.kind == "treatment":
            return self._treatment(m, kinds, types)
        if "dated" in types and m.kind in _DATED_KINDS:
            types = types | {"historical"}
        for cue_type in ("other_person", "negation", "hypothetical", "historical"):
            if cue_type in types:
                if cue_type == "historical" and (m.kind == "condition" or m.code == "age_years"):
                    continue  # a condition is history by nature ("history of cold sores"); an age is now
                if cue_type == "negation":
                    # "not pregnant": false; "not post-menopausal": nothing known
                    return _with(m, NEGATED, {"true": "false", "false": ""}.get(m.value, m.value))
                return _with(m, cue_type)
        if m.kind == "medication" and ("treatment_past" in types or "course_done" in types):
            return _with(m, HISTORICAL)  # "was on isotretinoin last year", "did accutane in 2019"
        return m

    def _treatment(self, m: Mention, kinds: list[tuple[int, str]], types: set[str]) -> Mention:
        """A treatment is asked for (even hypothetically), refused, done (the finding it leaves,
        ``after_treatment``: "had filler 2 days ago"), in the past ("had botox last year": history,
        no finding), or another person's, asked for or had ("my sister had filler", "my friend
        wants a facial too"). The nearest of a request cue
        and a treatment_done or historical cue decides between asking and having had it."""
        if "negation" in types:
            return _with(m, NEGATED)
        if "other_person" in types:
            # another person's, asked for or had ("my maid of honour also wants a facial", "my
            # sister had filler"); one the text is written for is the patient (proxy), and a
            # first-person word ends the cue's reach ("my husband wants me to get botox")
            return _with(m, OTHER_PERSON)
        done = _nearest_cue(kinds, "treatment_done")
        past = min(
            (d for d in (_nearest_cue(kinds, t) for t in ("historical", "treatment_past", "dated")) if d >= 0),
            default=-1,
        )
        request = _nearest_cue(kinds, "request")
        if done < 0 and past < 0:
            return m  # asking about a treatment, even hypothetically, is a request
        if request >= 0 and (done < 0 or request <= done) and (past < 0 or request <= past):
            return m  # "wants to start laser this week", "my filler appointment is on friday"
        finding = self.rules.after_treatment.get(m.code)
        if past < 0 and finding is not None:
            value = UNEVENTFUL if "uneventful" in types else ""  # "botox 3 weeks ago, went fine"
            return Mention("finding", finding, m.start, m.end, PRESENT, value, m.first, m.last)
        return _with(m, HISTORICAL)

    def _cue_reaches(
        self,
        m: Mention,
        start: int,
        end: int,
        direction: str,
        cue_type: str,
        clause: list[int],
        words: list[str],
        first_person: list[int] | None = None,
    ) -> int:
        """How many words from the cue (tokens ``start``..``end``) to the mention, or -1 when it does not reach it."""
        if direction == "before" and end - 1 < m.first and clause[start] == clause[m.first]:
            if self._reaches(cue_type, end, m.first, words, first_person):
                return m.first - end
        elif direction == "after" and start > m.last and clause[start] == clause[m.last]:
            # how a treatment went is told after its date and site ("botox for my forehead three
            # weeks ago - went fine"): twice as far
            reach = self.rules.windows.after_cue_reach * (2 if cue_type == "uneventful" else 1)
            if start - m.last <= reach:
                return start - m.last
        return -1

    def _reaches(
        self, cue_type: str, cue_end: int, target: int, words: list[str], first_person: list[int] | None
    ) -> bool:
        """Whether a cue ending at token ``cue_end`` reaches the mention starting at ``target``
        (``first_person``: the prefix counts of first-person words, when the caller has them)."""
        if cue_type == "other_person":  # no first-person word between, nor starting the mention ("my neck")
            if words[target] in self.rules.first_person:
                return False
            if first_person is not None:
                return first_person[target] == first_person[cue_end]
            return not any(w in self.rules.first_person for w in words[cue_end:target])
        if cue_type in ("treatment_done", "request", "course_done"):
            return target - cue_end <= self.rules.windows.treatment_done_reach
        return True


def _age_then_cues(cues: list[tuple[int, int, Any]], tokens: Tokens, lower: str) -> list[tuple[int, int, Any]]:
    """The cues with a historical one (after what it dates) for each age told as then ("acne
    when I was 19", "when she was about 12"): what it follows was in the past."""
    starts = [c[0] for c in cues]
    added = []
    for hit in _AGE_THEN.finditer(lower):
        first, last = token_at(tokens, hit.start()), token_at(tokens, hit.end() - 1)
        j = bisect.bisect_right(starts, last)
        if last >= first and not (j > 0 and cues[j - 1][1] > first):
            added.append((first, last + 1, _THEN_CUE))
    return sorted(cues + added, key=lambda c: c[0]) if added else cues


def _age_as_mine(words: list[str], first: int) -> bool:
    """Whether the age at word ``first`` is told as the writer's ("I'm 29", "I am 29")."""
    return words[first - 1 : first] == ["im"] or words[max(first - 2, 0) : first] == ["i", "am"]


def _says_any(words: list[str], phrases: frozenset[tuple[str, ...]]) -> bool:
    """Whether one of ``phrases`` stands anywhere in the words ("started it again", "back on it")."""
    return any(_phrase_at(words, i, phrases) for i in range(len(words)))


def _said_as_mine(words: list[str], clause: list[int], first: int, third: frozenset[str]) -> bool:
    """Whether "I'm" or "I am" stands at most three words before word ``first`` in its clause,
    with no third-person word between ("I'm 5 months pregnant"; not "I'm sure she is pregnant")."""
    for j in range(first - 1, max(first - 5, -1), -1):
        if clause[j] != clause[first] or words[j] in third:
            return False
        if words[j] == "im" or (words[j] == "am" and j > 0 and words[j - 1] == "i"):
            return True
    return False


def _prefix_counts(words: list[str], members: frozenset[str]) -> list[int]:
    """counts[i]: how many of words[:i] are in ``members``."""
    counts = [0]
    for w in words:
        counts.append(counts[-1] + (w in members))
    return counts


def _nearest_cue(kinds: list[tuple[int, str]], cue_type: str) -> int:
    """The distance of the nearest cue of a type among those reaching a mention, or -1."""
    best = -1
    for distance, t in kinds:
        if t == cue_type and (best < 0 or distance < best):
            best = distance
    return best


def _by_first_word(phrases: Phrases) -> _ByFirst:
    out: _ByFirst = {}
    for phrase in sorted(phrases):
        out.setdefault(phrase[0], []).append(phrase)
    return out


def _phrase_at(words: list[str], i: int, phrases: frozenset[tuple[str, ...]]) -> bool:
    """Whether one of the phrases starts at word ``i``."""
    return any(tuple(words[i : i + len(p)]) == p for p in phrases) if i < len(words) else False


def _phrase_before(words: list[str], i: int, phrases: frozenset[tuple[str, ...]]) -> bool:
    """Whether one of the phrases ends just before word ``i``."""
    return any(i >= len(p) and tuple(words[i - len(p) : i]) == p for p in phrases)


def _bound(m: Mention, words: list[str], phrases: frozenset[tuple[str, ...]]) -> bool:
    """Whether the mention is stated in one of the context-bound phrases (its first and last
    words are the phrase's, so a pair read apart counts: "can't really see")."""
    return any(words[m.first] == p[0] and words[m.last] == p[-1] for p in phrases)


class _Dates:
    """The dating statements of one text ("2 months ago", "18 months now") and the bounds of its
    clauses, each clause's found once when a medicine or treatment in it is first dated, so
    that a clause of a hundred dated mentions stays linear and a text with none costs nothing."""

    def __init__(self, lower: str, tokens: Tokens, clause: list[int], this_year: int) -> None:
        self.lower, self.tokens, self.clause, self.this_year = lower, tokens, clause, this_year
        self._spans: dict[int, tuple[int, int]] = {}  # by clause number: its first word and last
        self._hits: dict[tuple[int, int], list[tuple[int, int, float, bool]]] = {}  # start, end, months, "now"

    def months_ago(self, m: Mention, since_only: bool = False) -> float | None:
        """How many months ago the mention's clause says it was (the statement nearest the
        mention), else the next clause of the same sentence ("a course of roaccutane, but I
        finished it two years ago"), or None when neither says. ``since_only``: only statements
        of time since ("ago", "back"), not of duration ("18 months now")."""
        clause = self.clause
        first, last = self._span(m.first)[0], self._span(m.last)[1]
        found = self._nearest(m, self._in(first, last), since_only)
        if found is not None or last + 1 >= len(clause):
            return found
        starts, ends = self.tokens.starts, self.tokens.ends
        if _SENTENCE_END.search(self.lower, ends[last], starts[last + 1]) is not None:
            return None
        return self._nearest(m, self._in(last + 1, self._span(last + 1)[1]), since_only)

    def _span(self, word: int) -> tuple[int, int]:
        c = self.clause[word]
        span = self._spans.get(c)
        if span is None:
            first, last = word, word
            while first > 0 and self.clause[first - 1] == c:
                first -= 1
            while last + 1 < len(self.clause) and self.clause[last + 1] == c:
                last += 1
            span = self._spans[c] = (first, last)
        return span

    def _in(self, first: int, last: int) -> list[tuple[int, int, float, bool]]:
        """The dating statements within the words ``first``..``last`` (whole clauses)."""
        hits = self._hits.get((first, last))
        if hits is None:
            hits = self._hits[first, last] = []
            for hit in _AGO.finditer(self.lower, self.tokens.starts[first], self.tokens.ends[last]):
                if _STARTED.search(self.lower, max(0, hit.start() - 40), hit.start()) is not None:
                    continue  # "I'm on accutane, started 2 years ago": when it began, not ended
                if hit.group(1) is None:
                    months = 1e9  # "long time ago", "years ago"
                else:
                    amount = hit.group(1)
                    number = _NUMBER_WORDS.get(amount)
                    months = (number if number is not None else float(amount)) * _UNIT_MONTHS[hit.group(2)]
                hits.append((hit.start(), hit.end(), months, hit.group(0).endswith("now")))
            for hit in _YEAR.finditer(self.lower, self.tokens.starts[first], self.tokens.ends[last]):
                # "in 2025": at least the months from its December to now, the recent side. A
                # year never ends a use told as now ("started isotretinoin in 2024, still on
                # it"): it counts, like a duration, only for a course told as finished.
                years = self.this_year - int(hit.group(1))
                if years >= 1:
                    hits.append((hit.start(), hit.end(), 12.0 * (years - 1) + 1, True))
        return hits

    @staticmethod
    def _nearest(m: Mention, hits: list[tuple[int, int, float, bool]], since_only: bool) -> float | None:
        """The months of the dating statement nearest the mention."""
        best: float | None = None
        gap = -1
        for hit_start, hit_end, months, duration in hits:
            if since_only and duration:
                continue
            distance = hit_start - m.end if hit_start >= m.end else m.start - hit_end
            if gap < 0 or distance < gap:
                best, gap = months, max(distance, 0)
        return best


def _asked_again(mentions: list[Mention], asserted: list[Mention]) -> list[Mention]:
    """In a text that asks for the same again ("my usual top-up", "the same one my sister had")
    and names no treatment it asks for, each treatment it tells was had, by the patient or by
    another, asked for again. ``asserted``: the mentions as their cues decided them, in order."""
    if any(a.kind == "treatment" and a.assertion == PRESENT for a in asserted):
        return []  # "a top-up of filler" asks for the filler it names, not the botox had before
    out: list[Mention] = []
    for m, a in zip(mentions, asserted, strict=True):
        had = a.kind == "finding" or a.assertion in (HISTORICAL, OTHER_PERSON)  # done: the finding it left
        if m.kind == "treatment" and had and all(o.code != m.code for o in out):
            out.append(Mention("treatment", m.code, m.start, m.end, PRESENT, "", m.first, m.last))
    return out


def _with(m: Mention, assertion: str, value: str | None = None) -> Mention:
    """The mention with another assertion (dataclasses.replace costs several times more)."""
    return Mention(m.kind, m.code, m.start, m.end, assertion, m.value if value is None else value, m.first, m.last)


def _inside_combination(m: Mention, combined: list[tuple[Mention, frozenset[int], str]]) -> bool:
    """A one-word finding or concern on a word of a many-word finding says less ("swelling" in
    "lips ... swelling", "redness" in "the redness has spread"); so does a one-word treatment in
    a many-word one."""
    if m.first != m.last or m.kind not in ("finding", "concern", "treatment"):
        return False
    # A treatment stated in many words ("laser on my underarms") shadows only a vaguer treatment.
    return any(
        m.first in matched and m.code != c.code and (m.kind == "treatment") == (kind == "treatment")
        for c, matched, kind in combined
    )


def _first_word_lengths(index: Mapping[tuple[str, ...], Any]) -> dict[str, tuple[int, ...]]:
    lengths: dict[str, set[int]] = {}
    for key in index:
        lengths.setdefault(key[0], set()).add(len(key))
    return {w: tuple(sorted(ls, reverse=True)) for w, ls in lengths.items()}


_HITS = ""  # the key under which a trie node keeps the hits of the phrase ending there


def build_trie(index: Mapping[tuple[str, ...], Any]) -> dict[str, Any]:
    """A word trie of the phrases, so matching walks words instead of building tuples."""
    root: dict[str, Any] = {}
    for phrase, hits in index.items():
        node = root
        for word in phrase:
            node = node.setdefault(word, {})
        node[_HITS] = hits
    return root


def _comma_segments(tokens: Tokens, clause: list[int]) -> list[int]:
    """The clause numbers, with each comma between two words starting a new one as well."""
    lower, starts = tokens.lower, tokens.starts
    out = list(clause)
    at = lower.find(",")
    if at < 0:
        return out
    marks = [0] * len(out)
    while at >= 0:  # each comma starts a segment at the word after it
        k = bisect.bisect_right(starts, at)
        if 0 < k < len(out):
            marks[k] = 1
        at = lower.find(",", at + 1)
    shift = 0
    for i in range(len(out)):
        shift += marks[i]
        out[i] += shift
    return out


def _longest_matches(words: list[str], trie: dict[str, Any], clause: list[int]) -> list[tuple[int, int, Any]]:
    """Greedy longest phrase matches, left to right, never across a clause boundary."""
    out = []
    i, n = 0, len(words)
    while i < n:
        node: dict[str, Any] | None = trie.get(words[i])  # typed dicts: mypyc calls the dict C API
        best = None
        j = i
        while node is not None:
            j += 1
            if _HITS in node:
                best = (j, node[_HITS])
            if j >= n or clause[j] != clause[i]:
                break
            node = node.get(words[j])
        if best is None:
            i += 1
        else:
            out.append((i, best[0], best[1]))
            i = best[0]
    return out


def _age_mention(m: re.Match[str], tokens: Tokens) -> Mention | None:
    """The age an age pattern matched, if it is one (1 to 120 years, in digits: a pattern of
    rules/text.yaml may have an optional group, or one that takes more than digits)."""
    group = next((g for g in range(1, len(m.groups()) + 1) if m.group(g) is not None), 0)
    value = m.group(group) if group else ""
    if not value.isdecimal() or not 0 < int(value) <= 120:
        return None
    first = token_at(tokens, m.start(group))
    return Mention("patient_fact", "age_years", m.start(group), m.end(group), PRESENT, m.group(group), first, first)
