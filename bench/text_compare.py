"""Compares ways of reading patients' words on the labelled set, to choose one on evidence.

    make text-compare      # installs the optional [compare] packages, then runs this

A. dermtriage reader: the service's own (service/domain/text/). Standard library: a phrase
   dictionary over the catalog synonyms, longest match first, one-edit typo correction of
   words no English dictionary knows (SymSpell-style delete index), ConText-style cues.
B. pyahocorasick + rapidfuzz: the same cues, an Aho-Corasick automaton for the phrases and
   rapidfuzz (Damerau-Levenshtein) for typos.
C. medspaCy: spaCy's tokenizer, PyRuSH sentences, medspaCy's TargetMatcher on the same
   synonyms and its ConText with its default rules (negation, historical, hypothetical,
   family); no typo correction.

Scored on what reaches the rules (see bench/text_eval.py), with the time per text.
The choice rule: red-flag recall first, then precision, then speed.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from service.adapters.rules_files import load_ruleset
from service.adapters.wordlist import english_words
from service.config import DEFAULT_RULES_DIR
from service.domain.catalog import Catalog
from service.domain.mentions import HISTORICAL, HYPOTHETICAL, NEGATED, OTHER_PERSON, PRESENT, Mention
from service.domain.model import Intake
from service.domain.text import TextReader, TextRules, merge_text
from service.domain.text.rules import KINDS
from service.domain.text.tokens import TypoIndex
from tests.support.text_scoring import evaluate, load_items, red_flag_findings, table


class RapidfuzzTypos(TypoIndex):
    """Typo correction by rapidfuzz's Damerau-Levenshtein search over the lexicon's words."""

    def __init__(self, vocabulary: frozenset[str], known: frozenset[str], process: Any, distance: Any):
        super().__init__(vocabulary, known)
        self._vocabulary_list = sorted(vocabulary)
        self._process, self._distance = process, distance.DamerauLevenshtein.distance
        self._found: dict[str, str | None] = {}

    def forget(self) -> None:
        self._found.clear()

    def correct(self, word: str) -> str:
        if word in self.known or len(word) < 4 or not word.isalpha():
            return word
        if word not in self._found:
            found = self._process.extract(word, self._vocabulary_list, scorer=self._distance, score_cutoff=1, limit=2)
            self._found[word] = found[0][0] if len(found) == 1 else None
        return self._found[word] or word


class AhoCorasickReader(TextReader):
    """Approach B: the same cue rules; phrases by Aho-Corasick, typos by rapidfuzz."""

    def __init__(self, catalog: Catalog, rules: TextRules, known_words: Iterable[str]):
        import ahocorasick
        from rapidfuzz import distance, process

        super().__init__(catalog, rules, known_words)
        self._automaton = ahocorasick.Automaton()
        for key, hits in self._lexicon.items():
            self._automaton.add_word(" " + " ".join(key) + " ", (len(key), hits))
        self._automaton.make_automaton()
        self.typos = RapidfuzzTypos(self.typos.vocabulary, self.typos.known, process, distance)

    def match(self, words: list[str], clause: list[int]) -> Iterable[tuple[int, int, Any]]:
        text = " " + " ".join(words) + " "
        space_after, position = {}, 1
        for i, w in enumerate(words):
            space_after[position + len(w)] = i  # the space that ends word i
            position += len(w) + 1
        spans = []
        for end, (length, hits) in self._automaton.iter(text):
            last = space_after[end]
            first = last - length + 1
            if clause[first] == clause[last]:
                spans.append((first, last + 1, hits))
        spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))  # leftmost, then longest
        taken, out = -1, []
        for first, stop, hits in spans:
            if first >= taken:
                out.append((first, stop, hits))
                taken = stop
        return out


class MedspacyReader:
    """Approach C: medspaCy's TargetMatcher and ConText over the same synonyms."""

    def __init__(self, catalog: Catalog, rules: TextRules):
        import medspacy
        from medspacy.target_matcher import TargetRule

        self.rules = rules
        self._nlp = medspacy.load(medspacy_enable=["medspacy_pyrush", "medspacy_target_matcher", "medspacy_context"])
        target = []
        seen = set()
        for kind in KINDS:
            for c in catalog.codes(kind).values():
                for phrase in {*c.synonyms, c.label.lower(), c.code.replace("_", " ")}:
                    key = (phrase.lower(), kind, c.code)
                    if key not in seen:
                        seen.add(key)
                        target.append(TargetRule(phrase.lower(), f"{kind}|{c.code}|"))
        for key, facts in rules.fact_phrases.items():
            for kind, code, value in facts:
                target.append(TargetRule(" ".join(key), f"{kind}|{code}|{value}"))
        self._nlp.get_pipe("medspacy_target_matcher").add(target)
        self._age = rules.age_patterns

    def read(self, text: str) -> list[Mention]:
        doc = self._nlp(text)
        out = []
        for ent in doc.ents:
            kind, code, value = ent.label_.split("|")
            if ent._.is_negated:
                assertion = NEGATED
            elif ent._.is_family:
                assertion = OTHER_PERSON
            elif ent._.is_hypothetical:
                assertion = HYPOTHETICAL
            elif ent._.is_historical:
                assertion = HISTORICAL
            else:
                assertion = PRESENT
            if kind == "treatment" and assertion == HYPOTHETICAL:
                assertion = PRESENT
            if assertion == NEGATED and value == "true":
                value = "false"
            out.append(Mention(kind, code, ent.start_char, ent.end_char, assertion, value, ent.start, ent.end - 1))
        for pattern in self._age:
            m = pattern.search(text.lower())
            if m:
                out.append(Mention("patient_fact", "age_years", m.start(1), m.end(1), PRESENT, m.group(1), 0, 0))
                break
        return out


