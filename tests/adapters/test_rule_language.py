"""The rule language beyond the broken-rules table: named patterns and subjects, named sets,
the derived venue and site fields, and the one style of rules/decision/*.yaml (docs/rules.md)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.adapters.rules_files import load_ruleset, read_yaml
from service.config import DEFAULT_RULES_DIR
from service.domain.catalog import TREATMENT_TAGS, Catalog
from service.domain.errors import Problems
from service.domain.facts import build_facts
from service.domain.model import Concern, Intake, TreatmentRequest, Venue
from service.domain.rulebook import CONCLUSIONS, Rulebook
from tests.support.paths import ROOT

DECISION = DEFAULT_RULES_DIR / "decision"
RULES_DOC = ROOT / "docs" / "rules.md"
FILE = "rules/decision/extra.yaml"
SETS_FILE = "rules/decision/sets.yaml"
POSITIONAL = (
    "then.subject: {n} is a position in 'when'; name the pattern instead: 'as: NAME' on the pattern and "
    "'subject: NAME', or the fact type ('subject: treatment') when 'when' has one pattern of it"
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_ruleset(DEFAULT_RULES_DIR).catalog


def _rule(when: list[Any], then: dict[str, Any], rule_id: str = "extra.rule") -> dict[str, Any]:
    return {"id": rule_id, "summary": "x.", "source": "y", "when": when, "then": then}


def _load(catalog: Catalog, rules: list[Any], sets: list[Any] | None = None) -> tuple[Rulebook, list[str]]:
    files: dict[str, Any] = {FILE: {"rules": rules}}
    if sets is not None:
        files[SETS_FILE] = {"sets": sets}
    problems = Problems()
    rulebook = Rulebook.from_data(files, catalog, problems)
    return rulebook, [str(p) for p in problems.errors]


def _errors(catalog: Catalog, rules: list[Any], sets: list[Any] | None = None) -> list[str]:
    return _load(catalog, rules, sets)[1]


# ---- named patterns and subjects -------------------------------------------------------


def test_a_subject_names_a_pattern_or_the_one_pattern_of_a_fact_type(catalog: Catalog) -> None:
    rulebook, errors = _load(
        catalog,
        [
            _rule(
                [{"treatment": {"med_spa": "NEVER"}}, {"treatment": {"med_spa": "ALWAYS"}, "as": "spa_treatment"}],
                {"flags": ["SPLIT_BOOKING"], "subject": "spa_treatment"},
                "extra.by_name",
            ),
            _rule(
                [{"concern": {"code": "acne"}}, {"treatment": {"code": "facial"}}],
                {"med_spa_appropriate": False, "subject": "treatment"},
                "extra.by_type",
            ),
            _rule(
                [{"concern": {"code": "acne"}, "as": "spots"}, {"treatment": {"code": "facial"}}],
                {"route": "DERMATOLOGIST", "subject": ["treatment", "spots"]},
                "extra.several",
            ),
            _rule([{"concern": {"code": "acne"}}, {"treatment": {"code": "facial"}}], {"route": "DERMATOLOGIST"}),
        ],
    )
    assert errors == []
    assert rulebook["extra.by_name"].then.subject == (1,)
    assert rulebook["extra.by_name"].when[1].name == "spa_treatment"
    assert rulebook["extra.by_type"].then.subject == (1,)
    assert rulebook["extra.several"].then.subject == (1, 0)
    assert rulebook["extra.rule"].then.subject == (0, 1), "the default: every concern and treatment pattern"


@pytest.mark.parametrize(
    ("when", "subject", "message"),
    [
        ([{"treatment": {"med_spa": "NEVER"}}, {"treatment": {"med_spa": "ALWAYS"}}], 1, POSITIONAL.format(n=1)),
        ([{"concern": {"code": "acne"}}, {"treatment": {"code": "facial"}}], [0, 1], POSITIONAL.format(n=0)),
        (
            [{"treatment": {"med_spa": "NEVER"}}, {"treatment": {"med_spa": "ALWAYS"}}],
            "treatment",
            "then.subject: 'when' has 2 treatment patterns; name the one meant ('as: NAME') and write that name",
        ),
        (
            [{"concern": {"code": "acne"}}],
            "treatment",
            "then.subject: 'when' has no treatment patterns; name the one meant ('as: NAME') and write that name",
        ),
        (
            [{"treatment": {"code": "facial"}}, {"patient": {"pregnant": True}, "as": "mother"}],
            "mother",
            "then.subject: 'mother' is a patient pattern; a subject is a concern or treatment",
        ),
        (
            [{"treatment": {"code": "facial"}}],
            "the_facial",
            "then.subject: no pattern is named 'the_facial' (no pattern has an 'as:' name)",
        ),
        ([{"treatment": {"code": "facial"}}], [], "then.subject: name at least one concern or treatment pattern"),
    ],
)
def test_a_subject_that_names_no_single_concern_or_treatment_is_refused(
    catalog: Catalog, when: list[Any], subject: Any, message: str
) -> None:
    errors = _errors(catalog, [_rule(when, {"med_spa_appropriate": False, "subject": subject})])
    assert errors == [f"{FILE}: rule extra.rule: {message}"]


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (
            {"treatment": {"code": "facial"}, "as": "treatment"},
            "when: 'as: treatment' is a fact type; name the pattern for what it is, like 'spa_treatment'",
        ),
        (
            {"treatment": {"code": "facial"}, "as": "Spa Treatment"},
            "when: 'as: Spa Treatment' must be a name of lower-case words joined by '_', like 'spa_treatment'",
        ),
        (
            {"treatment": {"code": "facial"}, "concern": {"code": "acne"}},
            "each 'when' item is one fact type with its condition, like '- concern: {code: acne}', "
            "and may have a name ('as: NAME')",
        ),
        (
            {"as": "alone"},
            "each 'when' item is one fact type with its condition, like '- concern: {code: acne}', "
            "and may have a name ('as: NAME')",
        ),
    ],
)
def test_a_pattern_name_is_a_plain_name(catalog: Catalog, pattern: dict[str, Any], message: str) -> None:
    assert _errors(catalog, [_rule([pattern], {"route": "DERMATOLOGIST"})]) == [f"{FILE}: rule extra.rule: {message}"]


# ---- named sets --------------------------------------------------------------------------

SET = {"name": "lasers", "summary": "Lasers.", "kind": "treatment", "codes": ["laser_hair_removal", "ipl"]}


def test_a_set_means_exactly_its_codes_written_out(catalog: Catalog) -> None:
    rulebook, errors = _load(
        catalog,
        [
            _rule([{"treatment": {"code": {"set": "lasers"}}}], {"route": "DERMATOLOGIST"}, "extra.set"),
            _rule([{"treatment": {"code": ["laser_hair_removal", "ipl"]}}], {"route": "DERMATOLOGIST"}, "extra.list"),
            _rule([{"treatment": {"code": {"in": {"set": "lasers"}}}}], {"route": "DERMATOLOGIST"}, "extra.in_set"),
            _rule(
                [{"treatment": {"code": [{"set": "lasers"}, "facial"]}}], {"route": "DERMATOLOGIST"}, "extra.set_item"
            ),
            _rule(
                [{"treatment": {"code": ["laser_hair_removal", "ipl", "facial"]}}],
                {"route": "DERMATOLOGIST"},
                "extra.items",
            ),
            _rule(
                [{"treatment": {"code": {"not_in": {"set": "lasers"}}}}], {"route": "DERMATOLOGIST"}, "extra.not_set"
            ),
            _rule(
                [{"treatment": {"code": {"not_in": ["laser_hair_removal", "ipl"]}}}],
                {"route": "DERMATOLOGIST"},
                "extra.not_list",
            ),
        ],
        [
            SET,
            {"name": "acne_signs", "summary": "Signs.", "kind": "finding", "codes": ["scarring", "nodules_or_cysts"]},
        ],
    )
    assert errors == []
    assert rulebook.sets["lasers"].codes == ("laser_hair_removal", "ipl")
    assert rulebook["extra.set"].when == rulebook["extra.list"].when == rulebook["extra.in_set"].when
    assert rulebook["extra.set_item"].when == rulebook["extra.items"].when
    assert rulebook["extra.not_set"].when == rulebook["extra.not_list"].when


def test_a_set_in_a_set_test_means_its_codes_written_out(catalog: Catalog) -> None:
    sets = [{"name": "acne_signs", "summary": "Signs.", "kind": "finding", "codes": ["scarring", "nodules_or_cysts"]}]
    rules = []
    for op in ("any", "all", "none"):
        rules.append(
            _rule([{"concern": {"findings": {op: {"set": "acne_signs"}}}}], {"route": "DERMATOLOGIST"}, f"s.{op}")
        )
        rules.append(
            _rule(
                [{"concern": {"findings": {op: ["scarring", "nodules_or_cysts"]}}}],
                {"route": "DERMATOLOGIST"},
                f"l.{op}",
            )
        )
    rulebook, errors = _load(catalog, rules, sets)
    assert errors == []
    for op in ("any", "all", "none"):
        assert rulebook[f"s.{op}"].when == rulebook[f"l.{op}"].when


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (
            {"treatment": {"code": {"set": "peels"}}},
            "treatment.code: unknown set 'peels' (no entry of 'sets:' has that name)",
        ),
        (
            {"concern": {"code": {"set": "lasers"}}},
            "concern.code: set 'lasers' holds treatment codes, not concern codes",
        ),
        ({"venue": {"kind": {"set": "lasers"}}}, "venue.kind: a set holds vocabulary codes, and kind takes none"),
        (
            {"treatment": {"tags": {"any": {"set": "lasers"}}}},
            "treatment.tags: a set holds vocabulary codes, and tags takes none",
        ),
        ({"treatment": {"code": [{"sets": "lasers"}]}}, "treatment.code: a set is written {set: NAME}"),
        (
            {"treatment": {"tags": "lazer"}},
            "treatment.tags: unknown tag 'lazer' (the tags are listed in docs/rules.md)",
        ),
    ],
)
def test_a_set_or_tag_that_does_not_fit_is_refused(catalog: Catalog, condition: dict[str, Any], message: str) -> None:
    errors = _errors(catalog, [_rule([condition], {"route": "DERMATOLOGIST"})], [SET])
    assert errors == [f"{FILE}: rule extra.rule: {message}"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {**SET, "kind": "flag"},
            "set lasers: 'kind' must be one of concern, finding, body_site, condition, medication, treatment",
        ),
        ({**SET, "codes": []}, "set lasers: 'codes' must be a non-empty list of treatment codes"),
        ({**SET, "summary": " "}, "set lasers: needs a 'summary' (one plain sentence)"),
        ({**SET, "name": "Lasers"}, "set 'Lasers': a set name is lower-case words joined by '_', like 'ng12_features'"),
        ({**SET, "colour": "red"}, "set lasers: unknown key(s) ['colour'] (known: name, summary, kind, codes)"),
        ({k: v for k, v in SET.items() if k != "name"}, "sets[0] needs a 'name'"),
        ({**SET, "codes": ["ipl", "ipl"]}, "set lasers: 'ipl' is listed twice"),
    ],
)
def test_a_broken_set_is_refused(catalog: Catalog, entry: dict[str, Any], message: str) -> None:
    assert _errors(catalog, [_rule([{"treatment": {"code": "ipl"}}], {"route": "DERMATOLOGIST"})], [entry]) == [
        f"{SETS_FILE}: {message}"
    ]


def test_a_set_name_is_defined_once(catalog: Catalog) -> None:
    errors = _errors(catalog, [_rule([{"treatment": {"code": "ipl"}}], {"route": "DERMATOLOGIST"})], [SET, SET])
    assert errors == [f"{SETS_FILE}: set lasers: duplicate set name (first defined in {SETS_FILE})"]


def test_an_unknown_code_in_a_set_is_one_problem_not_one_per_rule(catalog: Catalog) -> None:
    broken = {**SET, "codes": ["laser_hair_removal", "lazer"]}
    rules = [
        _rule([{"treatment": {"code": {"set": "lasers"}}}], {"route": "DERMATOLOGIST"}, f"extra.r{i}") for i in range(3)
    ]
    assert _errors(catalog, rules, [broken]) == [f"{SETS_FILE}: set lasers: unknown treatment code 'lazer'"]


def test_a_decision_file_holds_rules_or_sets(catalog: Catalog) -> None:
    problems = Problems()
    other = "rules/decision/other.yaml"
    files = {FILE: {"rules": [], "colour": "red"}, other: {"rule": []}, SETS_FILE: {"sets": [SET]}}
    Rulebook.from_data(files, catalog, problems)
    assert [str(p) for p in problems.errors] == [
        f"{FILE}: unknown key(s) ['colour'] (known: rules, sets)",
        f"{other}: unknown key(s) ['rule'] (known: rules, sets)",
        f"{other}: needs a 'rules:' list (or 'sets:')",
    ]


def test_every_shipped_set_is_used_by_a_rule() -> None:
    used: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if set(node) == {"set"}:
                used.add(node["set"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in DECISION.glob("*.yaml"):
        for rule in (yaml.safe_load(path.read_text()) or {}).get("rules", []):
            walk(rule["when"])
    defined = set(load_ruleset(DEFAULT_RULES_DIR).rulebook.sets)
    assert defined, "no sets are shipped"
    assert defined - used == set(), "a set no rule uses"


def test_docs_give_every_treatment_tag_a_meaning() -> None:
    text = RULES_DOC.read_text()
    section = text.split("### Treatment tags", 1)[1].split("\n### ", 1)[0]
    rows = dict(re.findall(r"^\| `([a-z_]+)` \| (.+?) \|$", section, flags=re.M))
    assert set(rows) == set(TREATMENT_TAGS)
    assert all(meaning.strip() for meaning in rows.values())


# ---- the derived venue field ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["MED_SPA", "DERMATOLOGY_PRACTICE", None])
@pytest.mark.parametrize("supervision", [True, False, None])
@pytest.mark.parametrize("given", [True, False])
def test_venue_unsupervised_is_the_spelled_out_combinations(
    catalog: Catalog, kind: str | None, supervision: bool | None, given: bool
) -> None:
    venue = Venue(kind, supervision) if given else None
    (fact,) = [f for f in build_facts(Intake(channel="BOOKING", venue=venue), catalog) if f["type"] == "venue"]
    # "no medical supervision", as the rules spelled it: kind [MED_SPA, unknown], supervision [false, unknown];
    # and its opposite, as they spelled that: supervision true, or a dermatology practice.
    lacks = fact["kind"] in ("MED_SPA", "unknown") and fact["supervision"] in (False, "unknown")
    has = fact["supervision"] is True or fact["kind"] == "DERMATOLOGY_PRACTICE"
    assert fact["unsupervised"] is lacks
    assert lacks is not has


# ---- the derived site fields ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("concern_site", "treatment", "treatment_site", "at_site"),
    [
        ("legs", "laser_hair_removal", "legs", True),  # the same site
        ("legs", "laser_hair_removal", "axillae", False),  # elsewhere
        ("", "laser_hair_removal", "axillae", True),  # the concern's site not given: the safer answer
        ("legs", "laser_hair_removal", "", True),  # the treatment's site not given: the safer answer
        ("legs", "facial", "", False),  # ... unless it is tagged facial_procedure: it is on the face
        ("face", "facial", "", True),
        ("lips", "facial", "", True),  # the lips are on the face
        ("whole_body", "waxing", "legs", True),
        ("legs", "waxing", "whole_body", True),
        ("perioral", "dermal_filler", "lips", True),  # sites that meet
        ("periocular", "dermal_filler", "lips", False),
        ("genitals", "waxing", "bikini", True),
        ("nails", "laser_hair_removal", "hands", True),
        ("neck", "deoxycholic_acid", "submental", True),
        ("neck", "botulinum_toxin", "face", False),
    ],
)
def test_a_concern_is_at_a_treatments_site_as_docs_rules_md_says(
    catalog: Catalog, concern_site: str, treatment: str, treatment_site: str, at_site: bool
) -> None:
    intake = Intake(
        channel="BOOKING",
        concerns=(Concern("psoriasis", body_site=concern_site), Concern("", body_site=concern_site, text="a patch")),
        treatments=(TreatmentRequest(treatment, body_site=treatment_site),),
    )
    (fact,) = [f for f in build_facts(intake, catalog) if f["type"] == "treatment"]
    assert ("concerns_at_site__psoriasis" in fact) is at_site
    assert fact["uncoded_at_site"] is at_site


def test_a_treatment_lists_every_concern_at_its_site_and_only_those(catalog: Catalog) -> None:
    intake = Intake(
        channel="BOOKING",
        concerns=(Concern("eczema", body_site="face"), Concern("warts", body_site="feet"), Concern("acne")),
        treatments=(TreatmentRequest("chemical_peel_superficial", body_site="face"),),
    )
    (fact,) = [f for f in build_facts(intake, catalog) if f["type"] == "treatment"]
    assert sorted(k for k in fact if k.startswith("concerns_at_site__")) == [
        "concerns_at_site__acne",
        "concerns_at_site__eczema",
    ]
    assert fact["uncoded_at_site"] is False


# ---- one style -------------------------------------------------------------------------------

WIDTH = 120
SECTION = re.compile(r"  # ---- \S.*\S -+")
SECTION_WIDTH = 92
RULE_KEYS = ["id", "summary", "source", "when", "then"]
THEN_KEYS = list(CONCLUSIONS)
SET_KEYS = ["name", "summary", "kind", "codes"]


def _pairs(node: yaml.MappingNode) -> list[tuple[str, yaml.Node]]:
    return [(k.value, v) for k, v in node.value]


def _flow(node: yaml.Node) -> bool:
    """Written inline: a plain scalar, or a flow list or mapping."""
    if isinstance(node, yaml.ScalarNode):
        return node.style is None
    return bool(node.flow_style)


def _alternatives(node: yaml.Node) -> bool:
    return isinstance(node, yaml.MappingNode) and any(
        k in ("any", "all") and isinstance(v, yaml.SequenceNode) for k, v in _pairs(node)
    )


def _quoted(node: yaml.Node) -> list[str]:
    """The quoted scalars under a node (codes, values and names are never quoted)."""
    if isinstance(node, yaml.ScalarNode):
        return [node.value] if node.style else []
    if isinstance(node, yaml.MappingNode):
        return [q for k, v in node.value for q in (*_quoted(k), *_quoted(v))]
    return [q for v in node.value for q in _quoted(v)]


def _one_line(node: yaml.Node) -> str:
    """How a condition reads written inline."""
    if isinstance(node, yaml.MappingNode):
        return "{" + ", ".join(f"{k}: {_one_line(v)}" for k, v in _pairs(node)) + "}"
    if isinstance(node, yaml.SequenceNode):
        return "[" + ", ".join(_one_line(v) for v in node.value) + "]"
    return str(node.value)


def _rule_style(rule: yaml.MappingNode, where: str) -> list[str]:
    out: list[str] = []
    pairs = dict(_pairs(rule))
    if rule.flow_style or list(pairs) != [k for k in RULE_KEYS if k in pairs]:
        out.append(f"{where}: keys in the order {', '.join(RULE_KEYS)}, one a line")
    for key in ("summary", "source"):
        if key in pairs and pairs[key].style != '"':
            out.append(f"{where}: {key} in double quotes")
    for key in ("when", "then"):
        if key in pairs and _quoted(pairs[key]):
            out.append(f"{where}: codes and values are never quoted ({', '.join(_quoted(pairs[key]))})")
    when = pairs.get("when")
    if not isinstance(when, yaml.SequenceNode) or when.flow_style:
        return [*out, f"{where}: 'when' is a list, one pattern a line"]
    for item in when.value:
        keys = [k for k, _ in _pairs(item)]
        if item.flow_style or keys[1:] not in ([], ["as"]):
            out.append(f"{where}: a pattern is '- fact: ...', its 'as:' on the next line")
            continue
        cond = item.value[0][1]
        line = f"      - {keys[0]}: {_one_line(cond)}"
        if _alternatives(cond) or len(line) > WIDTH:
            if not isinstance(cond, yaml.MappingNode) or cond.flow_style:
                out.append(f"{where}: a condition with alternatives or over {WIDTH} columns has one field a line")
                continue
            for key, value in _pairs(cond):
                alternatives = key in ("any", "all") and isinstance(value, yaml.SequenceNode)
                if alternatives and (value.flow_style or not all(_flow(v) for v in value.value)):
                    out.append(f"{where}: each alternative of '{key}:' one a line, as '- {{...}}'")
                elif not alternatives and not _flow(value):
                    out.append(f"{where}: {key} written inline")
        elif not _flow(cond):
            out.append(f"{where}: a condition without alternatives is one line, '- {keys[0]}: {{...}}'")
    then = pairs.get("then")
    if not isinstance(then, yaml.MappingNode) or then.flow_style:
        return [*out, f"{where}: 'then' has one conclusion a line"]
    keys = [k for k, _ in _pairs(then)]
    if keys != [k for k in THEN_KEYS if k in keys] or not all(_flow(v) for _, v in _pairs(then)):
        out.append(f"{where}: 'then' in the order {', '.join(THEN_KEYS)}, each value inline")
    return out


def _set_style(entry: yaml.MappingNode, where: str) -> list[str]:
    pairs = dict(_pairs(entry))
    out = []
    if entry.flow_style or list(pairs) != SET_KEYS:
        out.append(f"{where}: keys {', '.join(SET_KEYS)}, one a line")
    if "summary" in pairs and pairs["summary"].style != '"':
        out.append(f"{where}: summary in double quotes")
    if "codes" in pairs and (not _flow(pairs["codes"]) or _quoted(pairs["codes"])):
        out.append(f"{where}: codes written inline, never quoted")
    return out


def _file_style(path: Path) -> list[str]:
    text = path.read_text()
    lines = text.splitlines()
    out = []
    if not lines[0].startswith("# "):
        out.append(f"{path.name}: opens with a comment saying what it covers")
    for number, line in enumerate(lines, 1):
        if line.startswith(" ") and line.lstrip().startswith("#"):
            if not SECTION.fullmatch(line) or len(line) != SECTION_WIDTH:
                out.append(f"{path.name}:{number}: a section line is '  # ---- title ----' to {SECTION_WIDTH} columns")
        if re.match(r"  - (id|name): ", line):
            before = number - 2
            while lines[before].startswith("  #"):
                before -= 1
            if lines[before] not in ("", "rules:", "sets:"):
                out.append(f"{path.name}:{number}: one blank line before each entry")
    root = yaml.compose(text)
    for key, items in _pairs(root):
        for entry in items.value:
            name = dict(_pairs(entry)).get("id" if key == "rules" else "name")
            where = f"{path.name}:{entry.start_mark.line + 1} {getattr(name, 'value', '?')}"
            out.extend(_rule_style(entry, where) if key == "rules" else _set_style(entry, where))
    return out


@pytest.mark.parametrize("path", sorted(DECISION.glob("*.yaml")), ids=lambda p: p.name)
def test_decision_files_are_written_in_one_style(path: Path) -> None:
    assert _file_style(path) == []


def test_the_style_check_sees_a_rule_out_of_style(tmp_path: Path) -> None:
    text = (DECISION / "treatments.yaml").read_text()
    flow_then = text.replace(
        "    then:\n      route: MED_SPA\n      med_spa_appropriate: true\n",
        "    then: {med_spa_appropriate: true, route: MED_SPA}\n",
        1,
    )
    assert flow_then != text
    assert read_yaml(flow_then)["rules"][0]["then"] == {"med_spa_appropriate": True, "route": "MED_SPA"}
    copy = tmp_path / "treatments.yaml"
    copy.write_text(flow_then)
    assert _file_style(copy) == ["treatments.yaml:5 treatment.esthetician_scope: 'then' has one conclusion a line"]
