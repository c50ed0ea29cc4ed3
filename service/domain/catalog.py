"""The vocabulary as data: every code a caller may send or receive, with its facts.

Built from the parsed files of ``rules/catalog/``; every check names the file and code, so a
bad catalog stops start-up instead of failing a request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import Problems, RulesError
from .model import Category, Invasiveness, MedSpa, Practitioner, Question

KINDS = ("concern", "finding", "body_site", "condition", "medication", "treatment", "flag")

TREATMENT_TAGS = frozenset(
    """injectable neurotoxin filler energy_device laser light ablative resurfacing peel needling
    mechanical_exfoliation hair_removal cold surgical prescription oral_retinoid
    lesion_destruction skin_breaking facial_procedure manual examination""".split()
)

FINDING_GROUPS = frozenset(
    """ng12_major ng12_minor lesion_feature acne_hair sweating infection general
    severe_reaction post_treatment temporary""".split()
)


@dataclass(frozen=True, slots=True)
class Concept:
    code: str
    kind: str
    label: str
    synonyms: tuple[str, ...] = ()
    icd10cm: str = ""
    category: Category | None = None  # concerns
    group: str = ""  # findings
    ng12_points: int = 0  # findings
    invasiveness: Invasiveness | None = None  # treatments (None: not a procedure)
    practitioner: Practitioner | None = None  # treatments
    med_spa: MedSpa | None = None  # treatments
    tags: frozenset[str] = frozenset()  # treatments
    red_flag: bool = False  # flags
    description: str = ""  # flags, treatments (note)
    source: str = ""  # treatments


@dataclass(frozen=True)
class Catalog:
    """All concepts by kind and code, in file order, plus the follow-up questions."""

    concepts: Mapping[str, Mapping[str, Concept]]
    questions: Mapping[str, Question] = field(default_factory=dict)

    def codes(self, kind: str) -> Mapping[str, Concept]:
        return self.concepts[kind]

    def get(self, kind: str, code: str) -> Concept | None:
        return self.concepts[kind].get(code)

    def all_concepts(self) -> list[Concept]:
        return [c for kind in KINDS for c in self.concepts[kind].values()]

    @classmethod
    def from_data(
        cls, files: Mapping[str, Any], questions_file: tuple[str, Any], problems: Problems | None = None
    ) -> Catalog:
        """Build from ``{file name: parsed content}`` of the concept files and the questions file.

        Every problem goes to ``problems`` (each concept checked on its own), and the catalog
        holds the concepts that were sound; without ``problems``, the first pass's problems raise.
        """
        collect = problems if problems is not None else Problems()
        concepts: dict[str, dict[str, Concept]] = {kind: {} for kind in KINDS}
        for name, data in files.items():
            if not isinstance(data, dict) or data.get("kind") not in KINDS:
                collect.add(name, f"needs 'kind:' (one of {', '.join(KINDS)})", node=data)
                continue
            unknown = set(data) - {"kind", "concepts"}
            if unknown:
                collect.add(name, f"unknown key(s) {sorted(unknown)} (known: concepts, kind)", node=data)
            kind = data["kind"]
            items = data.get("concepts")
            if not isinstance(items, list) or not items:
                collect.add(name, "needs a non-empty 'concepts:' list", node=data)
                continue
            for i, raw in enumerate(items):
                with collect.entry(raw, name):
                    concept = _concept(name, kind, i, raw)
                    if concept.code in concepts[kind]:
                        raise RulesError(name, f"duplicate {kind} code {concept.code!r}")
                    concepts[kind][concept.code] = concept
        for kind in KINDS:
            if not concepts[kind]:
                collect.add(questions_file[0].rsplit("/", 1)[0], f"no {kind} concepts were loaded")
        questions: dict[str, Question] = {}
        with collect.entry(questions_file[1], questions_file[0]):
            questions = _questions(*questions_file, collect)
        if problems is None:
            collect.check()
        return cls(concepts, questions)


def _concept(file: str, kind: str, index: int, raw: Any) -> Concept:
    where = f"concepts[{index}]"
    if not isinstance(raw, dict):
        raise RulesError(file, f"{where} must be a mapping")
    code = raw.get("code")
    if not isinstance(code, str) or not code:
        raise RulesError(file, f"{where} needs a 'code'")
    label = raw.get("label")
    if not isinstance(label, str) or not label.strip():
        raise RulesError(file, f"{kind} {code!r} needs a 'label'")
    synonyms = raw.get("synonyms") or []
    if not isinstance(synonyms, list) or not all(isinstance(s, str) for s in synonyms):
        raise RulesError(file, f"{kind} {code!r}: 'synonyms' must be a list of strings")
    known = {"code", "label", "synonyms", "icd10cm"} | _EXTRA_FIELDS[kind]
    unknown = set(raw) - known
    if unknown:
        raise RulesError(file, f"{kind} {code!r}: unknown field(s) {sorted(unknown)}")
    for key in ("icd10cm", "note", "source", "description"):
        if key in raw and not isinstance(raw[key], str):
            raise RulesError(file, f"{kind} {code!r}: '{key}' must be a string")
    fields: dict[str, Any] = {
        "code": code,
        "kind": kind,
        "label": label.strip(),
        "synonyms": tuple(synonyms),
        "icd10cm": str(raw.get("icd10cm") or ""),
    }
    if kind == "concern":
        fields["category"] = _enum(file, code, Category, raw.get("category"), "category")
    elif kind == "finding":
        group = raw.get("group")
        if group not in FINDING_GROUPS:
            raise RulesError(file, f"finding {code!r}: 'group' must be one of {sorted(FINDING_GROUPS)}")
        points = raw.get("ng12_points", 0)
        if points not in (0, 1, 2):
            raise RulesError(file, f"finding {code!r}: 'ng12_points' must be 0, 1 or 2")
        fields.update(group=group, ng12_points=points)
    elif kind == "treatment":
        inv = raw.get("invasiveness")
        fields["invasiveness"] = None if inv is None else _enum(file, code, Invasiveness, inv, "invasiveness")
        fields["practitioner"] = _enum(file, code, Practitioner, raw.get("practitioner"), "practitioner")
        fields["med_spa"] = _enum(file, code, MedSpa, raw.get("med_spa"), "med_spa")
        tags = raw.get("tags") or []
        if not isinstance(tags, list):
            raise RulesError(file, f"treatment {code!r}: 'tags' must be a list of tags")
        bad = [t for t in tags if t not in TREATMENT_TAGS]
        if bad:
            raise RulesError(file, f"treatment {code!r}: unknown tag(s) {bad}")
        fields.update(tags=frozenset(tags), description=str(raw.get("note", "")), source=str(raw.get("source", "")))
    elif kind == "flag":
        if not isinstance(raw.get("red_flag", False), bool):
            raise RulesError(file, f"flag {code!r}: 'red_flag' must be true or false")
        fields.update(red_flag=raw.get("red_flag", False), description=raw.get("description", ""))
    return Concept(**fields)


_EXTRA_FIELDS: dict[str, set[str]] = {
    "concern": {"category"},
    "finding": {"group", "ng12_points"},
    "body_site": set(),
    "condition": set(),
    "medication": set(),
    "treatment": {"invasiveness", "practitioner", "med_spa", "tags", "note", "source"},
    "flag": {"red_flag", "description"},
}


def _enum(file: str, code: str, enum: Any, value: Any, name: str) -> Any:
    try:
        return enum[value]
    except (KeyError, TypeError):
        names = ", ".join(m.name for m in enum)
        raise RulesError(file, f"{code!r}: '{name}' must be one of {names}") from None


def _questions(file: str, data: Any, problems: Problems) -> dict[str, Question]:
    items = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise RulesError(file, "needs a 'questions:' list")
    out: dict[str, Question] = {}
    for i, raw in enumerate(items):
        fields = ("id", "text", "answer_field")
        if not isinstance(raw, dict) or not all(isinstance(raw.get(k), str) and raw.get(k) for k in fields):
            problems.add(file, f"questions[{i}] needs 'id', 'text' and 'answer_field'", node=raw)
        elif set(raw) - set(fields):
            problems.add(file, f"question {raw['id']!r}: unknown key(s) {sorted(set(raw) - set(fields))}", node=raw)
        elif raw["id"] in out:
            problems.add(file, f"duplicate question id {raw['id']!r}", node=raw)
        else:
            out[raw["id"]] = Question(raw["id"], raw["text"], raw["answer_field"])
    return out
