"""Reads patients' own words into the same facts as the structured codes.

A dictionary matcher over the catalog synonyms (longest phrase first, with one-edit typo
tolerance for words no English dictionary knows), then ConText-style cue rules from
``rules/text.yaml`` decide whether each mention is stated about the patient now (present),
negated, hypothetical, historical, or about another person. Only present mentions become
facts; negated pregnancy and breastfeeding statements become "no". Standard library only:
the word list that guards typo correction is passed in by the caller.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .catalog import Catalog
from .errors import RulesError
from .model import Concern, Intake, Patient, TreatmentRequest, Venue

# How a mention read from text stands for the patient.
PRESENT, NEGATED, HYPOTHETICAL, HISTORICAL, OTHER_PERSON = (
    "present",
    "negated",
    "hypothetical",
    "historical",
    "other_person",
)


@dataclass(slots=True, unsafe_hash=True)  # not frozen: mypyc compiles this __init__, not a frozen one
class Mention:
    """One concept read from a text: kind, code, character span, and how it is asserted."""

    kind: str  # a catalog kind, "patient_fact" or "venue_fact"
    code: str  # a vocabulary code, or age_years / pregnant / breastfeeding / venue_kind / medical_supervision
    start: int
    end: int
    assertion: str = PRESENT
    value: str = ""  # for patient and venue facts
    first: int = 0  # token indexes, for linking findings and sites to the nearest concern
    last: int = 0


@dataclass(slots=True, unsafe_hash=True)  # not frozen, as Mention
class TextFinding:
    """A mention as reported to the caller: where it was read and whether it became a fact."""

    field: str
    mention: Mention
    used: bool


KINDS = ("concern", "finding", "body_site", "condition", "medication", "treatment")
CUE_TYPES = ("negation", "hypothetical", "historical", "other_person", "treatment_done")
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_NEGATION_WINDOW = 3  # tokens between a negation cue and the first mention it negates
_MAX_ITEMS = 20
_DIGIT = re.compile(r"\d")
# An age pattern of rules/text.yaml starts at most this many words before its number.
_AGE_WORDS_BEFORE = 3
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*(mm|millimet(?:er|re)s?|cm|centimet(?:er|re)s?)\b")
_FUNCTION_WORDS = frozenset(
    "is are was were be been has have had do does did it its this that there the a an to of in on at for with "
    "from by up down out over very so too just".split()
)


@dataclass(slots=True)  # not frozen, as Mention
class Tokens:
    """A text's words, normalised, with their character spans (parallel lists: no object a word)."""

    words: list[str]
    starts: list[int]
    ends: list[int]


def normalize_word(word: str, spelling: Mapping[str, str]) -> str:
    """Lower-case word without apostrophes or accents, American spelling, singular."""
    word = word.replace("'", "").replace("’", "")
    if not word.isascii():
        word = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
    return singular(spelling.get(word, word))


