"""Agreement with held-out intakes written from the clinical facts alone (tests/data/generalization).

Each intake has full structured fields, a free text that states all of them, and the answer the
clinical basis gives. It is sent three ways:

- every field: the request as written (codes and the free text);
- concerns in words: patient, venue and treatments coded, the concerns only in the free text;
- free text only: channel, venue and the free text.

Scored per mode: route, urgency and treatment verdicts that agree with the expected answer, and
*unsafe* answers: a route or urgency less cautious than expected, or a treatment left bookable
that should not be. Benign intakes sent to a dermatologist are counted too (over-caution).

The set is split by a hash of each id into a tuning half and a final half. The final half is
scored only in aggregate (no case is printed), so it stays unseen until the end:

    python -m bench.generalization                 # both halves, aggregates only
    python -m bench.generalization --part tuning -v  # the tuning half, with every disagreement
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import json_format

from service.app import build_triage
from service.config import DEFAULT_RULES_DIR
from service.domain.triage import Triage
from service.gen.dermtriage.v1 import triage_pb2 as pb
from service.transport import codec

FOLDER = Path(__file__).resolve().parent.parent / "tests" / "data" / "generalization"
ROUTE_RANK = {"ROUTE_MED_SPA": 1, "ROUTE_EITHER": 2, "ROUTE_DERMATOLOGIST": 3}
URGENCY_RANK = {"URGENCY_ROUTINE": 1, "URGENCY_SOON": 2, "URGENCY_URGENT": 3, "URGENCY_EMERGENCY": 4}


def part_of(intake_id: str) -> str:
    """A stable split: half the ids are for tuning, half are kept for the final measurement."""
    return "tuning" if hashlib.sha256(intake_id.encode()).digest()[0] % 2 == 0 else "final"


def load(part: str | None = None, folder: Path = FOLDER, authors: str = "") -> list[dict[str, Any]]:
    """The intakes of one half (or both), of the given authors (all when empty).

    Authors are named by letter ("abc") or, for names longer than a letter, by a comma-separated
    list ("a2,b2").
    """
    names = set(authors.split(",")) if "," in authors else set(authors)
    items = []
    for path in sorted(folder.glob("author_*.yaml")):
        if names and path.stem.removeprefix("author_") not in names:
            continue
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["intakes"]:
            if part is None or part_of(item["id"]) == part:
                items.append(item)
    return items


def every_field(request: dict[str, Any]) -> dict[str, Any]:
    return dict(request)


def concerns_in_words(request: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in request.items() if k != "concerns"}


def free_text_only(request: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in request.items() if k in ("request_id", "channel", "venue", "free_text")}


MODES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "every field": every_field,
    "concerns in words": concerns_in_words,
    "free text only": free_text_only,
}


@dataclass
class Score:
    intakes: int = 0
    route: int = 0
    urgency: int = 0
    verdicts: int = 0
    verdicts_total: int = 0
    unsafe: int = 0
    benign: int = 0
    benign_to_dermatologist: int = 0
    errors: int = 0
    misses: list[str] = field(default_factory=list)

    def pct(self, n: int, d: int) -> str:
        return f"{100 * n / d:.0f}%" if d else "-"


def answer(triage: Triage, request: dict[str, Any]) -> dict[str, Any]:
    message = json_format.ParseDict(request, pb.AssessRequest())
    response = codec.encode_decision(triage.assess(codec.decode_intake(message)))
    return json_format.MessageToDict(response, preserving_proto_field_name=True)


def score(triage: Triage, items: list[dict[str, Any]], mode: Callable[[dict[str, Any]], dict[str, Any]]) -> Score:
    s = Score()
    for item in items:
        expect = item["expect"]
        s.intakes += 1
        benign = item.get("kind") == "benign"
        s.benign += benign
        try:
            got = answer(triage, mode(item["request"]))
        except Exception as exc:  # an intake the service refuses counts against it, and is listed
            s.errors += 1
            s.misses.append(f"{item['id']}: {type(exc).__name__}: {exc}")
            continue
        route, urgency = got.get("route", ""), got.get("urgency", "")
        verdicts = {t["code"]: bool(t.get("med_spa_appropriate", False)) for t in got.get("treatments", [])}
        s.route += route == expect["route"]
        s.urgency += urgency == expect["urgency"]
        wrong_verdicts = []
        for code, appropriate in (expect.get("treatments") or {}).items():
            s.verdicts_total += 1
            if verdicts.get(code, False) == appropriate:
                s.verdicts += 1
            else:
                wrong_verdicts.append(code)
        unsafe = (
            ROUTE_RANK.get(route, 0) < ROUTE_RANK[expect["route"]]
            or URGENCY_RANK.get(urgency, 0) < URGENCY_RANK[expect["urgency"]]
            or any(verdicts.get(c, False) and not ok for c, ok in (expect.get("treatments") or {}).items())
        )
        s.unsafe += unsafe
        s.benign_to_dermatologist += benign and route == "ROUTE_DERMATOLOGIST"
        if route != expect["route"] or urgency != expect["urgency"] or wrong_verdicts:
            s.misses.append(
                f"{'UNSAFE ' if unsafe else ''}{item['id']} ({item.get('kind')}): route {route} want {expect['route']};"
                f" urgency {urgency} want {expect['urgency']}; verdicts wrong {wrong_verdicts};"
                f" flags {got.get('flags', [])}; rules {[r['rule_id'] for r in got.get('reasons', [])]}"
            )
    return s


def table(scores: dict[str, Score], title: str) -> str:
    lines = [
        title,
        "| intake sent as | route agrees | urgency agrees | treatment verdicts agree | unsafe answers "
        "| benign to a dermatologist | refused |",
        "|---|---|---|---|---|---|---|",
    ]
    for mode, s in scores.items():
        lines.append(
            f"| {mode} | {s.pct(s.route, s.intakes)} | {s.pct(s.urgency, s.intakes)} "
            f"| {s.pct(s.verdicts, s.verdicts_total)} | {s.unsafe} of {s.intakes} "
            f"| {s.benign_to_dermatologist} of {s.benign} | {s.errors} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=["tuning", "final"], help="one half only (default: each half apart)")
    parser.add_argument("-v", action="store_true", help="print every disagreement (tuning half only)")
    parser.add_argument(
        "--authors", default="", help="only these authors' sets: letters (defg) or names with commas (a2,b2)"
    )
    args = parser.parse_args(argv)
    triage = build_triage(DEFAULT_RULES_DIR)
    for part in [args.part] if args.part else ["tuning", "final"]:
        items = load(part, authors=args.authors)
        scores = {name: score(triage, items, mode) for name, mode in MODES.items()}
        kinds = Counter(item.get("kind") for item in items)
        print(table(scores, f"\n{part} half: {len(items)} intakes ({', '.join(f'{k} {n}' for k, n in kinds.items())})"))
        if args.v:
            if part == "final":
                print("(the final half's cases are not printed)")
                continue
            for mode, s in scores.items():
                print(f"\n{mode}:")
                print("\n".join(s.misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
