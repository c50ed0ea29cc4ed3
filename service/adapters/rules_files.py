"""Reads a ``rules/`` directory into a validated Ruleset; any problem names the file and rule."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import yaml

from ..domain.catalog import Catalog
from ..domain.errors import RulesError
from ..domain.rulebook import Rulebook
from ..domain.text import TextRules
from ..domain.triage import Ruleset

SEMVER = re.compile(r"^\d+\.\d+\.\d+$")


def _read_yaml(path: Path, root: Path) -> Any:
    name = str(path.relative_to(root.parent))
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise RulesError(name, f"not valid YAML{where}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(name, f"cannot be read ({exc.__class__.__name__})") from None


def content_hash(root: Path) -> str:
    """sha256 over every file's relative path and bytes, so any edit changes the version."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def load_ruleset(root: Path) -> Ruleset:
    """Load ``ruleset.yaml``, ``catalog/*.yaml``, ``decision/*.yaml`` and ``text.yaml`` under ``root``."""
    root = Path(root)
    if not root.is_dir():
        raise RulesError(str(root), "rules directory not found")
    manifest_path = root / "ruleset.yaml"
    if not manifest_path.is_file():
        raise RulesError(f"{root.name}/ruleset.yaml", "missing")
    manifest = _read_yaml(manifest_path, root)
    if not isinstance(manifest, dict) or not SEMVER.match(str(manifest.get("version", ""))):
        raise RulesError(f"{root.name}/ruleset.yaml", "needs 'version:' as MAJOR.MINOR.PATCH")
    catalog_dir, decision_dir = root / "catalog", root / "decision"
    questions = catalog_dir / "questions.yaml"
    concept_files = {
        str(p.relative_to(root.parent)): _read_yaml(p, root)
        for p in sorted(catalog_dir.glob("*.yaml"))
        if p != questions
    }
    if not questions.is_file():
        raise RulesError(f"{root.name}/catalog/questions.yaml", "missing")
    catalog = Catalog.from_data(concept_files, (str(questions.relative_to(root.parent)), _read_yaml(questions, root)))
    rule_files = {str(p.relative_to(root.parent)): _read_yaml(p, root) for p in sorted(decision_dir.glob("*.yaml"))}
    rulebook = Rulebook.from_data(rule_files, catalog)
    text_path = root / "text.yaml"
    text_rules = (
        TextRules.from_data(f"{root.name}/text.yaml", _read_yaml(text_path, root), catalog)
        if text_path.is_file()
        else None
    )
    version = f"{manifest['version']}+{content_hash(root)[:12]}"
    return Ruleset(version, catalog, rulebook, text_rules)
