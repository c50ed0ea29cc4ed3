"""The composition root: one Triage from a rules folder, wired to the durable-rules engine.

Imports the domain and the adapters only, never gRPC: ``python -m service assess`` and
``rules check`` run without a transport, and every door (gRPC today) is handed a Triage.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from .adapters.engine import Engine
from .adapters.rules_files import load_ruleset
from .adapters.wordlist import english_words
from .domain.text import TextReader
from .domain.triage import Triage

_engine_ids = itertools.count(1)


def build_triage(rules_dir: Path) -> Triage:
    """Load and check rules/, compile them into a fresh engine (one per process)."""
    ruleset = load_ruleset(rules_dir)
    # A durable ruleset name can be registered once; the version hash and a counter keep it unique.
    name = f"dermtriage_{ruleset.version.split('+')[-1]}_{next(_engine_ids)}"
    reader = TextReader(ruleset.catalog, ruleset.text_rules, english_words()) if ruleset.text_rules else None
    return Triage(ruleset, Engine(ruleset.rulebook, name).evaluate, reader)


def engine_of(triage: Triage) -> Engine:
    """The engine a Triage from build_triage evaluates with (tests and benchmarks hold its lock
    or time it directly)."""
    engine = getattr(triage.evaluate, "__self__", None)
    if not isinstance(engine, Engine):
        raise TypeError("this Triage was not built by build_triage")
    return engine
