"""The rule language: rules as data, parsed and checked once at start-up.

A rule is ``id``, ``summary``, ``source``, ``when`` (a list of fact patterns, all of which
must match, each a different fact; a pattern may be named with ``as:``) and ``then`` (the
conclusions it adds; ``subject`` names the patterns its item conclusions are about). A
decision file may also define named sets of codes (``sets:``), which a condition writes as
``{set: NAME}`` wherever a list of codes goes. Conditions are engine-neutral trees;
``service/adapters/engine.py`` compiles them for durable-rules. See ``docs/rules.md`` for the
syntax.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .catalog import KINDS, TREATMENT_TAGS, Catalog
from .errors import Problems, RulesError
from .facts import FACT_FIELDS, Domain, set_key
from .model import Category, Route, Urgency

PLACEHOLDER = re.compile(r"\{([a-z_0-9]+)\}")
RULE_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")  # a pattern's ``as:`` name, a set's name
COMPARISONS = ("eq", "ne", "lt", "lte", "gt", "gte")
SUBJECT_TYPES = ("concern", "treatment")
# The keys of `then`, in the order the rule files write them (docs/rules.md, "Conclusions").
CONCLUSIONS = (
    "route",
    "unless_bookable",
    "urgency",
    "category",
    "flags",
    "med_spa_appropriate",
    "block_all_treatments",
    "ask",
    "subject",
    "only_if_appropriate",
)
SET_KINDS = tuple(k for k in KINDS if k != "flag")  # the vocabulary kinds a condition tests
POSITIONAL_SUBJECT = (
    "then.subject: {value!r} is a position in 'when'; name the pattern instead: 'as: NAME' on the "
    "pattern and 'subject: NAME', or the fact type ('subject: treatment') when 'when' has one pattern of it"
)


# Condition tree: every leaf tests one flat fact field.
@dataclass(frozen=True, slots=True)
class Test:
    op: str  # one of COMPARISONS, or "exists" / "absent"
    field: str
    value: Any = None


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[Condition, ...]


Condition = Test | AllOf | AnyOf


@dataclass(frozen=True, slots=True)
class Pattern:
    fact: str  # a key of FACT_FIELDS
    condition: Condition
    name: str = ""  # its ``as:`` name, if it has one


@dataclass(frozen=True, slots=True)
class CodeSet:
    """A named set of codes of one vocabulary kind, written ``{set: NAME}`` in conditions."""

    name: str
    kind: str  # one of SET_KINDS
    summary: str
    codes: tuple[str, ...]
    file: str = ""


@dataclass(frozen=True, slots=True)
class Effect:
    route: Route | None = None
    urgency: Urgency | None = None
    category: Category | None = None
    flags: tuple[str, ...] = ()
    med_spa_appropriate: bool | None = None
    block_all_treatments: bool = False
    ask: tuple[str, ...] = ()
    # The positions in ``when`` of the patterns ``subject`` names (by default every concern and
    # treatment pattern): the facts whose items the route, urgency, category and verdict are about.
    subject: tuple[int, ...] = ()
    # The whole conclusion stands only while a subject treatment is still appropriate at the
    # spa (a good-faith exam or a split booking for a blocked treatment says nothing).
    only_if_appropriate: bool = False
    # The route stands only when no requested esthetician (ALWAYS) treatment stays appropriate:
    # clinical basis §9.3, a contraindication defers the item and the spa booking goes ahead.
    unless_bookable: bool = False


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    summary: str
    source: str
    when: tuple[Pattern, ...]
    then: Effect
    file: str = ""


@dataclass(frozen=True)
class Rulebook:
    """The active rules by id (file order), the ids of retired rules, and the named sets."""

    rules: Mapping[str, Rule]
    retired: frozenset[str] = field(default_factory=frozenset)
    sets: Mapping[str, CodeSet] = field(default_factory=dict)

    def __getitem__(self, rule_id: str) -> Rule:
        return self.rules[rule_id]

    @classmethod
    def from_data(cls, files: Mapping[str, Any], catalog: Catalog, problems: Problems | None = None) -> Rulebook:
        """Parse ``{file name: parsed content}``, each rule on its own: every problem goes to
        ``problems`` (without it, they raise at the end), and the rulebook holds the sound rules."""
        collect = problems if problems is not None else Problems()
        rules: dict[str, Rule] = {}
        retired: set[str] = set()
        defined_in: dict[str, str] = {}
        sets = _sets(files, catalog, collect)  # first: a rule in any file may use a set of any file
        for name, data in files.items():
            if isinstance(data, dict) and set(data) - {"rules", "sets"}:
                collect.add(
                    name, f"unknown key(s) {sorted(set(data) - {'rules', 'sets'})} (known: rules, sets)", node=data
                )
            items = data.get("rules") if isinstance(data, dict) else None
            if isinstance(data, dict) and "sets" in data and "rules" not in data:
                continue  # a file of sets only
            if not isinstance(items, list):
                collect.add(name, "needs a 'rules:' list (or 'sets:')", node=data)
                continue
            for i, raw in enumerate(items):
                if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
                    collect.add(name, f"rules[{i}] needs an 'id'", node=raw if isinstance(raw, dict) else items)
                    continue
                rule_id = raw["id"]
                if rule_id in defined_in:
                    collect.add(name, f"duplicate rule id (first defined in {defined_in[rule_id]})", rule_id, raw)
                    continue
                defined_in[rule_id] = name
                if raw.get("retired") is True:
                    retired.add(rule_id)
                    continue
                with collect.entry(raw, name, rule_id):
                    rules[rule_id] = _Parser(name, rule_id, catalog, sets).rule(raw)
        if not rules and not collect.errors:
            collect.add("decision/", "no rules were loaded")
        if problems is None:
            collect.check()
        return cls(rules, frozenset(retired), sets)


def _sets(files: Mapping[str, Any], catalog: Catalog, problems: Problems) -> dict[str, CodeSet]:
    """Every file's ``sets:``, each set checked on its own. A set with an unknown code keeps its
    known codes, so that the one problem is reported once and not again by each rule using it."""
    sets: dict[str, CodeSet] = {}
    for file, data in files.items():
        items = data.get("sets") if isinstance(data, dict) else None
        if items is None:
            continue
        if not isinstance(items, list):
            problems.add(
                file, "'sets:' must be a list of sets, each with 'name', 'summary', 'kind' and 'codes'", node=data
            )
            continue
        for i, raw in enumerate(items):
            with problems.entry(raw, file):
                code_set = _code_set(file, i, raw, catalog, problems)
                if code_set.name in sets:
                    first = sets[code_set.name].file
                    raise RulesError(file, f"set {code_set.name}: duplicate set name (first defined in {first})")
                sets[code_set.name] = code_set
    return sets


def _code_set(file: str, index: int, raw: Any, catalog: Catalog, problems: Problems) -> CodeSet:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise RulesError(file, f"sets[{index}] needs a 'name'")
    name = raw["name"]
    if not NAME.match(name):
        raise RulesError(file, f"set {name!r}: a set name is lower-case words joined by '_', like 'ng12_features'")
    unknown = set(raw) - {"name", "summary", "kind", "codes"}
    if unknown:
        raise RulesError(file, f"set {name}: unknown key(s) {sorted(unknown)} (known: name, summary, kind, codes)")
    if not isinstance(raw.get("summary"), str) or not raw["summary"].strip():
        raise RulesError(file, f"set {name}: needs a 'summary' (one plain sentence)")
    kind = raw.get("kind")
    if kind not in SET_KINDS:
        raise RulesError(file, f"set {name}: 'kind' must be one of {', '.join(SET_KINDS)}")
    codes = raw.get("codes")
    if not isinstance(codes, list) or not codes:
        raise RulesError(file, f"set {name}: 'codes' must be a non-empty list of {kind} codes")
    known = catalog.codes(kind)
    kept: list[str] = []
    for code in codes:
        if code not in known:
            problems.add(file, f"set {name}: unknown {kind} code {code!r}", node=codes)
        elif code in kept:
            problems.add(file, f"set {name}: {code!r} is listed twice", node=codes)
        else:
            kept.append(code)
    return CodeSet(name, kind, raw["summary"].strip(), tuple(kept), file)


class _Parser:
    def __init__(self, file: str, rule_id: str, catalog: Catalog, sets: Mapping[str, CodeSet]):
        self.file, self.rule_id, self.catalog, self.sets = file, rule_id, catalog, sets

    def fail(self, message: str) -> RulesError:
        return RulesError(self.file, message, self.rule_id)

    def rule(self, raw: Mapping[str, Any]) -> Rule:
        if not RULE_ID.match(self.rule_id):
            raise self.fail("id must be dotted lower-case words, like 'venue.lacks_supervision'")
        unknown = set(raw) - {"id", "summary", "source", "when", "then", "retired"}
        if unknown:
            raise self.fail(f"unknown key(s) {sorted(unknown)}")
        for key in ("summary", "source"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise self.fail(f"needs a '{key}' (one plain sentence)")
        when = raw.get("when")
        if not isinstance(when, list) or not when:
            raise self.fail("'when' must be a non-empty list of fact patterns")
        patterns = tuple(self.pattern(p) for p in when)
        names = [p.name for p in patterns if p.name]
        for name in names:
            if names.count(name) > 1:
                raise self.fail(f"when: two patterns are named {name!r}; each name says which fact is meant")
        then = self.effect(raw.get("then"), patterns)
        fields = {f for p in patterns for f in FACT_FIELDS[p.fact]}
        for name in PLACEHOLDER.findall(raw["summary"]):
            if name not in fields:
                raise self.fail(f"summary placeholder {{{name}}} is not a field of the matched facts")
        return Rule(self.rule_id, raw["summary"].strip(), raw["source"].strip(), patterns, then, self.file)

    def pattern(self, raw: Any) -> Pattern:
        facts = [k for k in raw if k != "as"] if isinstance(raw, dict) else []
        if len(facts) != 1:
            raise self.fail(
                "each 'when' item is one fact type with its condition, like '- concern: {code: acne}', "
                "and may have a name ('as: NAME')"
            )
        fact, cond = facts[0], raw[facts[0]]
        if fact not in FACT_FIELDS:
            raise self.fail(f"unknown fact type {fact!r} (known: {', '.join(FACT_FIELDS)})")
        name = raw.get("as", "")
        if "as" in raw and (not isinstance(name, str) or not NAME.match(name)):
            raise self.fail(
                f"when: 'as: {name}' must be a name of lower-case words joined by '_', like 'spa_treatment'"
            )
        if name in FACT_FIELDS:
            raise self.fail(f"when: 'as: {name}' is a fact type; name the pattern for what it is, like 'spa_treatment'")
        if cond is None:
            cond = {}
        return Pattern(fact, self.condition(fact, cond), name)

    def condition(self, fact: str, raw: Any) -> Condition:
        if not isinstance(raw, dict):
            raise self.fail(f"the condition on {fact} must be a mapping of field to value")
        parts: list[Condition] = []
        for key, value in raw.items():
            if key in ("any", "all"):
                if not isinstance(value, list) or not value:
                    raise self.fail(f"'{key}' takes a non-empty list of conditions")
                subs = tuple(self.condition(fact, v) for v in value)
                parts.append(AnyOf(subs) if key == "any" else AllOf(subs))
                continue
            domain = FACT_FIELDS[fact].get(key)
            if domain is None:
                raise self.fail(f"unknown field {key!r} of {fact} (known: {', '.join(FACT_FIELDS[fact])})")
            parts.append(self.field_test(fact, key, domain, value))
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def field_test(self, fact: str, key: str, domain: Domain, value: Any) -> Condition:
        if domain.type == "set":
            return self.set_test(fact, key, domain, value)
        if isinstance(value, dict) and "set" in value:
            value = [value]  # ``code: {set: NAME}``: one of the set's codes
        if isinstance(value, list):
            codes = self.expand(fact, key, domain, value)
            if not codes:
                raise self.fail(f"{fact}.{key}: an empty list matches nothing")
            return AnyOf(tuple(Test("eq", key, self.value(fact, key, domain, v)) for v in codes))
        if isinstance(value, dict):
            tests: list[Condition] = []
            for op, operand in value.items():
                if op == "in":
                    tests.append(self.field_test(fact, key, domain, self.written_list(operand, f"{fact}.{key}.in")))
                elif op == "not_in":
                    codes = self.expand(fact, key, domain, self.written_list(operand, f"{fact}.{key}.not_in"))
                    tests.extend(Test("ne", key, self.value(fact, key, domain, v)) for v in codes)
                elif op in ("exists", "absent"):
                    tests.append(Test(op, key))
                elif op in COMPARISONS:
                    if op not in ("eq", "ne") and domain.type != "int":
                        raise self.fail(f"{fact}.{key}: '{op}' compares numbers only")
                    tests.append(Test(op, key, self.value(fact, key, domain, operand)))
                else:
                    raise self.fail(f"{fact}.{key}: unknown operator {op!r}")
            if not tests:
                raise self.fail(f"{fact}.{key}: empty condition")
            return tests[0] if len(tests) == 1 else AllOf(tuple(tests))
        return Test("eq", key, self.value(fact, key, domain, value))

    def set_test(self, fact: str, key: str, domain: Domain, value: Any) -> Condition:
        """``findings: x`` (has x), ``{any: [..]}``, ``{all: [..]}``, ``{none: [..]}``; a list
        may hold ``{set: NAME}`` items, or be ``{set: NAME}`` itself."""
        if isinstance(value, str):
            value = {"all": [value]}
        if not isinstance(value, dict) or not value or set(value) - {"any", "all", "none"}:
            raise self.fail(f"{key}: use a code, or 'any:', 'all:' or 'none:' with a list of codes")
        tests: list[Condition] = []
        for op, listed in value.items():
            if not isinstance(listed, (list, dict)) or not listed:
                raise self.fail(f"{key}.{op}: needs a non-empty list of codes")
            codes = self.expand(fact, key, domain, self.written_list(listed, f"{key}.{op}"))
            if not codes:
                raise self.fail(f"{key}.{op}: needs a non-empty list of codes")
            for code in codes:
                self.check_code(domain.kind, code, f"{fact}.{key}")
            keys = [set_key(key, c) for c in codes]
            if op == "any":
                tests.append(AnyOf(tuple(Test("exists", k) for k in keys)))
            else:
                tests.extend(Test("exists" if op == "all" else "absent", k) for k in keys)
        return tests[0] if len(tests) == 1 else AllOf(tuple(tests))

    def written_list(self, operand: Any, where: str) -> list[Any]:
        """A list of codes as written: a list, or one ``{set: NAME}`` standing for it."""
        if isinstance(operand, list):
            return operand
        if isinstance(operand, dict):
            return [operand]
        if operand is None:
            return []
        raise self.fail(f"{where}: needs a list of codes, or {{set: NAME}}")

    def expand(self, fact: str, key: str, domain: Domain, items: list[Any]) -> list[Any]:
        """The codes of a written list, each ``{set: NAME}`` replaced by the set's codes."""
        out: list[Any] = []
        for item in items:
            if not isinstance(item, dict):
                out.append(item)
                continue
            if set(item) != {"set"}:
                raise self.fail(f"{fact}.{key}: a set is written {{set: NAME}}")
            name = item["set"]
            if domain.type not in ("code", "set") or domain.kind == "tag":
                raise self.fail(f"{fact}.{key}: a set holds vocabulary codes, and {key} takes none")
            code_set = self.sets.get(name) if isinstance(name, str) else None
            if code_set is None:
                raise self.fail(f"{fact}.{key}: unknown set {name!r} (no entry of 'sets:' has that name)")
            if code_set.kind != domain.kind:
                raise self.fail(f"{fact}.{key}: set {name!r} holds {code_set.kind} codes, not {domain.kind} codes")
            out.extend(code_set.codes)
        return out

    def check_code(self, kind: str, code: Any, where: str) -> None:
        if kind == "tag":
            if code not in TREATMENT_TAGS:
                raise self.fail(f"{where}: unknown tag {code!r} (the tags are listed in docs/rules.md)")
        elif code not in self.catalog.codes(kind):
            raise self.fail(f"{where}: unknown {kind} code {code!r}")

    def value(self, fact: str, key: str, domain: Domain, value: Any) -> Any:
        if domain.type == "code":
            self.check_code(domain.kind, value, f"{fact}.{key}")
        elif domain.type == "enum" and value not in domain.values:
            raise self.fail(f"{fact}.{key}: {value!r} is not one of {', '.join(domain.values)}")
        elif domain.type == "int" and (not isinstance(value, int) or isinstance(value, bool)):
            raise self.fail(f"{fact}.{key}: {value!r} is not a whole number")
        elif domain.type == "bool" and not isinstance(value, bool):
            raise self.fail(f"{fact}.{key}: {value!r} is not true or false")
        elif domain.type == "tri" and not (isinstance(value, bool) or value == "unknown"):
            raise self.fail(f"{fact}.{key}: {value!r} is not true, false or unknown")
        return value

    def effect(self, raw: Any, patterns: tuple[Pattern, ...]) -> Effect:
        if not isinstance(raw, dict) or not raw:
            raise self.fail("needs a 'then' with at least one conclusion")
        unknown = set(raw) - set(CONCLUSIONS)
        if unknown:
            raise self.fail(f"unknown conclusion(s) {sorted(unknown)} (known: {', '.join(sorted(CONCLUSIONS))})")
        flags = self.names(raw, "flags", "flag codes")
        for f in flags:
            self.check_code("flag", f, "then.flags")
        ask = self.names(raw, "ask", "question ids")
        for q in ask:
            if q not in self.catalog.questions:
                raise self.fail(f"then.ask: unknown question id {q!r}")
        subject = raw.get("subject")
        if subject is None:
            subject_idx = tuple(i for i, p in enumerate(patterns) if p.fact in SUBJECT_TYPES)
        else:
            names = subject if isinstance(subject, list) else [subject]
            if not names:
                raise self.fail("then.subject: name at least one concern or treatment pattern")
            subject_idx = tuple(self.subject_index(n, patterns) for n in names)
        effect = Effect(
            route=self.enum(Route, raw.get("route"), "route"),
            urgency=self.enum(Urgency, raw.get("urgency"), "urgency"),
            category=self.enum(Category, raw.get("category"), "category"),
            flags=flags,
            med_spa_appropriate=self.flag_value(raw, "med_spa_appropriate"),
            block_all_treatments=bool(self.flag_value(raw, "block_all_treatments")),
            ask=ask,
            subject=subject_idx,
            only_if_appropriate=bool(self.flag_value(raw, "only_if_appropriate")),
            unless_bookable=bool(self.flag_value(raw, "unless_bookable")),
        )
        cautious = effect.route is Route.DERMATOLOGIST or effect.urgency not in (None, Urgency.ROUTINE)
        if effect.only_if_appropriate and (
            cautious or effect.block_all_treatments or effect.med_spa_appropriate is False
        ):
            # A conditional conclusion must never be able to hide a cautious one.
            raise self.fail("only_if_appropriate cannot go with a DERMATOLOGIST route, an urgency or a block")
        if effect.only_if_appropriate and not any(patterns[i].fact == "treatment" for i in subject_idx):
            raise self.fail("only_if_appropriate needs a treatment subject")
        if effect.unless_bookable and (
            effect.route is not Route.DERMATOLOGIST or effect.urgency not in (None, Urgency.ROUTINE)
        ):
            raise self.fail("unless_bookable is for a ROUTINE DERMATOLOGIST route only (clinical basis §9.3)")
        if effect.category and not any(patterns[i].fact == "concern" for i in subject_idx):
            raise self.fail("then.category needs a concern subject")
        if effect.med_spa_appropriate is not None and not any(patterns[i].fact == "treatment" for i in subject_idx):
            raise self.fail("then.med_spa_appropriate needs a treatment subject")
        return effect

    def subject_index(self, name: Any, patterns: tuple[Pattern, ...]) -> int:
        """The position in ``when`` of the pattern a subject names: its ``as:`` name, or its
        fact type where ``when`` has one pattern of that type."""
        if isinstance(name, int) and not isinstance(name, bool):
            raise self.fail(POSITIONAL_SUBJECT.format(value=name))
        if not isinstance(name, str):
            raise self.fail(f"then.subject: {name!r} is not the name of a pattern")
        named = [i for i, p in enumerate(patterns) if p.name == name]
        if named:
            index = named[0]
        elif name in FACT_FIELDS:
            of_type = [i for i, p in enumerate(patterns) if p.fact == name]
            if len(of_type) != 1:
                how_many = "no" if not of_type else str(len(of_type))
                raise self.fail(
                    f"then.subject: 'when' has {how_many} {name} patterns; name the one meant ('as: NAME') "
                    "and write that name"
                )
            index = of_type[0]
        else:
            known = [p.name for p in patterns if p.name]
            names = f"names: {', '.join(known)}" if known else "no pattern has an 'as:' name"
            raise self.fail(f"then.subject: no pattern is named {name!r} ({names})")
        if patterns[index].fact not in SUBJECT_TYPES:
            raise self.fail(
                f"then.subject: {name!r} is a {patterns[index].fact} pattern; a subject is a concern or treatment"
            )
        return index

    def names(self, raw: Mapping[str, Any], key: str, what: str) -> tuple[str, ...]:
        """A list of names (``flags: [A, B]``); a lone string is a mistake worth naming."""
        value = raw.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"then.{key}: must be a list of {what}, like '{key}: [...]'")
        return tuple(value)

    def enum(self, enum: Any, value: Any, name: str) -> Any:
        if value is None:
            return None
        try:
            return enum[value]
        except (KeyError, TypeError):
            raise self.fail(f"then.{name}: must be one of {', '.join(m.name for m in enum)}") from None

    def flag_value(self, raw: Mapping[str, Any], name: str) -> bool | None:
        value = raw.get(name)
        if value is not None and not isinstance(value, bool):
            raise self.fail(f"then.{name}: must be true or false")
        return value
