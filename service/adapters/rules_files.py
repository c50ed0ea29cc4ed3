"""Reads a ``rules/`` folder into a validated Ruleset.

YAML is read with the line each mapping and list starts on, so every problem the domain finds
is reported as ``file:line``; one pass collects every problem of every file (catalog, decision
rules, text rules), and start-up stops with all of them.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import yaml

from ..domain.catalog import Catalog
from ..domain.errors import Problems, RulesError
from ..domain.rulebook import Rulebook
from ..domain.text import TextRules
from ..domain.triage import Ruleset

SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
MANIFEST_KEYS = frozenset({"name", "version", "description"})


class LineDict(dict[Any, Any]):
    """A YAML mapping that remembers the line it starts on and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]


class LineList(list[Any]):
    """A YAML sequence that remembers the line it starts on (1-based)."""

    line: int = 0


class _LineLoader(yaml.SafeLoader):
    """The safe loader, with mappings and sequences that carry their line."""


class DuplicateKey(yaml.YAMLError):
    """A key given twice in one mapping: YAML would keep the last silently, so a second
    ``route:`` could lower a rule's answer unseen."""

    def __init__(self, key: Any, line: int):
        super().__init__(f"duplicate key {key!r}")
        self.key, self.line = key, line


def _mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    out = LineDict(loader.construct_mapping(node, deep=True))
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, str | int | float | bool):
            if key in out.key_lines:
                raise DuplicateKey(key, key_node.start_mark.line + 1)
            out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_sequence(node, deep=True))
    out.line = node.start_mark.line + 1
    return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def read_yaml(text: str) -> Any:
    """YAML with lines on its mappings and lists (yaml.YAMLError on bad syntax)."""
    return yaml.load(text, Loader=_LineLoader)


def _read_yaml(path: Path, root: Path) -> Any:
    name = str(path.relative_to(root.parent))
    try:
        return read_yaml(path.read_text(encoding="utf-8"))
    except DuplicateKey as exc:
        raise RulesError(name, f"duplicate key {exc.key!r} (YAML would keep only the last)", line=exc.line) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RulesError(name, "not valid YAML", line=mark.line + 1 if mark else None) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(name, f"cannot be read ({exc.__class__.__name__})") from None


def content_hash(root: Path) -> str:
    """sha256 over every file's relative path and bytes, so any edit changes the version."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def load_ruleset(root: Path) -> Ruleset:
    """Load ``ruleset.yaml``, ``catalog/*.yaml``, ``decision/*.yaml`` and ``text.yaml`` under ``root``.

    Raises RulesInvalid with every problem found, each ``file:line``.
    """
    root = Path(root)
    if not root.is_dir():
        raise RulesError(str(root), "rules directory not found (--rules-dir)")
    problems = Problems()

    def read(path: Path) -> Any:
        name = f"{root.name}/{path.relative_to(root)}"
        if not path.is_file():
            problems.add(name, "not a file" if path.exists() else "missing")
            return None
        with problems.entry():
            return _read_yaml(path, root)
        return None

    manifest = read(root / "ruleset.yaml")
    if manifest is not None and (not isinstance(manifest, dict) or not SEMVER.match(str(manifest.get("version", "")))):
        problems.add(f"{root.name}/ruleset.yaml", "needs 'version:' as MAJOR.MINOR.PATCH", node=manifest)
    elif isinstance(manifest, dict) and set(manifest) - MANIFEST_KEYS:
        unknown = sorted(set(manifest) - MANIFEST_KEYS, key=str)
        known = ", ".join(sorted(MANIFEST_KEYS))
        problems.add(f"{root.name}/ruleset.yaml", f"unknown key(s) {unknown} (known: {known})", node=manifest)
    catalog_dir, decision_dir = root / "catalog", root / "decision"
    for folder in (catalog_dir, decision_dir):
        if not folder.is_dir():  # nothing else can be checked against a catalog that is not there
            problems.add(f"{root.name}/{folder.name}/", "missing folder")
            problems.check()
    questions = catalog_dir / "questions.yaml"
    concept_files = {_name(p, root): read(p) for p in sorted(catalog_dir.glob("*.yaml")) if p != questions}
    catalog = Catalog.from_data(
        {name: data for name, data in concept_files.items() if data is not None},
        (_name(questions, root), read(questions)),
        problems,
    )
    rule_files = {_name(p, root): read(p) for p in sorted(decision_dir.glob("*.yaml"))}
    rulebook = Rulebook.from_data({n: d for n, d in rule_files.items() if d is not None}, catalog, problems)
    text_path = root / "text.yaml"
    before = len(problems.errors)
    text_data = read(text_path)
    text_rules = None
    if len(problems.errors) == before:  # read and parsed: an empty file is from_data's problem to name
        text_rules = TextRules.from_data(_name(text_path, root), text_data, catalog, problems)
    problems.check()
    assert isinstance(manifest, dict) and text_rules is not None  # else check() raised
    version = f"{manifest['version']}+{content_hash(root)[:12]}"
    return Ruleset(version, catalog, rulebook, text_rules)


def _name(path: Path, root: Path) -> str:
    """How problems name a file: ``rules/decision/venue.yaml``."""
    return f"{root.name}/{path.relative_to(root)}"
