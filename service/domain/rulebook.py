"""The rule language: rules as data, parsed and checked once at start-up.

A rule is ``id``, ``summary``, ``source``, ``when`` (a list of fact patterns, all of which
must match, each a different fact) and ``then`` (the conclusions it adds). Conditions are
engine-neutral trees; ``service/engine.py`` compiles them for durable-rules. See
``docs/rules.md`` for the syntax.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .catalog import TREATMENT_TAGS, Catalog
from .errors import Problems, RulesError
from .facts import FACT_FIELDS, Domain, set_key
from .model import Category, Route, Urgency

PLACEHOLDER = re.compile(r"\{([a-z_0-9]+)\}")
RULE_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
COMPARISONS = ("eq", "ne", "lt", "lte", "gt", "gte")
SUBJECT_TYPES = ("concern", "treatment")


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


@dataclass(frozen=True, slots=True)
class Effect:
    route: Route | None = None
    urgency: Urgency | None = None
    category: Category | None = None
    flags: tuple[str, ...] = ()
    med_spa_appropriate: bool | None = None
    block_all_treatments: bool = False
    ask: tuple[str, ...] = ()
    subject: tuple[int, ...] = ()  # indexes into ``when`` of the facts the effect is about
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
    """The active rules by id (file order), and the ids of retired rules."""

    rules: Mapping[str, Rule]
    retired: frozenset[str] = field(default_factory=frozenset)

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
        for name, data in files.items():
            items = data.get("rules") if isinstance(data, dict) else None
            if not isinstance(items, list):
                collect.add(name, "needs a 'rules:' list", node=data)
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
                with collect.entry(raw):
                    rules[rule_id] = _Parser(name, rule_id, catalog).rule(raw)
        if not rules and not collect.errors:
            collect.add("rules/decision", "no rules were loaded")
        if problems is None:
            collect.check()
        return cls(rules, frozenset(retired))


class _Parser:
    def __init__(self, file: str, rule_id: str, catalog: Catalog):
        self.file, self.rule_id, self.catalog = file, rule_id, catalog

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
        then = self.effect(raw.get("then"), patterns)
        fields = {f for p in patterns for f in FACT_FIELDS[p.fact]}
        for name in PLACEHOLDER.findall(raw["summary"]):
            if name not in fields:
                raise self.fail(f"summary placeholder {{{name}}} is not a field of the matched facts")
        return Rule(self.rule_id, raw["summary"].strip(), raw["source"].strip(), patterns, then, self.file)

    def pattern(self, raw: Any) -> Pattern:
        if not isinstance(raw, dict) or len(raw) != 1:
            raise self.fail("each 'when' item is one fact type with its condition, like '- concern: {code: acne}'")
        ((fact, cond),) = raw.items()
        if fact not in FACT_FIELDS:
            raise self.fail(f"unknown fact type {fact!r} (known: {', '.join(FACT_FIELDS)})")
        if cond is None:
            cond = {}
        return Pattern(fact, self.condition(fact, cond))

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
            return self.set_test(key, domain, value)
        if isinstance(value, list):
            if not value:
                raise self.fail(f"{fact}.{key}: an empty list matches nothing")
            return AnyOf(tuple(Test("eq", key, self.value(fact, key, domain, v)) for v in value))
        if isinstance(value, dict):
            tests: list[Condition] = []
            for op, operand in value.items():
                if op == "in":
                    tests.append(self.field_test(fact, key, domain, list(operand or [])))
                elif op == "not_in":
                    tests.extend(Test("ne", key, self.value(fact, key, domain, v)) for v in operand or [])
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

    def set_test(self, key: str, domain: Domain, value: Any) -> Condition:
        """``findings: x`` (has x), ``{any: [..]}``, ``{all: [..]}``, ``{none: [..]}``."""
        if isinstance(value, str):
            value = {"all": [value]}
        if not isinstance(value, dict) or not value or set(value) - {"any", "all", "none"}:
            raise self.fail(f"{key}: use a code, or 'any:', 'all:' or 'none:' with a list of codes")
        tests: list[Condition] = []
        for op, codes in value.items():
            if not isinstance(codes, list) or not codes:
                raise self.fail(f"{key}.{op}: needs a non-empty list of codes")
            for code in codes:
                self.check_code(domain.kind, code, key)
            keys = [set_key(key, c) for c in codes]
            if op == "any":
                tests.append(AnyOf(tuple(Test("exists", k) for k in keys)))
            else:
                tests.extend(Test("exists" if op == "all" else "absent", k) for k in keys)
        return tests[0] if len(tests) == 1 else AllOf(tuple(tests))

    def check_code(self, kind: str, code: Any, where: str) -> None:
        known: Iterable[str] = TREATMENT_TAGS if kind == "tag" else self.catalog.codes(kind)
        if code not in known:
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
        allowed = {
            "route",
            "urgency",
            "category",
            "flags",
            "med_spa_appropriate",
            "block_all_treatments",
            "ask",
            "subject",
            "only_if_appropriate",
            "unless_bookable",
        }
        unknown = set(raw) - allowed
        if unknown:
            raise self.fail(f"unknown conclusion(s) {sorted(unknown)} (known: {', '.join(sorted(allowed))})")
        flags = tuple(raw.get("flags") or ())
        for f in flags:
            self.check_code("flag", f, "then.flags")
        ask = tuple(raw.get("ask") or ())
        for q in ask:
            if q not in self.catalog.questions:
                raise self.fail(f"then.ask: unknown question id {q!r}")
        subject = raw.get("subject")
        if subject is None:
            subject_idx = tuple(i for i, p in enumerate(patterns) if p.fact in SUBJECT_TYPES)
        else:
            subject_idx = tuple(subject if isinstance(subject, list) else [subject])
            for i in subject_idx:
                if not isinstance(i, int) or not 0 <= i < len(patterns) or patterns[i].fact not in SUBJECT_TYPES:
                    raise self.fail("then.subject: must index a concern or treatment pattern of 'when'")
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
