"""No value anywhere in a decision or catalog file makes loading raise anything but a rules
problem naming its file: values of every shape put in place of a rule's or a concept's fields."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.adapters.rules_files import read_yaml
from service.config import DEFAULT_RULES_DIR
from service.domain.catalog import Catalog
from service.domain.errors import RulesError
from service.domain.rulebook import Rulebook


def _files(folder: str) -> dict[str, Any]:
    return {
        f"rules/{folder}/{p.name}": read_yaml(p.read_text(encoding="utf-8"))
        for p in sorted((DEFAULT_RULES_DIR / folder).glob("*.yaml"))
    }


DECISION = _files("decision")
CATALOG = _files("catalog")
QUESTIONS = "rules/catalog/questions.yaml"
CONCEPTS = {k: v for k, v in CATALOG.items() if k != QUESTIONS}
GOOD_CATALOG = Catalog.from_data(CONCEPTS, (QUESTIONS, CATALOG[QUESTIONS]))

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 300), st.floats(allow_nan=False), st.text(max_size=12),
    st.sampled_from(["acne", "DERMATOLOGIST", "unknown", "lesion_bleeding", "facial", "{set: x}"]),
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _replace_somewhere(node: Any, draw: Any, value: Any) -> None:
    """Puts ``value`` in place of one field of a mapping reached from ``node`` at random."""
    while True:
        if isinstance(node, dict) and node:
            key = draw(st.sampled_from(sorted(node, key=str)))
            if isinstance(node[key], (dict, list)) and node[key] and draw(st.booleans()):
                node = node[key]
                continue
            node[key] = value
            return
        if isinstance(node, list) and node:
            i = draw(st.integers(0, len(node) - 1))
            if isinstance(node[i], (dict, list)) and node[i] and draw(st.booleans()):
                node = node[i]
                continue
            node[i] = value
            return
        return


def _load_decision(files: dict[str, Any]) -> None:
    Rulebook.from_data(files, GOOD_CATALOG)


def _load_catalog(files: dict[str, Any]) -> None:
    Catalog.from_data({k: v for k, v in files.items() if k != QUESTIONS}, (QUESTIONS, files[QUESTIONS]))


@pytest.mark.parametrize(
    ("shipped", "load", "folder"),
    [(DECISION, _load_decision, "rules/decision/"), (CATALOG, _load_catalog, "rules/catalog")],
    ids=["decision", "catalog"],
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), value=values)
def test_a_rules_file_with_any_value_anywhere_loads_or_names_its_problems(
    shipped: dict[str, Any], load: Callable[[dict[str, Any]], None], folder: str, data: Any, value: Any
) -> None:
    files = copy.deepcopy(shipped)
    name = data.draw(st.sampled_from(sorted(files)))
    _replace_somewhere(files[name], data.draw, value)
    try:
        load(files)
    except RulesError as error:
        assert all(p.file.startswith(folder) for p in error.problems)


def test_a_string_where_a_list_of_flags_goes_is_named_as_such() -> None:
    files = copy.deepcopy(DECISION)
    rule = files["rules/decision/venue.yaml"]["rules"][0]
    rule["then"]["flags"] = "GFE_REQUIRED"
    try:
        Rulebook.from_data(files, GOOD_CATALOG)
    except RulesError as error:
        assert [p.message for p in error.problems] == ["then.flags: must be a list of flag codes, like 'flags: [...]'"]
    else:
        raise AssertionError("a string for flags loaded")
