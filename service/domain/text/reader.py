"""Matching and context cues: finds the concepts in a text and decides how each is asserted.

A dictionary matcher over the catalog synonyms (longest phrase first, with one-edit typo
tolerance for words no English dictionary knows), then ConText-style cue rules from
``rules/text.yaml`` decide whether each mention is stated about the patient now (present),
negated, hypothetical, historical, or about another person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..catalog import Catalog
from ..mentions import HISTORICAL, NEGATED, PRESENT, Mention
from .rules import KINDS, TextRules
from .tokens import WORD, Tokens, TypoIndex, has_digit, lower_text, normalize_word, scan, singular, token_at

_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*(mm|millimet(?:er|re)s?|cm|centimet(?:er|re)s?)\b")
_FUNCTION_WORDS = frozenset(
    "is are was were be been has have had do does did it its this that there the a an to of in on at for with "
    "from by up down out over very so too just".split()
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
        vocabulary = frozenset(w for key in self._lexicon for w in key)
        known = frozenset(singular(w) for w in known_words) | rules.list_words | rules.first_person
        self._typos = TypoIndex(vocabulary, known)
        # Two-word phrases also match apart or reversed within a clause ("tongue is swelling",
        # "vision went blurry"), when both words carry meaning.
        function_words = rules.list_words | rules.first_person | _FUNCTION_WORDS
        self._pairs: dict[str, dict[str, tuple[tuple[str, str, str], ...]]] = {}
        for key, hits in self._lexicon.items():
            if len(key) == 2 and not set(key) & function_words and all(len(w) > 2 for w in key):
                self._pairs.setdefault(key[0], {}).setdefault(key[1], hits)
                self._pairs.setdefault(key[1], {}).setdefault(key[0], hits)
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
        return tuple(normalize_word(w, self.rules.spelling) for w in WORD.findall(text.lower()))

    @property
    def typos(self) -> TypoIndex:
        """The typo index; a reader for comparison may stand another in its place."""
        return self._typos

    @typos.setter
    def typos(self, index: TypoIndex) -> None:
        self._typos = index

    def forget(self) -> None:
        """Drops what earlier texts left in the caches (benchmarks time each text afresh)."""
        self._word_cache.clear()
        self._typos.forget()

    def tokens(self, text: str) -> tuple[Tokens, list[int]]:
        """Normalised tokens, and the clause number of each (clauses end at . ! ? ; : and at
        words such as "but")."""
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
        lower = lower_text(text)
        if has_digit(lower):  # sizes and ages need a number
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
        reach = self.rules.windows.negation_reach
        for start, end, hits in cues:
            if ("negation", "before") not in hits:
                continue
            previous_end = end
            for k, m in enumerate(mentions):
                if m.first < end or clause[m.first] != clause[start]:
                    continue
                gap = words[previous_end : m.first]
                if previous_end == end:
                    if m.first - end > reach:
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
        for i, w in enumerate(words):
            partners = pairs.get(w)
            if partners is None or i in taken:
                continue
            for j in range(i + 1, min(i + stop, n)):
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
        slack = self.rules.windows.combination_slack
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
                    if hi - lo <= within + slack:
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
            if not words[k][:1].isdigit():
                continue
            for i in range(max(0, k - words_before), k + 1):
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
        after_reach = self.rules.windows.after_cue_reach
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
                    if start - m.last <= after_reach:
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
            return target - cue_end <= self.rules.windows.treatment_done_reach
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


def _age_mention(m: re.Match[str], tokens: Tokens) -> Mention | None:
    """The age an age pattern matched, if it is one (1 to 120 years, in digits: a pattern of
    rules/text.yaml may have an optional group, or one that takes more than digits)."""
    group = next((g for g in range(1, len(m.groups()) + 1) if m.group(g) is not None), 0)
    value = m.group(group) if group else ""
    if not value.isdecimal() or not 0 < int(value) <= 120:
        return None
    first = token_at(tokens, m.start(group))
    return Mention("patient_fact", "age_years", m.start(group), m.end(group), PRESENT, m.group(group), first, first)
