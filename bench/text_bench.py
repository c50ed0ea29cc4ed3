"""Cost of reading text, beside the cost of Assess itself, measured in the same run.

    python -m bench.text_bench

For 24 texts of 500 characters (made from the labelled set), the median of:
- the text step alone (merge_text: read the words, merge them into the intake);
- Assess on the coded intake the text amounts to (no text to read), the baseline;
- Assess on the text-only intake (the two together).
Target: the text step costs no more than half of Assess's own cost.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Callable

from bench.timing import sample
from service.app import build_triage
from service.config import DEFAULT_RULES_DIR
from service.domain.model import Intake
from service.domain.text import merge_text
from tests.support.text_scoring import load_items

LENGTH = 500


def texts_of_length(n: int = 24) -> list[str]:
    pieces = [i["text"] for i in load_items()]
    out, k = [], 0
    while len(out) < n:
        text = ""
        while len(text) < LENGTH:
            text += pieces[k % len(pieces)] + " "
            k += 1
        out.append(text[:LENGTH].rsplit(" ", 1)[0])
    return out


def median_us(run: Callable[[], object]) -> float:
    return sample(run, n=200, warmup=20)[0]


def main() -> int:
    triage = build_triage(DEFAULT_RULES_DIR)
    assert triage.reader is not None
    catalog, reader = triage.ruleset.catalog, triage.reader
    rows = []
    for text in texts_of_length():
        intake = Intake(channel="TELEHEALTH_INTAKE", free_text=text)
        coded = dataclasses.replace(merge_text(intake, reader, catalog)[0], free_text="")
        if not (coded.concerns or coded.treatments):
            continue
        reader.forget()  # no help from earlier texts' word and typo caches
        rows.append(
            (
                median_us(lambda i=intake: merge_text(i, reader, catalog)),
                median_us(lambda c=coded: triage.assess(c)),
                median_us(lambda i=intake: triage.assess(i)),
            )
        )
    text_us = statistics.median(r[0] for r in rows)
    coded_us = statistics.median(r[1] for r in rows)
    both_us = statistics.median(r[2] for r in rows)
    from service.domain.text import reader as text_module

    built = "compiled with mypyc" if not text_module.__file__.endswith(".py") else "pure Python (not compiled)"
    print(f"{len(rows)} texts of {LENGTH} characters; medians of per-text medians (microseconds); text reader {built}")
    print(f"{'text step (merge_text)':<40}{text_us:>10.1f}")
    print(f"{'Assess, coded intake (baseline)':<40}{coded_us:>10.1f}")
    print(f"{'Assess, text-only intake':<40}{both_us:>10.1f}")
    ratio = text_us / coded_us
    print(f"text step / Assess baseline: {ratio:.2f} (target <= 0.50) {'OK' if ratio <= 0.5 else 'OVER'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
