"""Scoring text reading against labelled texts: precision and recall by kind, red-flag recall and precision.

What is scored is what reaches the rules: the intake after merge_text, read from the text
alone. Red-flag recall counts a red-flag finding as found only when it is read as present.
Used by tests/domain/test_text.py and by ``python -m bench.text_eval``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from service.domain.catalog import Catalog
from service.domain.model import Intake
from service.domain.text import TextReader, merge_text

from .paths import DATA as TEST_DATA

DATA = TEST_DATA / "text_labelled.yaml"
HELDOUT = DATA.with_name("text_heldout.yaml")
KINDS = ("concern", "finding", "body_site", "treatment", "condition", "medication", "patient")
# Findings that alone (or on a mole or spot) raise a red flag: clinical basis §1.
RED_FLAG_GROUPS = ("ng12_major", "ng12_minor", "lesion_feature", "infection", "severe_reaction")
RED_FLAG_EXTRA = (
    "vision_change",
    "skin_blanching_or_mottling",
    "difficulty_swallowing",
    "difficulty_speaking",
    "burn_or_blistering",
)


def red_flag_findings(catalog: Catalog) -> frozenset[str]:
    groups = {c.code for c in catalog.codes("finding").values() if c.group in RED_FLAG_GROUPS}
    return frozenset(groups | set(RED_FLAG_EXTRA)) - {
        "new_medication_recent",
        "swelling",
        "warmth",
        "lesion_on_sun_damaged_skin",
    }


def load_items(path: Path = DATA) -> list[dict[str, Any]]:
    return list(yaml.safe_load(path.read_text())["items"])


def predicted(intake: Intake) -> dict[str, set[Any]]:
    """What the merged intake states, by kind, in the labelled set's terms."""
    p = intake.patient
    facts = {
        (k, v)
        for k, v in (("age_years", p.age_years), ("pregnant", p.pregnant), ("breastfeeding", p.breastfeeding))
        if v is not None
    }
    return {
        "concern": {c.code for c in intake.concerns if c.code},
        "finding": {f for c in intake.concerns for f in c.findings},
        "body_site": {c.body_site for c in intake.concerns if c.body_site}
        | {t.body_site for t in intake.treatments if t.body_site},
        "treatment": {t.code for t in intake.treatments},
        "condition": set(p.conditions),
        "medication": set(p.medications),
        "patient": facts,
    }


def expected(item: dict[str, Any]) -> dict[str, set[Any]]:
    present = item.get("present") or {}
    out = {k: set(present.get(k) or []) for k in KINDS if k != "patient"}
    out["patient"] = {(k, v) for k, v in (item.get("patient") or {}).items()}
    return out


@dataclass
class Score:
    tp: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    fp: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    fn: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    red_tp: int = 0
    red_fn: int = 0
    red_fp: int = 0
    misses: list[str] = field(default_factory=list)

    def precision(self, kind: str | None = None) -> float:
        tp = self.tp[kind] if kind else sum(self.tp.values())
        fp = self.fp[kind] if kind else sum(self.fp.values())
        return tp / (tp + fp) if tp + fp else 1.0

    def recall(self, kind: str | None = None) -> float:
        tp = self.tp[kind] if kind else sum(self.tp.values())
        fn = self.fn[kind] if kind else sum(self.fn.values())
        return tp / (tp + fn) if tp + fn else 1.0

    def red_flag_recall(self) -> float:
        total = self.red_tp + self.red_fn
        return self.red_tp / total if total else 1.0

    def red_flag_precision(self) -> float:
        """The share of red-flag findings read that the labels have (a red flag read from a past,
        another person's or an idiomatic mention counts against it)."""
        total = self.red_tp + self.red_fp
        return self.red_tp / total if total else 1.0


def evaluate(read: Callable[[str], Intake], items: Iterable[dict[str, Any]], red_flags: frozenset[str]) -> Score:
    score = Score()
    for item in items:
        got, want = predicted(read(item["text"])), expected(item)
        for kind in KINDS:
            score.tp[kind] += len(got[kind] & want[kind])
            score.fp[kind] += len(got[kind] - want[kind])
            score.fn[kind] += len(want[kind] - got[kind])
            for x in sorted(map(str, got[kind] - want[kind])):
                score.misses.append(f"{item['id']} extra {kind} {x}")
            for x in sorted(map(str, want[kind] - got[kind])):
                score.misses.append(f"{item['id']} missed {kind} {x}")
        red = want["finding"] & red_flags
        score.red_tp += len(red & got["finding"])
        score.red_fn += len(red - got["finding"])
        score.red_fp += len((got["finding"] & red_flags) - want["finding"])
    return score


def reader_function(reader: TextReader, catalog: Catalog) -> Callable[[str], Intake]:
    def read(text: str) -> Intake:
        return merge_text(Intake(channel="TELEHEALTH_INTAKE", free_text=text), reader, catalog)[0]

    return read


def table(score: Score, title: str) -> str:
    lines = [f"{title}", f"{'kind':<12}{'precision':>10}{'recall':>8}{'tp':>6}{'fp':>5}{'fn':>5}"]
    for kind in KINDS:
        lines.append(
            f"{kind:<12}{score.precision(kind):>10.3f}{score.recall(kind):>8.3f}{score.tp[kind]:>6}{score.fp[kind]:>5}{score.fn[kind]:>5}"
        )
    lines.append(f"{'all':<12}{score.precision():>10.3f}{score.recall():>8.3f}")
    lines.append(
        f"red-flag finding recall {score.red_flag_recall():.3f} ({score.red_tp} of {score.red_tp + score.red_fn}),"
        f" precision {score.red_flag_precision():.3f} ({score.red_tp} of {score.red_tp + score.red_fp})"
    )
    return "\n".join(lines)
