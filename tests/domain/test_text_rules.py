"""rules/text.yaml is read strictly: every problem in one pass, each file:line, never a traceback."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.adapters.rules_files import load_ruleset, read_yaml
from service.adapters.wordlist import english_words
from service.config import DEFAULT_RULES_DIR
from service.domain.errors import Problems, RulesError
from service.domain.model import Concern, Intake
from service.domain.text import TextReader, TextRules, merge_text
from service.domain.text.rules import KEYS, OPTIONAL_KEYS, REQUIRED_KEYS, WINDOW_NAMES, Windows
from service.domain.triage import Triage
from tests.support.broken_rules import broken_copy, expected_problems
from tests.support.paths import DATA

TABLE = yaml.safe_load((DATA / "text_rules_errors.yaml").read_text())["cases"]
SHIPPED = (DEFAULT_RULES_DIR / "text.yaml").read_text()
_SHIPPED_DATA = read_yaml(SHIPPED)
FILE = "rules/text.yaml"


def _problems(rules: Path) -> list[str]:
    with pytest.raises(RulesError) as info:
        load_ruleset(rules)
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize("case", TABLE, ids=[c["name"] for c in TABLE])
def test_broken_text_rules_name_file_line_and_entry(case: dict[str, Any], tmp_path: Path) -> None:
    rules = broken_copy(tmp_path, case["change"])
    assert _problems(rules) == expected_problems(case, rules)


def test_several_problems_in_text_rules_are_all_reported_each_with_its_line(tmp_path: Path) -> None:
    rules = broken_copy(
        tmp_path,
        {
            "replace_all": [
                ["text.yaml", 'before: ["no", not,', "before: [no, not,"],
                ["text.yaml", "  pair_gap: 2 ", "  pair_gap: -1 "],
                ["text.yaml", "{finding: red_streak, within: 3,", "{finding: red_streak, whithin: 3,"],
                [
                    "text.yaml",
                    "{finding: lesion_diameter_7mm_plus, min_mm: 7}",
                    "{finding: lesion_diameter_7mm_plus, min_mm: 7mm}",
                ],
                ["text.yaml", "idioms: [", "idiom: ["],
                ["text.yaml", "complication_concern: procedure_complication", "complication_concern: complication"],
            ]
        },
    )
    at = _line_of  # the line of the shipped file each change is on
    negation = 'before: ["no", not,'
    streak = at("{finding: red_streak, within: 3,")
    assert _problems(rules) == [
        f"rules/text.yaml:{at('  pair_gap: 2 ')}: windows.pair_gap: must be a whole number of words, 0 or more",
        f"rules/text.yaml:{at(negation)}: negation.before[0]: must be a phrase (a string with at least one word)",
        f"rules/text.yaml:{at('idioms: [')}: unknown key 'idiom' (did you mean 'idioms'?)",
        f"rules/text.yaml:{streak}: combinations[1]: unknown key(s) ['whithin'] "
        "(known: all, concern, finding, treatment, within); did you mean 'within'?",
        f"rules/text.yaml:{streak}: combinations[1]: missing required key(s) ['within']",
        f"rules/text.yaml:{at('{finding: lesion_diameter_7mm_plus, min_mm: 7}')}: sizes[0].min_mm: must be a number",
        f"rules/text.yaml:{at('complication_concern: procedure_complication')}: complication_concern: "
        "unknown concern code 'complication'",
    ]


def _line_of(text: str) -> int:
    """The line of the shipped rules/text.yaml on which ``text`` first stands."""
    return SHIPPED[: SHIPPED.index(text)].count("\n") + 1


def test_an_empty_text_rules_file_is_a_rules_error(tmp_path: Path) -> None:
    _problems(broken_copy(tmp_path, {"write": {"text.yaml": ""}}))


def test_without_a_problems_list_every_problem_raises_together(triage: Triage) -> None:
    data = read_yaml(SHIPPED.replace("  pair_gap: 2 ", "  pair_gap: x ").replace("\nidioms: [", "\nidiom: ["))
    with pytest.raises(RulesError) as info:
        TextRules.from_data(FILE, data, triage.ruleset.catalog)
    assert [p.message for p in info.value.problems] == [
        "windows.pair_gap: must be a whole number of words, 0 or more",
        "unknown key 'idiom' (did you mean 'idioms'?)",
    ]


def test_the_shipped_keys_are_the_known_keys_and_the_windows_are_as_documented(triage: Triage) -> None:
    data = read_yaml(SHIPPED)
    assert set(data) == set(KEYS) and set(REQUIRED_KEYS).isdisjoint(OPTIONAL_KEYS)
    rules = triage.ruleset.text_rules
    assert rules is not None
    assert rules.windows == Windows(
        negation_reach=3,
        after_cue_reach=6,
        treatment_done_reach=3,
        pair_gap=2,
        combination_slack=3,
        site_distance=4,
        age_words_before=3,
    )
    assert [f.name for f in dataclasses.fields(Windows)] == list(WINDOW_NAMES)
    docs = (Path(__file__).resolve().parents[2] / "docs" / "text-reading.md").read_text()
    for name in (*KEYS, *WINDOW_NAMES):
        assert f"`{name}`" in docs, f"docs/text-reading.md does not describe {name}"


@pytest.mark.parametrize("key", REQUIRED_KEYS)
def test_a_required_key_left_out_is_a_problem(key: str, triage: Triage) -> None:
    data = read_yaml(SHIPPED)
    del data[key]
    problems = Problems()
    assert TextRules.from_data(FILE, data, triage.ruleset.catalog, problems) is None
    assert [str(p) for p in problems.errors] == [f"rules/text.yaml:{data.line}: missing required key(s) [{key!r}]"]


@pytest.mark.parametrize("key", OPTIONAL_KEYS)
def test_an_optional_key_may_be_left_out(key: str, triage: Triage) -> None:
    data = read_yaml(SHIPPED)
    del data[key]
    problems = Problems()
    assert TextRules.from_data(FILE, data, triage.ruleset.catalog, problems) is not None
    assert problems.errors == []


# For each window, a text whose reading changes when the window is 0: the reader uses them all.
_WINDOW_TEXTS = {
    "negation_reach": "no really big fever",
    "after_cue_reach": "the rash on my arm has gone away",
    "treatment_done_reach": "had a lot of botox",
    "pair_gap": "my forehead has deep lines",
    "combination_slack": "red patch on my left leg that is now slowly moving up",
    "site_distance": "botox on my forehead please",
    "age_words_before": "i am 34",
}


@pytest.mark.parametrize("name", WINDOW_NAMES)
def test_every_window_decides_a_reading(name: str, triage: Triage) -> None:
    catalog, rules = triage.ruleset.catalog, triage.ruleset.text_rules
    assert rules is not None and triage.reader is not None
    narrow = dataclasses.replace(rules, windows=dataclasses.replace(rules.windows, **{name: 0}))
    reader = TextReader(catalog, narrow, english_words())
    text = _WINDOW_TEXTS[name]
    intake = Intake(channel="TELEHEALTH_INTAKE", free_text=text)
    assert merge_text(intake, triage.reader, catalog) != merge_text(intake, reader, catalog), text


# Any YAML value in any place of any section: a clean load or RulesError problems, never a traceback.
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-3, 12)
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["no", "red", "mole", "after_filler", "dermal_filler", "acne", "(\\d+)", "(", "(?P<a>1)", ""])
)
_KEY_NAMES = st.sampled_from([*KEYS, *WINDOW_NAMES, "before", "after", "finding", "concern", "within", "all",
                              "min_mm", "add", "drop", "pregnant", "MED_SPA", "supervised", "mole"])  # fmt: skip
_VALUES = st.recursive(
    _SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(_KEY_NAMES | st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


def _replace_somewhere(data: Any, path: list[int], value: Any) -> Any:
    """``value`` in place of the entry ``path`` leads to (each step picks a key or an index), or of ``data``."""
    if not path or not isinstance(data, (dict, list)) or not data:
        return value
    if isinstance(data, dict):
        key = list(data)[path[0] % len(data)]
        data[key] = _replace_somewhere(data[key], path[1:], value)
    else:
        index = path[0] % len(data)
        data[index] = _replace_somewhere(data[index], path[1:], value)
    return data


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    key=st.sampled_from([*KEYS, "extra"]),
    path=st.lists(st.integers(0, 50), max_size=3),
    value=_VALUES,
)
def test_any_value_anywhere_loads_or_gives_rules_problems(
    triage: Triage, key: str, path: list[int], value: Any
) -> None:
    data = copy.deepcopy(_SHIPPED_DATA)  # with the lines of its mappings and lists
    data[key] = _replace_somewhere(data.get(key), path, value)
    problems = Problems()
    rules = TextRules.from_data(FILE, data, triage.ruleset.catalog, problems)
    assert (rules is None) == bool(problems.errors)
    assert all(p.file == FILE and p.line is not None for p in problems.errors)
    if rules is not None:  # what loads, reads
        reader = TextReader(triage.ruleset.catalog, rules, ("fever", "rash"))
        for text in ("no fever, but I'm 34 and my 8mm mole on my arm has grown", "had botox 2 days ago, now blisters"):
            merge_text(Intake(channel="TELEHEALTH_INTAKE", free_text=text), reader, triage.ruleset.catalog)


# Values that load but are odd: huge windows, age patterns with an optional group or one that
# takes more than digits. What loads is read without failing.
_ODD_AGES = st.lists(
    st.sampled_from(["(\\d*)", "()", "(x)?", "(\\w+)", "(.)", "(\\d+)?y", "(²)", "(\\d{1,3})"]), max_size=3
)


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    windows=st.fixed_dictionaries({n: st.integers(0, 8) | st.integers(0, 10**30) for n in WINDOW_NAMES}),
    ages=_ODD_AGES,
    within=st.integers(0, 10**20),
    min_mm=st.floats(0, 1e300),
    text=st.text(max_size=80) | st.sampled_from(["i am 34 with a 8mm mole", "age x 40 ² ²", "had botox 2 days ago"]),
)
def test_odd_values_that_load_are_read_without_failing(
    triage: Triage, windows: dict[str, int], ages: list[str], within: int, min_mm: float, text: str
) -> None:
    data = copy.deepcopy(_SHIPPED_DATA)
    data["windows"], data["age"] = windows, ages
    data["combinations"][0]["within"], data["sizes"][0]["min_mm"] = within, min_mm
    rules = TextRules.from_data(FILE, data, triage.ruleset.catalog)
    assert rules is not None and rules.windows == Windows(**windows)
    reader = TextReader(triage.ruleset.catalog, rules, ("fever",))
    intake = Intake(channel="TELEHEALTH_INTAKE", free_text=text, concerns=(Concern(text=text or "x"),))
    merge_text(intake, reader, triage.ruleset.catalog)
