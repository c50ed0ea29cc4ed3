"""The text-reading rules: ``rules/text.yaml`` parsed, checked against the catalog, normalised.

The file is read strictly: every key must be known, every required key present and every value
of the type its key takes. Each section and each list entry is checked on its own, so one pass
reports every problem, each naming the entry (``combinations[3].within``) and the line of the
mapping or list that holds it (a string or number has no line of its own). The keys and what
each holds: docs/text-reading.md.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..catalog import Catalog
from ..errors import Problems, RulesError, line_at, line_of
from ..model import FITZPATRICK_TYPES, SEXES
from .tokens import WORD, normalize_word

KINDS = ("concern", "finding", "body_site", "condition", "medication", "treatment")
CUE_TYPES = ("negation", "hypothetical", "historical", "other_person", "treatment_done")
# Cues of treatments and medicines only: asked for or booked (outweighing treatment_done when
# nearer), and long past ("had botox last year": history, not a recent procedure).
# A medicine's course told as finished ("did accutane in 2019"): past, for medicines only.
OPTIONAL_CUE_TYPES = ("request", "treatment_past", "course_done")
DIRECTIONS = ("before", "after")
PROXY_KEYS = ("persons", "before", "after", "own", "reporters", "notes", "bare", "own_after", "own_told", "bare_after")
_UNLESS_KEYS = ("not_with", "not_after")
CONTEXT_KEYS = ("finding", "words", "findings", "phrases", "done", *_UNLESS_KEYS)
RECENT_USE_KEYS = ("code", "within_months", "from")
OWN_FINDING_KEYS = ("concerns", "findings", "unless")
UNSPECIFIED_KEYS = ("code", "family", "phrases")
PATIENT_FACTS = ("pregnant", "breastfeeding", "not_pregnant", "not_breastfeeding")
SEX_KEYS = ("patterns", *SEXES)
VENUE_KEYS = ("MED_SPA", "DERMATOLOGY_PRACTICE", "supervised", "unsupervised")
WINDOW_NAMES = (
    "negation_reach",
    "after_cue_reach",
    "treatment_done_reach",
    "pair_gap",
    "combination_slack",
    "site_distance",
    "age_words_before",
)
# The reader cannot decide how a mention is asserted without these.
REQUIRED_KEYS = (*CUE_TYPES, "list_words", "terminators", "first_person", "windows")
# Each of these adds something read; left out, nothing of that kind is read.
OPTIONAL_KEYS = (
    "spelling",
    "history_condition",
    "active_conditions",
    "coded_kin",
    "after_treatment",
    "patient_facts",
    "venue",
    "age",
    "sex",
    "problem_words",
    "fitzpatrick",
    "idioms",
    "yielding_idioms",
    "lesion_findings",
    "lesion_concerns",
    "lasting",
    "sited_by_name",
    "face_sites",
    "comma_alarms",
    "context_findings",
    "treatment_concerns",
    "combinations",
    "sizes",
    "derive",
    "complication_concern",
    "lesion_concern",
    "request",
    "treatment_past",
    "course_done",
    "restarted",
    "answers",
    "pseudo_cues",
    "uneventful",
    "adjacent_negation",
    "repeat_request",
    "proxy",
    "needs_context",
    "recent_use",
    "own_findings",
    "unspecified_treatments",
    "examined",
    "pair_breakers",
    "foreign_words",
    "place_words",
    "organ_findings",
)
KEYS = REQUIRED_KEYS + OPTIONAL_KEYS

T = TypeVar("T")
Phrases = frozenset[tuple[str, ...]]
# needs_context: (finding, the mention phrases that need a context, context findings, context
# phrases, context words that count when a treatment_done cue reaches them, words that in the
# mention's clause make it something else, words that do so told before it in the clause)
ContextEntry = tuple[str, Phrases, frozenset[str], Phrases, Phrases, frozenset[str], frozenset[str]]

_SPELLING_WORD = re.compile(r"[a-z0-9]+")  # as a word is looked up: apostrophes and accents gone
_PHRASE = "must be a phrase (a string with at least one word)"
_WORDS = "must be a whole number of words, 0 or more"


@dataclass(frozen=True)
class Windows:
    """How far the cue rules reach, in words (``windows`` of ``rules/text.yaml``)."""

    negation_reach: int  # words at most between a negation cue and the first mention it negates
    after_cue_reach: int  # an "after" cue starts at most this many words after its mention's last word
    treatment_done_reach: int  # words at most between a treatment_done cue and the treatment
    pair_gap: int  # words at most between the two words of a two-word phrase read apart
    combination_slack: int  # words a combination's whole span may exceed its ``within``
    site_distance: int  # words at most between a requested treatment's last word and its body site
    age_words_before: int  # an age pattern starts at most this many words before its number


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
    windows: Windows
    # (kind, code, within, groups): every group (a set of phrases) within `within` words of one clause
    combinations: tuple[tuple[str, str, int, tuple[frozenset[tuple[str, ...]], ...]], ...] = ()
    sizes: tuple[tuple[str, float], ...] = ()  # (finding, minimum millimetres)
    derive: tuple[tuple[frozenset[str], str, frozenset[str]], ...] = ()  # (findings together, added, dropped)
    complication_concern: str = ""
    lesion_concern: str = ""  # a problem told only in words with a spot's warning signs is this concern
    history_condition: Mapping[str, str] = field(default_factory=dict)  # concern in the past -> condition
    active_conditions: Mapping[str, str] = field(default_factory=dict)  # condition told on a site -> concern
    coded_kin: Mapping[str, str] = field(default_factory=dict)  # coded concern -> the text concern it reads
    idioms: frozenset[tuple[str, ...]] = frozenset()
    # idioms read as nothing only where none of their codes is read or coded: (idioms, codes)
    yielding_idioms: tuple[tuple[frozenset[tuple[str, ...]], frozenset[str]], ...] = ()
    lesion_findings: frozenset[str] = frozenset()  # read only on a lesion concern (or an uncoded one)
    lesion_concerns: frozenset[str] = frozenset()
    lasting: frozenset[str] = frozenset()  # concerns a historical cue dates the start of, still there
    sited_by_name: frozenset[str] = frozenset()  # treatments whose name says where (a facial): no concern's site
    face_sites: frozenset[str] = frozenset()  # body sites of the face: several of them are one region
    comma_alarms: frozenset[str] = frozenset()  # findings a negation list run on past a comma does not negate
    context_findings: frozenset[str] = frozenset()  # no problem alone: a tan, a treatment had
    treatment_concerns: Mapping[str, str] = field(default_factory=dict)  # treatment -> the concern it is for
    # A text written for someone else ("my son is 15 and has acne"): the person words whose
    # other_person cue may name the patient, the phrases just before the cue and the words just
    # after it that make them the patient, and the words after it that make them a reporter.
    proxy_persons: frozenset[str] = frozenset()
    proxy_before: frozenset[tuple[str, ...]] = frozenset()
    proxy_after: frozenset[tuple[str, ...]] = frozenset()
    proxy_own: frozenset[tuple[str, ...]] = frozenset()  # the writer speaks of their own skin ("for myself")
    reporters: frozenset[tuple[str, ...]] = frozenset()
    proxy_notes: frozenset[tuple[str, ...]] = frozenset()  # a note that names the patient otherwise ("pt")
    proxy_bare: frozenset[tuple[str, ...]] = frozenset()  # after a person named bare: another's ("husband has")
    proxy_own_after: frozenset[tuple[str, ...]] = frozenset()  # after a treatment: the writer's ("for myself")
    proxy_own_told: frozenset[tuple[str, ...]] = frozenset()  # in a text for another: the writer's ("I had")
    proxy_bare_after: frozenset[tuple[str, ...]] = frozenset()  # words a bare person may follow ("and", "fyi")
    needs_context: tuple[ContextEntry, ...] = ()
    recent_use: tuple[tuple[str, float, frozenset[str]], ...] = ()  # (medication code, months, codes in the past)
    # (concerns, findings part of their own picture, findings that make them more than that)
    own_findings: tuple[tuple[frozenset[str], frozenset[str], frozenset[str]], ...] = ()
    # (code, its family, the phrases that name the family without saying which member)
    unspecified_treatments: tuple[tuple[str, frozenset[str], Phrases], ...] = ()
    examined: Phrases = frozenset()  # a spot told as checked by a doctor and fine ("all clear")
    restarted: Phrases = frozenset()  # a medicine taken again: no course_done cue counts ("back on it")
    place_words: frozenset[str] = frozenset()  # "around", "under": what follows names where, not what
    place_between: frozenset[str] = frozenset()  # words between a place word and its part ("my", "the")
    organ_findings: frozenset[str] = frozenset()  # combinations of a part itself (a sore eye), not its skin
    pair_breakers: frozenset[str] = frozenset()  # a two-word phrase is never read apart across one
    foreign_words: frozenset[str] = frozenset()  # words of other languages, never corrected as a typo
    # Sex for clinical use: patterns whose group 1 is a word of sex_words ("50m", "sex: m").
    sex_patterns: tuple[re.Pattern[str], ...] = ()
    sex_words: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_data(cls, file: str, data: Any, catalog: Catalog, problems: Problems | None = None) -> TextRules | None:
        """Parse ``rules/text.yaml``: every problem goes to ``problems``, in line order, and None is
        returned; without ``problems``, they raise together."""
        parser = _Parser(file, catalog, data)
        rules = parser.parse(data)
        collect = problems if problems is not None else Problems()
        collect.errors.extend(sorted(parser.problems, key=_line_key))
        if problems is None:
            collect.check()
        return rules


def _line_key(problem: RulesError) -> int:
    return problem.line or 0


def _count(value: Any) -> bool:
    """A whole number, 0 or more (YAML's true and false are not numbers)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _did_you_mean(keys: list[Any], known: tuple[str, ...]) -> str:
    guesses = [g for k in keys if isinstance(k, str) for g in difflib.get_close_matches(k, known, n=1, cutoff=0.75)]
    return f"did you mean {', '.join(repr(g) for g in guesses)}?" if guesses else ""


class _Parser:
    """One pass over the parsed file; each problem is recorded and the pass goes on."""

    def __init__(self, file: str, catalog: Catalog, top: Any) -> None:
        self.file = file
        self.catalog = catalog
        self.top = top
        self.problems: list[RulesError] = []
        self.spelling: dict[str, str] = {}

    def fail(self, where: str, message: str, *nodes: Any) -> None:
        """A problem at ``where``, on the line of the first of ``nodes`` (else of the file) that has one."""
        line = line_at(self.top, where) if where else None
        for node in (*nodes, self.top):
            if line is not None:
                break
            line = line_of(node)
        self.problems.append(RulesError(self.file, f"{where}: {message}" if where else message, line=line))

    def keys(self, raw: dict[Any, Any], where: str, known: tuple[str, ...], required: tuple[str, ...]) -> bool:
        """Whether the mapping has only known keys and every required one."""
        unknown = sorted((k for k in raw if k not in known), key=str)
        if unknown:
            guess = _did_you_mean(unknown, known)
            message = f"unknown key(s) {unknown} (known: {', '.join(sorted(known))})"
            self.fail(where, f"{message}; {guess}" if guess else message, raw)
        missing = [k for k in required if k not in raw]
        if missing:
            self.fail(where, f"missing required key(s) {missing}", raw)
        return not unknown and not missing

    def code(self, kind: str, value: Any, where: str, *nodes: Any) -> bool:
        if not isinstance(value, str):
            self.fail(where, f"must be a {kind} code", *nodes)
            return False
        if value not in self.catalog.codes(kind):
            self.fail(where, f"unknown {kind} code {value!r}", *nodes)
            return False
        return True

    def codes(self, kind: str, raw: Any, where: str, *nodes: Any) -> list[str] | None:
        """A list of codes of one kind, or None when any is wrong."""
        if not isinstance(raw, list):
            self.fail(where, f"must be a list of {kind} codes", raw, *nodes)
            return None
        good = [self.code(kind, c, f"{where}[{i}]", raw, *nodes) for i, c in enumerate(raw)]
        return [str(c) for c in raw] if all(good) else None

    def phrase(self, value: Any, where: str, *nodes: Any) -> tuple[str, ...] | None:
        words = WORD.findall(value.lower()) if isinstance(value, str) else []
        if not words:
            self.fail(where, _PHRASE, *nodes)
            return None
        return tuple(normalize_word(w, self.spelling) for w in words)

    def phrases(self, raw: Any, where: str, *nodes: Any, at_least_one: bool = False) -> list[tuple[str, ...]] | None:
        """A list of phrases, or None when it or any phrase is wrong."""
        if not isinstance(raw, list) or (at_least_one and not raw):
            self.fail(
                where,
                "must be a non-empty list of phrases" if at_least_one else "must be a list of phrases",
                raw,
                *nodes,
            )
            return None
        out = [self.phrase(p, f"{where}[{i}]", raw, *nodes) for i, p in enumerate(raw)]
        return [p for p in out if p is not None] if all(p is not None for p in out) else None

    def words(self, key: str, raw: Any) -> frozenset[str]:
        """A list of single words (list_words, terminators, first_person)."""
        if not isinstance(raw, list):
            self.fail(key, "must be a list of lower-case words", raw)
            return frozenset()
        out = set()
        for i, w in enumerate(raw):
            if isinstance(w, str) and WORD.fullmatch(w):
                out.add(normalize_word(w, self.spelling))
            else:
                self.fail(f"{key}[{i}]", "must be one lower-case word", raw)
        return frozenset(out)

    def mapping(self, key: str, raw: Any, what: str) -> dict[Any, Any]:
        if isinstance(raw, dict):
            return raw
        self.fail(key, f"must be a mapping of {what}", raw)
        return {}

    def parse(self, data: Any) -> TextRules | None:
        if not isinstance(data, dict):
            self.fail("", "must be a mapping of the keys in docs/text-reading.md", data)
            return None
        for key in data:
            if key not in KEYS:
                guess = _did_you_mean([key], KEYS)
                self.fail("", f"unknown key {key!r} ({guess or 'known: ' + ', '.join(sorted(KEYS))})", data[key], data)
        missing = [k for k in REQUIRED_KEYS if k not in data]
        if missing:
            self.fail("", f"missing required key(s) {missing}", data)

        self.spelling = self.parse_spelling(data["spelling"]) if "spelling" in data else {}
        cues: dict[tuple[str, ...], list[tuple[str, str]]] = {}
        for cue_type in (*CUE_TYPES, *OPTIONAL_CUE_TYPES):
            if cue_type in data:
                self.parse_cues(cue_type, data[cue_type], cues)
        # Replies that negate the label before them ("bleeding: no"): negation cues of their own kind.
        # Phrases that hold a cue's word but are no cue ("might be bigger" is a hedge about now),
        # and phrases that ask for the same again ("my usual top-up"): cues of their own kinds.
        for key in (self.phrases(data["pseudo_cues"], "pseudo_cues") if "pseudo_cues" in data else None) or ():
            cues.setdefault(key, []).append(("pseudo", "before"))
        for key in (self.phrases(data["uneventful"], "uneventful") if "uneventful" in data else None) or ():
            cues.setdefault(key, []).append(("uneventful", "after"))
        adjacent = self.phrases(data["adjacent_negation"], "adjacent_negation") if "adjacent_negation" in data else []
        for key in adjacent or ():
            cues.setdefault(key, []).append(("negation", "next"))
        for key in (self.phrases(data["repeat_request"], "repeat_request") if "repeat_request" in data else None) or ():
            cues.setdefault(key, []).append(("repeat", "before"))
        answers = self.phrases(data["answers"], "answers") if "answers" in data else []
        for key in answers or ():
            cues.setdefault(key, []).append(("negation", "answer"))
        after = self.pairs("after_treatment", data, "treatment", "finding")
        history = self.pairs("history_condition", data, "concern", "condition")
        active = self.pairs("active_conditions", data, "condition", "concern")
        kin = self.pairs("coded_kin", data, "concern", "concern")
        list_words = self.words("list_words", data["list_words"]) if "list_words" in data else frozenset()
        terminators = self.words("terminators", data["terminators"]) if "terminators" in data else frozenset()
        first_person = self.words("first_person", data["first_person"]) if "first_person" in data else frozenset()
        facts: dict[tuple[str, ...], list[tuple[str, str, str]]] = {}
        if "patient_facts" in data:
            self.parse_facts("patient_facts", data["patient_facts"], PATIENT_FACTS, facts)
        if "venue" in data:
            self.parse_facts("venue", data["venue"], VENUE_KEYS, facts)
        if "fitzpatrick" in data:  # "always burns, never tans", "skin type 4": the phototype
            section = self.mapping("fitzpatrick", data["fitzpatrick"], "a type (I to VI) to a list of phrases")
            self.keys(section, "fitzpatrick", FITZPATRICK_TYPES, ())
            for name, phrases in section.items():
                if name in FITZPATRICK_TYPES:
                    for p in self.phrases(phrases, f"fitzpatrick.{name}", section) or ():
                        facts.setdefault(p, []).append(("patient_fact", "fitzpatrick", str(name)))
        # Words of a problem that may be no listed concept ("a lump", "a boil"): read as a
        # problem, they make a concern told only in words where the text names no other.
        for p in (self.phrases(data["problem_words"], "problem_words") if "problem_words" in data else None) or ():
            facts.setdefault(p, []).append(("problem", "", ""))
        ages = self.patterns("age", data["age"], "the age") if "age" in data else ()
        sex = self.parse_sex(data["sex"]) if "sex" in data else ((), {})
        idioms = self.phrases(data["idioms"], "idioms") if "idioms" in data else []
        yielding = self.entries("yielding_idioms", data, self.yielding_entry)
        lesion_findings = (
            self.codes("finding", data["lesion_findings"], "lesion_findings") if "lesion_findings" in data else []
        )
        lesion_concerns = (
            self.codes("concern", data["lesion_concerns"], "lesion_concerns") if "lesion_concerns" in data else []
        )
        lasting = self.codes("concern", data["lasting"], "lasting") if "lasting" in data else []
        sited = self.codes("treatment", data["sited_by_name"], "sited_by_name") if "sited_by_name" in data else []
        face = self.codes("body_site", data["face_sites"], "face_sites") if "face_sites" in data else []
        alarms = self.codes("finding", data["comma_alarms"], "comma_alarms") if "comma_alarms" in data else []
        context_findings = (
            self.codes("finding", data["context_findings"], "context_findings") if "context_findings" in data else []
        )
        treatment_concerns = self.pairs("treatment_concerns", data, "treatment", "concern")
        combinations = self.entries("combinations", data, self.combination)
        sizes = self.entries("sizes", data, self.size)
        derive = self.entries("derive", data, self.derived)
        complication = ""
        if "complication_concern" in data and self.code(
            "concern", data["complication_concern"], "complication_concern"
        ):
            complication = data["complication_concern"]
        lesion = ""
        if "lesion_concern" in data and self.code("concern", data["lesion_concern"], "lesion_concern"):
            lesion = data["lesion_concern"]
        proxy = self.parse_proxy(data["proxy"]) if "proxy" in data else None
        needs_context = self.entries("needs_context", data, self.context_entry)
        recent_use = self.entries("recent_use", data, self.recent_entry)
        own_findings = self.entries("own_findings", data, self.own_entry)
        unspecified = self.entries("unspecified_treatments", data, self.unspecified_entry)
        examined = self.phrases(data["examined"], "examined") if "examined" in data else []
        restarted = self.phrases(data["restarted"], "restarted") if "restarted" in data else []
        breakers = self.words("pair_breakers", data["pair_breakers"]) if "pair_breakers" in data else frozenset()
        foreign = self.words("foreign_words", data["foreign_words"]) if "foreign_words" in data else frozenset()
        places = self.parse_places(data["place_words"]) if "place_words" in data else (frozenset(), frozenset())
        organs = self.codes("finding", data["organ_findings"], "organ_findings") if "organ_findings" in data else []
        windows = self.parse_windows(data["windows"]) if "windows" in data else None

        if self.problems or windows is None:
            return None
        return TextRules(
            spelling=self.spelling,
            cues={k: tuple(v) for k, v in cues.items()},
            after_treatment=after,
            list_words=list_words,
            terminators=terminators,
            first_person=first_person,
            fact_phrases={k: tuple(v) for k, v in facts.items()},
            age_patterns=ages,
            windows=windows,
            combinations=tuple(combinations),
            sizes=tuple(sizes),
            derive=tuple(derive),
            complication_concern=complication,
            lesion_concern=lesion,
            history_condition=history,
            active_conditions=active,
            coded_kin=kin,
            idioms=frozenset([*(idioms or ()), *(p for phrases, _ in yielding for p in phrases)]),
            yielding_idioms=tuple(yielding),
            lesion_findings=frozenset(lesion_findings or ()),
            lesion_concerns=frozenset(lesion_concerns or ()),
            lasting=frozenset(lasting or ()),
            sited_by_name=frozenset(sited or ()),
            face_sites=frozenset(face or ()),
            comma_alarms=frozenset(alarms or ()),
            context_findings=frozenset(context_findings or ()),
            treatment_concerns=treatment_concerns,
            proxy_persons=proxy[0] if proxy else frozenset(),
            proxy_before=proxy[1][0] if proxy else frozenset(),
            proxy_after=proxy[1][1] if proxy else frozenset(),
            proxy_own=proxy[1][2] if proxy else frozenset(),
            reporters=proxy[1][3] if proxy else frozenset(),
            proxy_notes=proxy[1][4] if proxy else frozenset(),
            proxy_bare=proxy[1][5] if proxy else frozenset(),
            proxy_own_after=proxy[1][6] if proxy else frozenset(),
            proxy_own_told=proxy[1][7] if proxy else frozenset(),
            proxy_bare_after=proxy[1][8] if proxy else frozenset(),
            needs_context=tuple(needs_context),
            recent_use=tuple(recent_use),
            own_findings=tuple(own_findings),
            unspecified_treatments=tuple(unspecified),
            examined=frozenset(examined or ()),
            restarted=frozenset(restarted or ()),
            pair_breakers=breakers,
            foreign_words=foreign,
            place_words=places[0],
            place_between=places[1],
            organ_findings=frozenset(organs or ()),
            sex_patterns=sex[0],
            sex_words=sex[1],
        )

    def parse_places(self, raw: Any) -> tuple[frozenset[str], frozenset[str]]:
        """``place_words``: the words of place, and the words that may stand between one and the part."""
        raw = self.mapping("place_words", raw, "words and between lists")
        self.keys(raw, "place_words", ("words", "between"), ("words",))
        words = self.words("place_words.words", raw["words"]) if "words" in raw else frozenset()
        between = self.words("place_words.between", raw["between"]) if "between" in raw else frozenset()
        return words, between

    def parse_spelling(self, raw: Any) -> dict[str, str]:
        out: dict[str, str] = {}
        for k, v in self.mapping("spelling", raw, "one spelling to another (colour: color)").items():
            if (
                isinstance(k, str)
                and isinstance(v, str)
                and _SPELLING_WORD.fullmatch(k)
                and _SPELLING_WORD.fullmatch(v)
            ):
                out[k] = v
            else:
                self.fail(f"spelling.{k}", "must map one lower-case word to another", raw)
        return out

    def parse_cues(self, cue_type: str, raw: Any, cues: dict[tuple[str, ...], list[tuple[str, str]]]) -> None:
        if not isinstance(raw, dict):
            self.fail(cue_type, "must be a mapping with 'before' and/or 'after' lists of phrases", raw)
            return
        self.keys(raw, cue_type, DIRECTIONS, ())
        if not any(d in raw for d in DIRECTIONS):
            self.fail(cue_type, "needs 'before' and/or 'after' (lists of phrases)", raw)
        for direction, phrases in raw.items():
            if direction in DIRECTIONS:
                for key in self.phrases(phrases, f"{cue_type}.{direction}", raw) or ():
                    cues.setdefault(key, []).append((cue_type, str(direction)))

    def pairs(self, key: str, data: dict[Any, Any], from_kind: str, to_kind: str) -> dict[str, str]:
        """A mapping of one code to another (after_treatment, history_condition, active_conditions, ...)."""
        if key not in data:
            return {}
        raw = data[key]
        out: dict[str, str] = {}
        for a, b in self.mapping(key, raw, f"{from_kind} code to {to_kind} code").items():
            good_a = self.code(from_kind, a, key, raw)
            good_b = self.code(to_kind, b, f"{key}.{a}", raw)
            if good_a and good_b:
                out[a] = b
        return out

    def parse_facts(
        self, key: str, raw: Any, known: tuple[str, ...], facts: dict[tuple[str, ...], list[tuple[str, str, str]]]
    ) -> None:
        section = self.mapping(key, raw, f"{' or '.join(known)} to a list of phrases")
        if section:
            self.keys(section, key, known, ())
        for name, phrases in section.items():
            if name not in known:
                continue
            if name == "not_pregnant":  # "post-menopausal": no pregnancy is possible
                fact = ("patient_fact", "pregnant", "false")
            elif name == "not_breastfeeding":  # "done breastfeeding": over
                fact = ("patient_fact", "breastfeeding", "false")
            elif key == "patient_facts":
                fact = ("patient_fact", str(name), "true")
            elif name == "supervised":
                fact = ("venue_fact", "medical_supervision", "true")
            elif name == "unsupervised":  # "estheticians only": no physician examines
                fact = ("venue_fact", "medical_supervision", "false")
            else:
                fact = ("venue_fact", "venue_kind", str(name))
            for p in self.phrases(phrases, f"{key}.{name}", section) or ():
                facts.setdefault(p, []).append(fact)

    def patterns(self, key: str, raw: Any, group: str) -> tuple[re.Pattern[str], ...]:
        """A list of regular expressions, each with exactly one group (``group``: what it holds),
        that also combine into one alternation (the reader scans them as one)."""
        if not isinstance(raw, list):
            self.fail(key, f"must be a list of regular expressions (group 1: {group})", raw)
            return ()
        found: list[re.Pattern[str]] = []
        good = True
        for i, text in enumerate(raw):
            where = f"{key}[{i}]"
            if not isinstance(text, str):
                self.fail(where, "must be a regular expression (a string)", raw)
                good = False
                continue
            try:
                pattern = re.compile(text)
            except (re.error, OverflowError, RecursionError) as exc:
                self.fail(where, f"invalid regular expression ({exc})", raw)
                good = False
                continue
            if pattern.groups != 1:
                self.fail(where, f"needs exactly one group, {group} (has {pattern.groups})", raw)
                good = False
                continue
            found.append(pattern)
        if good and found:
            try:  # one alternation: group names or global flags may clash
                re.compile("|".join(f"(?:{p.pattern})" for p in found))
            except (re.error, OverflowError, RecursionError) as exc:
                self.fail(key, f"the patterns do not combine into one alternation ({exc})", raw)
        return tuple(found)

    def parse_sex(self, raw: Any) -> tuple[tuple[re.Pattern[str], ...], dict[str, str]]:
        section = self.mapping("sex", raw, "patterns, FEMALE and MALE (lists of words)")
        if not section:
            return (), {}
        self.keys(section, "sex", SEX_KEYS, ("patterns",))
        patterns = (
            self.patterns("sex.patterns", section["patterns"], "a word of FEMALE or MALE")
            if "patterns" in section
            else ()
        )
        words = {w: sex for sex in SEXES if sex in section for w in self.words(f"sex.{sex}", section[sex])}
        return patterns, words

    def entries(self, key: str, data: dict[Any, Any], parse: Callable[[dict[Any, Any], str], T | None]) -> list[T]:
        """A list section whose entries are mappings, each parsed on its own; the sound ones."""
        if key not in data:
            return []
        raw = data[key]
        if not isinstance(raw, list):
            self.fail(key, "must be a list of mappings", raw)
            return []
        out: list[T] = []
        for i, item in enumerate(raw):
            where = f"{key}[{i}]"
            if not isinstance(item, dict):
                self.fail(where, "must be a mapping", item, raw)
                continue
            entry = parse(item, where)
            if entry is not None:
                out.append(entry)
        return out

    def combination(
        self, raw: dict[Any, Any], where: str
    ) -> tuple[str, str, int, tuple[frozenset[tuple[str, ...]], ...]] | None:
        good = self.keys(raw, where, ("all", "concern", "finding", "treatment", "within"), ("all", "within"))
        kinds = [k for k in ("finding", "concern", "treatment") if k in raw]
        if len(kinds) != 1:
            self.fail(where, "needs one of 'finding', 'concern' or 'treatment', the code it reads as", raw)
            good = False
        else:
            good = self.code(kinds[0], raw[kinds[0]], f"{where}.{kinds[0]}", raw) and good
        within = raw.get("within")
        if "within" in raw and not _count(within):
            self.fail(f"{where}.within", _WORDS, raw)
            good = False
        groups: list[frozenset[tuple[str, ...]]] = []
        if "all" in raw:
            parts = raw["all"]
            if not isinstance(parts, list) or len(parts) < 2:
                self.fail(f"{where}.all", "must be a list of two or more lists of phrases", parts, raw)
                good = False
            else:
                for g, part in enumerate(parts):
                    phrases = self.phrases(part, f"{where}.all[{g}]", parts, raw, at_least_one=True)
                    if phrases is None:
                        good = False
                    else:
                        groups.append(frozenset(phrases))
        if not good or not isinstance(within, int):
            return None
        return (kinds[0], str(raw[kinds[0]]), within, tuple(groups))

    def yielding_entry(
        self, raw: dict[Any, Any], where: str
    ) -> tuple[frozenset[tuple[str, ...]], frozenset[str]] | None:
        good = self.keys(raw, where, ("idioms", "unless"), ("idioms", "unless"))
        phrases = self.phrases(raw.get("idioms"), f"{where}.idioms", raw, at_least_one=True) if good else None
        codes = raw.get("unless")
        if not isinstance(codes, list) or not codes:
            if good:
                self.fail(f"{where}.unless", "must be a list of finding, concern or treatment codes", codes, raw)
            return None
        known = [self.catalog.codes(k) for k in ("finding", "concern", "treatment")]
        for i, code in enumerate(codes):
            if not isinstance(code, str) or not any(code in k for k in known):
                self.fail(f"{where}.unless[{i}]", f"unknown finding, concern or treatment code {code!r}", codes, raw)
                good = False
        if not good or phrases is None:
            return None
        return frozenset(phrases), frozenset(str(c) for c in codes)

    def size(self, raw: dict[Any, Any], where: str) -> tuple[str, float] | None:
        good = self.keys(raw, where, ("finding", "min_mm"), ("finding", "min_mm"))
        if "finding" in raw:
            good = self.code("finding", raw["finding"], f"{where}.finding", raw) and good
        min_mm = _number(raw.get("min_mm"))
        if "min_mm" in raw:
            if min_mm is None:
                self.fail(f"{where}.min_mm", "must be a number", raw)
            elif min_mm < 0:
                self.fail(f"{where}.min_mm", "must not be negative", raw)
        if not good or min_mm is None or min_mm < 0:
            return None
        return (str(raw["finding"]), min_mm)

    def derived(self, raw: dict[Any, Any], where: str) -> tuple[frozenset[str], str, frozenset[str]] | None:
        good = self.keys(raw, where, ("add", "all", "drop"), ("add", "all"))
        together: list[str] | None = None
        if "all" in raw:
            together = self.codes("finding", raw["all"], f"{where}.all", raw)
            if together is not None and not together:
                self.fail(f"{where}.all", "must name at least one finding", raw["all"], raw)
                together = None
        if "add" in raw:
            good = self.code("finding", raw["add"], f"{where}.add", raw) and good
        drop = self.codes("finding", raw["drop"], f"{where}.drop", raw) if "drop" in raw else []
        if not good or together is None or drop is None:
            return None
        return (frozenset(together), str(raw["add"]), frozenset(drop))

    def parse_proxy(self, raw: Any) -> tuple[frozenset[str], tuple[frozenset[tuple[str, ...]], ...]] | None:
        section = self.mapping("proxy", raw, "persons, before, after, own and reporters (lists)")
        if not section:
            if isinstance(raw, dict):
                self.fail("proxy", "missing required key(s) ['persons']", raw)
            return None
        self.keys(section, "proxy", PROXY_KEYS, ("persons",))
        persons = self.words("proxy.persons", section["persons"]) if "persons" in section else frozenset()
        lists: list[frozenset[tuple[str, ...]]] = []
        for key in PROXY_KEYS[1:]:
            phrases = self.phrases(section[key], f"proxy.{key}", section) if key in section else []
            lists.append(frozenset(phrases or ()))
        return persons, tuple(lists)

    def context_entry(self, raw: dict[Any, Any], where: str) -> ContextEntry | None:
        good = self.keys(raw, where, CONTEXT_KEYS, ("finding", "words"))
        if "finding" in raw:
            good = self.code("finding", raw["finding"], f"{where}.finding", raw) and good
        words = self.phrases(raw["words"], f"{where}.words", raw, at_least_one=True) if "words" in raw else None
        findings = self.codes("finding", raw["findings"], f"{where}.findings", raw) if "findings" in raw else []
        phrases = self.phrases(raw["phrases"], f"{where}.phrases", raw) if "phrases" in raw else []
        done = self.phrases(raw["done"], f"{where}.done", raw) if "done" in raw else []
        unless = {key: self.words(f"{where}.{key}", raw[key]) if key in raw else frozenset() for key in _UNLESS_KEYS}
        if not good or words is None or findings is None or phrases is None or done is None:
            return None
        return (
            str(raw["finding"]),
            frozenset(words),
            frozenset(findings),
            frozenset(phrases),
            frozenset(done),
            unless["not_with"],
            unless["not_after"],
        )

    def recent_entry(self, raw: dict[Any, Any], where: str) -> tuple[str, float, frozenset[str]] | None:
        good = self.keys(raw, where, RECENT_USE_KEYS, RECENT_USE_KEYS)
        if "code" in raw:
            good = self.code("medication", raw["code"], f"{where}.code", raw) and good
        months = _number(raw.get("within_months"))
        if "within_months" in raw and (months is None or months < 0):
            self.fail(f"{where}.within_months", "must be a number of months, 0 or more", raw)
            good = False
        sources: list[str] = []
        if "from" in raw:
            listed = raw["from"]
            if not isinstance(listed, list) or not listed:
                self.fail(f"{where}.from", "must be a non-empty list of medication or treatment codes", listed, raw)
                good = False
            else:
                known = (self.catalog.codes("medication"), self.catalog.codes("treatment"))
                for i, c in enumerate(listed):
                    if isinstance(c, str) and any(c in codes for codes in known):
                        sources.append(c)
                    else:
                        self.fail(f"{where}.from[{i}]", f"unknown medication or treatment code {c!r}", listed, raw)
                        good = False
        if not good or months is None:
            return None
        return (str(raw["code"]), months, frozenset(sources))

    def own_entry(
        self, raw: dict[Any, Any], where: str
    ) -> tuple[frozenset[str], frozenset[str], frozenset[str]] | None:
        good = self.keys(raw, where, OWN_FINDING_KEYS, ("concerns", "findings"))
        concerns = self.codes("concern", raw["concerns"], f"{where}.concerns", raw) if "concerns" in raw else None
        findings = self.codes("finding", raw["findings"], f"{where}.findings", raw) if "findings" in raw else None
        unless = self.codes("finding", raw["unless"], f"{where}.unless", raw) if "unless" in raw else []
        if not good or concerns is None or findings is None or unless is None:
            return None
        return (frozenset(concerns), frozenset(findings), frozenset(unless))

    def unspecified_entry(self, raw: dict[Any, Any], where: str) -> tuple[str, frozenset[str], Phrases] | None:
        good = self.keys(raw, where, UNSPECIFIED_KEYS, UNSPECIFIED_KEYS)
        if "code" in raw:
            good = self.code("treatment", raw["code"], f"{where}.code", raw) and good
        family = self.codes("treatment", raw["family"], f"{where}.family", raw) if "family" in raw else None
        phrases = self.phrases(raw["phrases"], f"{where}.phrases", raw, at_least_one=True) if "phrases" in raw else None
        if not good or family is None or phrases is None:
            return None
        return (str(raw["code"]), frozenset(family), frozenset(phrases))

    def parse_windows(self, raw: Any) -> Windows | None:
        if not isinstance(raw, dict):
            self.fail("windows", f"must be a mapping of window name to words ({', '.join(WINDOW_NAMES)})", raw)
            return None
        good = self.keys(raw, "windows", WINDOW_NAMES, WINDOW_NAMES)
        values: dict[str, int] = {}
        for name in WINDOW_NAMES:
            if name in raw:
                value = raw[name]
                if _count(value):
                    values[name] = int(value)
                else:
                    self.fail(f"windows.{name}", _WORDS, raw)
                    good = False
        if not good:
            return None
        return Windows(
            negation_reach=values["negation_reach"],
            after_cue_reach=values["after_cue_reach"],
            treatment_done_reach=values["treatment_done_reach"],
            pair_gap=values["pair_gap"],
            combination_slack=values["combination_slack"],
            site_distance=values["site_distance"],
            age_words_before=values["age_words_before"],
        )
