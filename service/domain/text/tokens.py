"""Words of a text: scanning, normalising, and the typo index that corrects misspelt words."""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
DIGIT = re.compile(r"\d")


@dataclass(slots=True)  # not frozen, as Mention
class Tokens:
    """A text's words, normalised, with their character spans (parallel lists: no object a word)."""

    words: list[str]
    starts: list[int]
    ends: list[int]
    lower: str = ""  # the text as lower_text gives it, which the spans index


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


_BOUNDARY_CODES = frozenset(map(ord, ".!?;:\n()[]"))


_LONG_RUN = re.compile(r"[\s\-_.,]{4,}")
# Marks a text is written with, read as the words or stops they stand for (same length).
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e)\.")
_TICKED = re.compile(r"\[\s?[x\u2713\u2714]\s?\]|[\u2611\u2612\u2713\u2714]")
_UNTICKED = re.compile(r"\[\s{1,2}\]")
# a family-history label's colon is no clause mark: what follows it is the family's
_FAMILY_LABEL = re.compile(r"\b(?:fhx|fh|family history|family hx)\s*:")


def lower_text(text: str) -> str:
    """The text in lower case, character for character, so that offsets into it are offsets
    into the text: a character whose lower case is longer (İ -> i + dot) stays as it is.

    A run of more than three spaces, hyphens or stops keeps its first three (and one clause mark
    of the rest) and the rest become NUL: no pattern of rules/text.yaml spans such a run, and a
    regular expression trying to (quantifiers side by side over it) would backtrack in a power
    of its length."""
    lower = text.lower()
    if len(lower) != len(text):  # lower-casing never shortens: the same length is one to one
        lower = "".join(c if len(low := c.lower()) != 1 else low for c in text)
    if "e.g" in lower or "i.e" in lower:  # "(e.g. myasthenia)": no stop in the middle of a label
        lower = _ABBREVIATION.sub(lambda m: m.group(0).replace(".", " "), lower)
    if ":" in lower and ("fh" in lower or "family h" in lower):  # "FHx: mum had a melanoma"
        lower = _FAMILY_LABEL.sub(lambda m: m.group(0)[:-1] + " ", lower)
    if "[" in lower and _TICKED.search(lower):
        lower = _UNTICKED.sub(_unticked, lower)
    if _LONG_RUN.search(lower) is None:
        return lower
    return _LONG_RUN.sub(_cut_run, lower)


def _unticked(m: re.Match[str]) -> str:
    """An empty box of a form where some box is ticked reads as "no" ("[ ] fever"), in the same
    number of characters; a ticked one is a statement as it stands."""
    return " " * (len(m.group(0)) - 2) + "no"


def _cut_run(m: re.Match[str]) -> str:
    """A long run's first three characters, then NUL, but one clause mark of the rest is kept in
    its place ("no fever    \nrash spreading" is still two clauses): four characters at most
    stay matchable, so no pattern's quantifiers have a long run to share."""
    run = m.group(0)
    rest = run[3:]
    mark = next((i for i, c in enumerate(rest) if ord(c) in _BOUNDARY_CODES), -1)
    if mark < 0 or any(ord(c) in _BOUNDARY_CODES for c in run[:3]):
        return run[:3] + "\x00" * len(rest)
    return run[:3] + "\x00" * mark + rest[mark] + "\x00" * (len(rest) - mark - 1)


def scan(lower: str) -> tuple[list[int], list[int], list[int]]:
    """The words of a lower-case text as WORD matches them, with their spans and the number of
    clause marks (. ! ? ; : newline brackets) before each, in one pass over character codes:
    compiled, cheaper than a regular-expression scan for words and one for clause marks, which
    tests/domain/test_text.py checks it against."""
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


def has_digit(text: str) -> bool:
    """As ``DIGIT.search(text)``; substring searches are cheaper than the regular expression."""
    if text.isascii():
        return any(d in text for d in "0123456789")
    return DIGIT.search(text) is not None


def token_at(tokens: Tokens, position: int) -> int:
    """The index of the word at or after a character position, or of the last word: a number
    in digits the word scanner does not take (١٧) can end the text."""
    return min(bisect.bisect_right(tokens.ends, position), max(len(tokens.ends) - 1, 0))


def deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def swapped(a: str, b: str) -> bool:
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def one_edit(a: str, b: str) -> bool:
    """Same length, one letter changed or two neighbours swapped."""
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 1 or swapped(a, b)


class TypoIndex:
    """Typo correction: a word no dictionary knows, one edit away from exactly one lexicon word,
    becomes that word (a symmetric-delete index over the lexicon's words)."""

    def __init__(self, vocabulary: frozenset[str], known: frozenset[str]):
        self.vocabulary = vocabulary  # the lexicon's words: what a typo may be corrected to
        self.known = known | vocabulary  # words never corrected
        self._deletes: dict[str, set[str]] = {}
        for word in vocabulary:
            if len(word) >= 5 and word.isalpha():
                for variant in deletes(word):
                    self._deletes.setdefault(variant, set()).add(word)
        self._four_letter = frozenset(w for w in vocabulary if len(w) == 4 and w.isalpha())
        self._corrections: dict[str, str | None] = {}

    def forget(self) -> None:
        """Drops the corrections worked out so far (benchmarks time each text afresh)."""
        self._corrections.clear()

    def correct(self, word: str) -> str:
        """The lexicon word ``word`` is a typo of, or ``word`` itself."""
        if word in self.known or len(word) < 4 or not word.isalpha():
            return word
        if word in self._corrections:
            return self._corrections[word] or word
        candidates: set[str] = set()
        if len(word) == 4:  # short words: only two neighbours swapped ("moel")
            # the three swaps looked up, not every four-letter word scanned
            swaps = (word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(3))
            candidates = {w for w in swaps if w != word and w in self._four_letter}
        else:
            candidates.update(self._deletes.get(word, ()))  # a letter missing
            for variant in deletes(word):
                if variant in self.vocabulary:
                    candidates.add(variant)  # a letter too many
                candidates.update(
                    w for w in self._deletes.get(variant, ()) if len(w) == len(word) and one_edit(word, w)
                )
        best = next(iter(candidates)) if len(candidates) == 1 else None
        if len(self._corrections) > 50_000:  # bounded: texts are unbounded in variety
            self._corrections.clear()
        self._corrections[word] = best
        return best or word