def timed(reads: dict[str, Callable[[str], Intake]], texts: list[str], rounds: int = 7) -> dict[str, list[float]]:
    """Per approach, the median microseconds per text of each round; rounds interleave the
    approaches so that machine noise falls on all of them alike."""
    out: dict[str, list[float]] = {name: [] for name in reads}
    for _ in range(rounds):
        for name, read in reads.items():
            per_text = []
            for t in texts:
                start = time.perf_counter()
                read(t)
                per_text.append((time.perf_counter() - start) * 1e6)
            out[name].append(statistics.median(per_text))
    return out


SPEED_TIE = 0.10  # medians within 10% are a tie: the spread between rounds is of that order


def main() -> int:
    from service.domain.text import reader as compiled_or_not

    if not compiled_or_not.__file__ or not compiled_or_not.__file__.endswith(".py"):
        # The other approaches subclass the reader, which mypyc-compiled classes do not allow.
        print(
            "bench.text_compare needs the pure-Python text reader: "
            "DERMTRIAGE_PURE_PYTHON=1 .venv/bin/pip install -e '.[dev,compare]', then run it again "
            "(`make .venv/.installed` compiles it back)",
            file=sys.stderr,
        )
        return 2
    try:
        from loguru import logger  # PyRuSH logs every sentence at DEBUG

        logger.remove()
    except ImportError:
        pass
    rs = load_ruleset(DEFAULT_RULES_DIR)
    assert rs.text_rules is not None
    catalog, rules, known = rs.catalog, rs.text_rules, english_words()
    items = load_items()
    texts = [i["text"] for i in items]
    red = red_flag_findings(catalog)

    def via(reader: Any) -> Callable[[str], Intake]:
        return lambda text: merge_text(Intake(channel="TELEHEALTH_INTAKE", free_text=text), reader, catalog)[0]

    approaches = {
        "A dermtriage reader (stdlib)": lambda: TextReader(catalog, rules, known),
        "B pyahocorasick + rapidfuzz": lambda: AhoCorasickReader(catalog, rules, known),
        "C medspaCy TargetMatcher + ConText": lambda: MedspacyReader(catalog, rules),
    }
    scores, reads = {}, {}
    for name, make in approaches.items():
        start = time.perf_counter()
        reader = make()
        build_ms = (time.perf_counter() - start) * 1000
        reads[name] = via(reader)
        scores[name] = evaluate(reads[name], items, red)
        print(table(scores[name], f"\n{name} (built in {build_ms:.0f} ms)"))
    speeds = timed(reads, texts)
    print("\nsummary (choose by red-flag recall, then precision, then speed; speeds within 10% tie)")
    print(
        f"{'approach':<38}{'red-flag recall':>16}{'precision':>10}{'recall':>8}{'median us/text (range of rounds)':>36}"
    )
    rows = []
    for name, score in scores.items():
        med = statistics.median(speeds[name])
        rows.append((name, score.red_flag_recall(), score.precision(), med))
        spread = f"{med:.1f} ({min(speeds[name]):.1f}-{max(speeds[name]):.1f})"
        print(f"{name:<38}{score.red_flag_recall():>16.3f}{score.precision():>10.3f}{score.recall():>8.3f}{spread:>36}")
    top = max((round(rr, 3), round(p, 3)) for _, rr, p, _ in rows)
    leaders = [row for row in rows if (round(row[1], 3), round(row[2], 3)) == top]
    fastest = min(row[3] for row in leaders)
    tied = [row[0] for row in leaders if row[3] <= fastest * (1 + SPEED_TIE)]
    print(f"\nbest on red-flag recall and precision: {', '.join(r[0] for r in leaders)}")
    print(f"fastest of those, within {SPEED_TIE:.0%}: {', '.join(tied)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
