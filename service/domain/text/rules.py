"""The text-reading rules: ``rules/text.yaml`` parsed, checked against the catalog, normalised."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..catalog import Catalog
from ..errors import Problems, RulesError
from .tokens import WORD, normalize_word

KINDS = ("concern", "finding", "body_site", "condition", "medication", "treatment")
CUE_TYPES = ("negation", "hypothetical", "historical", "other_person", "treatment_done")


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
    def from_data(cls, file: str, data: Any, catalog: Catalog, problems: Problems | None = None) -> TextRules | None:
        """Parse ``rules/text.yaml``; problems go to ``problems`` (None returned), else they raise."""
        collect = problems if problems is not None else Problems()
        with collect.entry(data):
            return cls._parse(file, data, catalog)
        if problems is None:
            collect.check()
        return None

    @classmethod
    def _parse(cls, file: str, data: Any, catalog: Catalog) -> TextRules:
        if not isinstance(data, dict):
            raise RulesError(file, "must be a mapping")
        spelling = {str(k): str(v) for k, v in (data.get("spelling") or {}).items()}

        def phrase(text: Any, where: str) -> tuple[str, ...]:
            if not isinstance(text, str) or not text.strip():
                raise RulesError(file, f"{where}: phrases must be non-empty strings")
            return tuple(normalize_word(w, spelling) for w in WORD.findall(text.lower()))

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