def singular(word: str) -> str:
    """A crude plural stripper, applied alike to texts and synonyms so that either form matches."""
    if len(word) <= 3 or not word.isalpha() or word.endswith(("ss", "us", "is", "ous")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("ves") and len(word) > 4:
        return word[:-3] + "f"
    if word.endswith(("ches", "shes", "xes", "zes", "sses")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


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
    # (kind, code, within, groups): every group (a set of phrases) within `within` words of one clause
    combinations: tuple[tuple[str, str, int, tuple[frozenset[tuple[str, ...]], ...]], ...] = ()
    sizes: tuple[tuple[str, float], ...] = ()  # (finding, minimum millimetres)
    derive: tuple[tuple[frozenset[str], str, frozenset[str]], ...] = ()  # (findings together, added, dropped)
    complication_concern: str = ""
    history_condition: Mapping[str, str] = field(default_factory=dict)  # concern in the past -> condition
    idioms: frozenset[tuple[str, ...]] = frozenset()
    lesion_findings: frozenset[str] = frozenset()  # read only on a lesion concern (or an uncoded one)
    lesion_concerns: frozenset[str] = frozenset()

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
            if any(p.groups != 1 for p in ages):
                raise RulesError(file, "age: each pattern needs exactly one group, the age")
        except re.error as exc:
            raise RulesError(file, f"age: invalid pattern ({exc})") from None

        def words(key: str) -> frozenset[str]:
            return frozenset(normalize_word(w, spelling) for w in data.get(key) or [])

        combinations = []
        for i, raw in enumerate(data.get("combinations") or []):
            where = f"combinations[{i}]"
            kind = "finding" if "finding" in raw else "concern"
            code = raw.get(kind)
            if code not in catalog.codes(kind):
                raise RulesError(file, f"{where}: unknown {kind} code {code!r}")
            groups = raw.get("all")
            if not isinstance(groups, list) or len(groups) < 2 or not isinstance(raw.get("within"), int):
                raise RulesError(file, f"{where}: needs 'within' (words) and 'all' (two or more phrase lists)")
            combinations.append(
                (kind, code, raw["within"], tuple(frozenset(phrase(str(p), where) for p in g) for g in groups))
            )
        sizes = []
        for raw in data.get("sizes") or []:
            if raw.get("finding") not in catalog.codes("finding"):
                raise RulesError(file, f"sizes: unknown finding {raw.get('finding')!r}")
            sizes.append((raw["finding"], float(raw["min_mm"])))
        derive = []
        for raw in data.get("derive") or []:
            codes = [*raw.get("all", []), raw.get("add")]
            if not all(c in catalog.codes("finding") for c in codes):
                raise RulesError(file, f"derive: unknown finding in {codes}")
            derive.append((frozenset(raw["all"]), raw["add"], frozenset(raw.get("drop") or ())))
        history = dict(data.get("history_condition") or {})
        for concern, condition in history.items():
            if concern not in catalog.codes("concern") or condition not in catalog.codes("condition"):
                raise RulesError(file, f"history_condition: unknown code in {concern!r}: {condition!r}")
        lesion_findings = frozenset(data.get("lesion_findings") or ())
        lesion_concerns = frozenset(data.get("lesion_concerns") or ())
        if not lesion_findings <= set(catalog.codes("finding")) or not lesion_concerns <= set(catalog.codes("concern")):
            raise RulesError(file, "lesion_findings / lesion_concerns: unknown code")
        complication = data.get("complication_concern", "")
        if complication and complication not in catalog.codes("concern"):
            raise RulesError(file, f"complication_concern: unknown concern {complication!r}")

        return cls(
            spelling=spelling,
            cues={k: tuple(v) for k, v in cues.items()},
            after_treatment=dict(after),
            list_words=words("list_words"),
            terminators=words("terminators"),
            first_person=words("first_person"),
            fact_phrases={k: tuple(v) for k, v in facts.items()},
            age_patterns=ages,
            combinations=tuple(combinations),
            sizes=tuple(sizes),
            derive=tuple(derive),
            complication_concern=complication,
            history_condition=history,
            idioms=frozenset(phrase(p, "idioms") for p in data.get("idioms") or ()),
            lesion_findings=lesion_findings,
            lesion_concerns=lesion_concerns,
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
        for key in rules.idioms:  # matched like concepts, so their words are taken, then dropped
            lexicon[key] = [("none", "", "")]
        self._lexicon = {k: tuple(v) for k, v in lexicon.items()}
        self._lengths = _first_word_lengths(self._lexicon)
        self._trie = build_trie(self._lexicon)
        self._cue_trie = build_trie(rules.cues)
        # One-word negation cues: a phrase read across one of them ("redness isnt spreading") is negated.
        self._negation_words = frozenset(
            k[0] for k, hits in rules.cues.items() if len(k) == 1 and ("negation", "before") in hits
        )
        vocabulary = {w for key in self._lexicon for w in key}
        self._vocabulary = frozenset(vocabulary)
        # Typo correction: a word no dictionary knows, one edit away from exactly one lexicon word.
        self._known = (
            frozenset(singular(w) for w in known_words) | self._vocabulary | rules.list_words | rules.first_person
        )
        self._deletes: dict[str, set[str]] = {}
        for word in vocabulary:
            if len(word) >= 5 and word.isalpha():
                for variant in _deletes(word):
                    self._deletes.setdefault(variant, set()).add(word)
        self._four_letter = frozenset(w for w in vocabulary if len(w) == 4 and w.isalpha())
        # Two-word phrases also match apart or reversed within a clause ("tongue is swelling",
        # "vision went blurry"), when both words carry meaning.
        function_words = rules.list_words | rules.first_person | _FUNCTION_WORDS
        self._pairs: dict[str, dict[str, tuple[tuple[str, str, str], ...]]] = {}
        for key, hits in self._lexicon.items():
            if len(key) == 2 and not set(key) & function_words and all(len(w) > 2 for w in key):
                self._pairs.setdefault(key[0], {}).setdefault(key[1], hits)
                self._pairs.setdefault(key[1], {}).setdefault(key[0], hits)
        self._corrections: dict[str, str | None] = {}
        self._word_cache: dict[str, str] = {}  # raw word -> its normalised, corrected form
        # The age patterns as one alternation: one scan of the text instead of one each.
        self._age = re.compile("|".join(f"(?:{p.pattern})" for p in rules.age_patterns)) if rules.age_patterns else None
        groups_of: dict[tuple[str, ...], list[tuple[int, int]]] = {}
        for c, (_, _, _, groups) in enumerate(rules.combinations):
            for g, group in enumerate(groups):
                for key in group:
                    if key:
                        groups_of.setdefault(key, []).append((c, g))
        self._combination_trie = build_trie(groups_of)
        self._combination_firsts = [
            tuple(frozenset(key[0] for key in group if key) for group in groups)
            for _, _, _, groups in rules.combinations
        ]

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

    def tokens(self, text: str) -> tuple[Tokens, list[int]]:
        """Normalised tokens, and the clause number of each (clauses end at . ! ? ; : and at
        words such as "but")."""
        lower = _lower(text)
        starts, ends, clause = _scan(lower)
        cache = self._word_cache
        words = []
        for a, b in zip(starts, ends, strict=True):
            raw = lower[a:b]
            word = cache.get(raw)
            if word is None:
                word = self._correct(normalize_word(raw, self.rules.spelling))
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
        return Tokens(words, starts, ends), clause

    def read(self, text: str) -> list[Mention]:
        """Every mention in the text, each with its assertion."""
        tokens, clause = self.tokens(text)
        words = tokens.words
        mentions = [
            Mention(kind, code, tokens.starts[i], tokens.ends[j - 1], PRESENT, value, i, j - 1)
            for i, j, hits in self.match(words, clause)
            for kind, code, value in hits
        ]
        mentions.extend(self._nested(words, tokens, mentions))  # only inside exact phrases
        mentions = self._apart(words, tokens, clause, mentions)
        combined = self._combinations(words, tokens, clause, mentions)
        mentions = [m for m in mentions if not _inside_combination(m, combined)] + [c for c, _ in combined]
        lower = _lower(text)
        if _has_digit(lower):  # sizes and ages need a number
            mentions.extend(self._sizes(lower, tokens))
            mentions.extend(self._ages(lower, tokens))
        covered = {k for m in mentions for k in range(m.first, m.last + 1)}
        cues = _longest_matches(words, self._cue_trie, clause)
        cues = [c for c in cues if not any(k in covered for k in range(c[0], c[1]))]
        unique: dict[tuple[str, str, int, int], Mention] = {}
        for m in mentions:
            if m.kind not in ("none", "_span"):
                unique.setdefault((m.kind, m.code, m.first, m.last), m)
        mentions = list(unique.values())
        mentions.sort(key=lambda m: (m.first, m.kind))
        negated = self._negation_scopes(mentions, cues, clause, words)
        return [self._assert(m, cues, clause, words, k in negated) for k, m in enumerate(mentions)]

    def _negation_scopes(
        self, mentions: list[Mention], cues: list[tuple[int, int, Any]], clause: list[int], words: list[str]
    ) -> set[int]:
        """Mentions a negation cue reaches: the first within a few words of the cue, then a list
        that carries on ("no fever, chills or rash") until a word that is not a list word."""
        out: set[int] = set()
        for start, end, hits in cues:
            if ("negation", "before") not in hits:
                continue
            previous_end = end
            for k, m in enumerate(mentions):
                if m.first < end or clause[m.first] != clause[start]:
                    continue
                gap = words[previous_end : m.first]
                if previous_end == end:
                    if m.first - end > _NEGATION_WINDOW:
                        break
                elif not all(w in self.rules.list_words for w in gap):
                    break
                out.add(k)
                previous_end = max(previous_end, m.last + 1)
        return out

    def match(self, words: list[str], clause: list[int]) -> Iterable[tuple[int, int, tuple[tuple[str, str, str], ...]]]:
        """Concept phrases in the normalised words: (first token, end token, (kind, code, value)...)."""
        return _longest_matches(words, self._trie, clause)

    def _apart(self, words: list[str], tokens: Tokens, clause: list[int], mentions: list[Mention]) -> list[Mention]:
        """Adds two-word phrases whose words stand apart (up to two words between) or reversed.

        Such a pair may take over a one-word mention ("tongue ... swelling" is more than
        "swelling"), never part of a longer phrase.
        """
        single = {m.first: m for m in mentions if m.first == m.last}
        taken = {k for m in mentions if m.first != m.last for k in range(m.first, m.last + 1)}
        replaced: set[int] = set()
        out: list[Mention] = []
        pairs = self._pairs
        n = len(words)
        for i, w in enumerate(words):
            partners = pairs.get(w)
            if partners is None or i in taken:
                continue
            for j in range(i + 1, min(i + 4, n)):
                hits = partners.get(words[j])
                if hits is None or j in taken or clause[j] != clause[i]:
                    continue
                if any(words[k] in self._negation_words for k in range(i + 1, j)):
                    break  # never read a pair across a negation
                out.extend(Mention(k, c, tokens.starts[i], tokens.ends[j], PRESENT, v, i, j) for k, c, v in hits)
                taken.update((i, j))
                replaced.update(k for k in (i, j) if k in single)
                break
        return [m for m in mentions if not (m.first == m.last and m.first in replaced)] + out

    def _combinations(
        self, words: list[str], tokens: Tokens, clause: list[int], mentions: list[Mention]
    ) -> list[tuple[Mention, frozenset[int]]]:
        """Concepts stated in many words: one word group each within a short span of one clause.

        Each comes with the tokens its groups matched, which no vaguer one-word mention keeps.
        """
        if not self.rules.combinations:
            return []
        # Only combinations each of whose groups can start somewhere in this text are looked for.
        present = set(words)
        wanted = {
            c for c, firsts in enumerate(self._combination_firsts) if all(not f.isdisjoint(present) for f in firsts)
        }
        if not wanted:
            return []
        found: dict[int, list[list[tuple[int, int]]]] = {}
        trie = self._combination_trie
        n = len(words)
        for i, w in enumerate(words):
            node: dict[str, Any] | None = trie.get(w)
            j = i
            while node is not None:  # every group phrase starting here, not only the longest
                if _HITS in node:
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
        out = []
        for c, groups in found.items():
            kind, code, within, _ = self.rules.combinations[c]
            if not all(groups):
                continue
            for first in groups[0]:
                match = [first]
                for other in groups[1:]:
                    near = [o for o in other if clause[o[0]] == clause[first[0]] and abs(o[0] - first[0]) <= within]
                    if not near:
                        break
                    match.append(min(near, key=lambda o: abs(o[0] - first[0])))
                else:
                    lo, hi = min(m[0] for m in match), max(m[1] for m in match)
                    if hi - lo <= within + 3:
                        # Already read in other words: the span still shadows the vaguer words in it.
                        known = (kind, code, clause[lo]) in have
                        negated = any(words[k] in self._negation_words for k in range(lo, hi + 1))
                        assertion = NEGATED if negated else PRESENT
                        mention = Mention(
                            "_span" if known else kind, code, tokens.starts[lo], tokens.ends[hi], assertion, "", lo, hi
                        )
                        out.append((mention, frozenset(k for a, b in match for k in range(a, b + 1))))
                        have.add((kind, code, clause[lo]))
        return out

    def _nested(self, words: list[str], tokens: Tokens, mentions: list[Mention]) -> list[Mention]:
        """Concerns and body sites named inside a longer phrase of another kind ("lip filler")."""
        out = []
        for m in mentions:
            if m.last - m.first < 1 or m.kind in ("patient_fact", "venue_fact", "condition", "none", "_span"):
                continue
            for i in range(m.first, m.last + 1):
                for length in self._lengths.get(words[i], ()):
                    if i + length - 1 <= m.last and (i, length) != (m.first, m.last - m.first + 1):
                        for kind, code, value in self._lexicon.get(tuple(words[i : i + length]), ()):
                            if kind in ("concern", "body_site") and kind != m.kind:
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

    def _sizes(self, lower: str, tokens: Tokens) -> list[Mention]:
        """Lesion sizes stated in millimetres or centimetres (``lower``: the text in lower case)."""
        out: list[Mention] = []
        if not ("mm" in lower or "cm" in lower or "metre" in lower or "meter" in lower):
            return out
        for m in _SIZE.finditer(lower):
            size = float(m.group(1)) * (10 if m.group(2).startswith("c") else 1)
            first = _token_at(tokens, m.start())
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
        resume = 0  # like a scan: a match that gave no age is not looked into again
        for k in range(len(words)):
            if not words[k][:1].isdigit():
                continue
            for i in range(max(0, k - _AGE_WORDS_BEFORE), k + 1):
                # A word starts a pattern; so does the part after an apostrophe ("x'i am 40").
                apostrophe = max(lower.find("'", starts[i], ends[i]), lower.find("’", starts[i], ends[i]))
                for at in (starts[i], apostrophe + 1) if apostrophe > 0 else (starts[i],):
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
        self, m: Mention, cues: list[tuple[int, int, Any]], clause: list[int], words: list[str], negated: bool
    ) -> Mention:
        if not clause or m.assertion != PRESENT:
            return m  # already decided (a phrase read across a negation)
        kinds = [(0, "negation")] if negated else []  # the cues that reach this mention
        for start, end, hits in cues:
            if clause[start] != clause[m.first] and clause[start] != clause[m.last]:
                continue
            for cue_type, direction in hits:
                if cue_type == "negation" and direction == "before":
                    continue  # decided by _negation_scopes
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
                return _with(m, NEGATED)
            if "treatment_done" in types or "historical" in types:
                return _with(m, HISTORICAL)
            return m  # asking about a treatment, even hypothetically, is a request
        for cue_type in ("other_person", "negation", "hypothetical", "historical"):
            if cue_type in types:
                if cue_type == "historical" and m.kind == "condition":
                    return m  # a condition is history by nature ("history of cold sores")
                if cue_type == "negation":
                    return _with(m, NEGATED, "false" if m.value == "true" else m.value)
                return _with(m, cue_type)
        return m

    def _reaches(self, cue_type: str, cue_end: int, target: int, words: list[str], clause: list[int]) -> bool:
        """Whether a cue ending at token ``cue_end`` reaches the mention starting at ``target``."""
        between = words[cue_end:target]
        if cue_type == "other_person":
            return not any(w in self.rules.first_person for w in between)
        if cue_type == "treatment_done":
            return target - cue_end <= 3
        return True


def _with(m: Mention, assertion: str, value: str | None = None) -> Mention:
    """The mention with another assertion (dataclasses.replace costs several times more)."""
    return Mention(m.kind, m.code, m.start, m.end, assertion, m.value if value is None else value, m.first, m.last)


def _inside_combination(m: Mention, combined: list[tuple[Mention, frozenset[int]]]) -> bool:
    """A one-word finding or concern on a word of a many-word finding says less ("swelling" in
    "lips ... swelling", "redness" in "the redness has spread")."""
    return (
        m.first == m.last
        and m.kind in ("finding", "concern")
        and any(m.first in matched and m.code != c.code for c, matched in combined)
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


_BOUNDARY_CODES = frozenset(map(ord, ".!?;:\n()[]"))


def _lower(text: str) -> str:
    """The text in lower case, character for character, so that offsets into it are offsets
    into the text: a character whose lower case is longer (İ -> i + dot) stays as it is."""
    lower = text.lower()
    if len(lower) == len(text):  # lower-casing never shortens: the same length is one to one
        return lower
    return "".join(c if len(low := c.lower()) != 1 else low for c in text)


def _scan(lower: str) -> tuple[list[int], list[int], list[int]]:
    """The words of a lower-case text as _WORD matches them, with their spans and the number of
    clause marks (. ! ? ; : newline brackets) before each, in one pass over character codes:
    compiled, cheaper than the two regular-expression scans it replaced (tests/test_text.py
    checks it against them)."""
    starts: list[int] = []
    ends: list[int] = []
    clauses: list[int] = []
    n, i, marks = len(lower), 0, 0
    while i < n:
        o = ord(lower[i])
        if 97 <= o <= 122 or 48 <= o <= 57:  # [a-z0-9]
            start = i
            i += 1
            while i < n and (97 <= (o := ord(lower[i])) <= 122 or 48 <= o <= 57):
                i += 1
            # "don't", "patient’s": an apostrophe and letters carry on the word
            if i + 1 < n and ord(lower[i]) in (39, 0x2019) and 97 <= ord(lower[i + 1]) <= 122:
                i += 2
                while i < n and 97 <= ord(lower[i]) <= 122:
                    i += 1
            starts.append(start)
            ends.append(i)
            clauses.append(marks)
        else:
            if o in _BOUNDARY_CODES:
                marks += 1
            i += 1
    return starts, ends, clauses


def _has_digit(text: str) -> bool:
    """As ``_DIGIT.search(text)``; substring searches are cheaper than the regular expression."""
    if text.isascii():
        return any(d in text for d in "0123456789")
    return _DIGIT.search(text) is not None


def _token_at(tokens: Tokens, position: int) -> int:
    """The index of the word at or after a character position, or of the last word: a number
    in digits the word scanner does not take (١٧) can end the text."""
    return min(bisect.bisect_right(tokens.ends, position), max(len(tokens.ends) - 1, 0))


def _age_mention(m: re.Match[str], tokens: Tokens) -> Mention | None:
    """The age an age pattern matched, if it is one (1 to 120 years)."""
    group = next(g for g in range(1, len(m.groups()) + 1) if m.group(g) is not None)
    if not 0 < int(m.group(group)) <= 120:
        return None
    first = _token_at(tokens, m.start(group))
    return Mention("patient_fact", "age_years", m.start(group), m.end(group), PRESENT, m.group(group), first, first)


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
    p0, v0 = intake.patient, intake.venue
    structured = {  # facts the request already states: text does not override them
        name
        for name, value in (
            ("age_years", p0.age_years),
            ("pregnant", p0.pregnant),
            ("breastfeeding", p0.breastfeeding),
            ("venue_kind", v0.kind if v0 else None),
            ("medical_supervision", v0.medical_supervision if v0 else None),
        )
        if value is not None
    }
    after = reader.rules.after_treatment

    def read(field_name: str, text: str, own: _Draft | None) -> None:
        mentions = reader.read(text)
        used: set[int] = set()
        anchors: list[tuple[Mention, _Draft]] = []  # concerns mentioned here, for linking findings
        for k, m in enumerate(mentions):
            if m.assertion == HISTORICAL and m.kind == "treatment" and m.code in after:
                mentions[k] = m = Mention("finding", after[m.code], m.start, m.end, PRESENT, "", m.first, m.last)
            if m.kind == "concern" and m.assertion == HISTORICAL and m.code in reader.rules.history_condition:
                mentions[k] = m = Mention(
                    "condition", reader.rules.history_condition[m.code], m.start, m.end, PRESENT, "", m.first, m.last
                )
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
                    rules = reader.rules
                    if m.code in rules.lesion_findings and target.code and target.code not in rules.lesion_concerns:
                        continue  # a lesion feature on another concern ("itchy psoriasis")
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
                    if m.code not in structured:
                        used.add(k)
        report.extend(TextFinding(field_name, m, k in used) for k, m in enumerate(mentions))

    for i, c in enumerate(intake.concerns):
        if c.text:
            read(f"concerns[{i}].text", c.text, concerns[i])
    if intake.free_text:
        read("free_text", intake.free_text, None)
    if not report:
        return intake, ()

    after_findings = set(after.values())
    for draft in concerns:
        for together, add, drop in reader.rules.derive:
            if together <= set(draft.findings) and add not in draft.findings:
                draft.findings[:] = [f for f in draft.findings if f not in drop] + [add]
        # A problem told only in words, after a treatment: a complication of that treatment.
        if not draft.code and reader.rules.complication_concern and after_findings & set(draft.findings):
            if set(draft.findings) - after_findings:
                draft.code = reader.rules.complication_concern

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
    merged = Intake(
        request_id=intake.request_id,
        channel=intake.channel,
        patient=patient,
        concerns=tuple(Concern(d.code, tuple(d.findings), d.body_site, d.text) for d in concerns),
        treatments=tuple(treatments),
        venue=venue,
        free_text=intake.free_text,
    )
    return merged, tuple(report)


def _bool(value: str | None) -> bool | None:
    return None if value is None else value == "true"


def _nearest(m: Mention, anchors: list[tuple[Mention, _Draft]]) -> _Draft | None:
    """The concern mentioned nearest before the finding (else nearest after), in tokens."""
    best: _Draft | None = None
    gap = -1
    for a, d in anchors:  # the first nearest, as min() would give
        if a.last <= m.first and (best is None or m.first - a.last < gap):
            best, gap = d, m.first - a.last
    if best is not None:
        return best
    for a, d in anchors:
        if a.first > m.last and (best is None or a.first - m.last < gap):
            best, gap = d, a.first - m.last
    return best


def _nearest_site(m: Mention, mentions: list[Mention]) -> str:
    sites = [x for x in mentions if x.kind == "body_site" and x.assertion == PRESENT and abs(x.first - m.last) <= 4]
    return min(sites, key=lambda x: abs(x.first - m.last)).code if sites else ""
