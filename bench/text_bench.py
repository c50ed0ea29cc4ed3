"""Cost of reading text, beside the cost of Assess itself, measured in the same run.

    python -m bench.text_bench

For 24 texts of 500 characters (made from the labelled set), the median of:
- the text step alone (merge_text: read the words, merge them into the intake);
- Assess on the coded intake the text amounts to (no text to read), the baseline;
- Assess on the text-only intake (the two together).
Target: the text step costs no more than half of Assess's own cost.

Then crafted requests with the most text a request may carry (a concern's text and the free
text, 2,000 characters each, 4,000 together), each made of what one mechanism of the reader
works hardest on (numbers beside sex letters, cue words, one
clause with no break, person words, problem words, typos): the slowest text step among them,
and the cost per character of the slowest against the 500-character texts (a text step whose
cost grows faster than the text would show here as a ratio well above 1). Target: no text
step above 50 ms.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Callable

from bench.timing import sample
from service.app import build_triage
from service.config import DEFAULT_RULES_DIR
from service.domain.model import Concern, Intake
from service.domain.text import merge_text
from service.domain.validate import MAX_TEXT, MAX_TOTAL_TEXT
from tests.support.crafted import ATTACKS, intake_of
from tests.support.text_scoring import load_items

LENGTH = 500
MAX_LENGTH = MAX_TEXT  # the longest text a field may carry
MAX_TOTAL = MAX_TOTAL_TEXT  # all the text of one request
WORST_MS = 50.0
# What each mechanism of the reader works hardest on, repeated to the longest text.
CRAFTED = {
    "sex and age shorthand": "f32 m50 50m 32 f he is 40 she's 30 ",
    "numbers and sizes": "39.4 38 7mm 1.5cm 18 months now 2 weeks ago ",
    "cue words": "no not never if had my son my mum i have ",
    "one clause, no break": "i have acne and rash and itchy and red and swollen and ",
    "person words": "my son has my wife is my husband has booking for my daughter ",
    "problem words": "lump bump growth spot mark patch boil wound ",
    "typos": "moel exema blisturs rahs acnee pimpel itchey ",
    "combination words": "red patch spreading face swollen breathe hard heart fast temp ",
}


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
    worst = crafted(reader, catalog)
    name, worst_us = max(worst.items(), key=lambda kv: kv[1])
    print(f"\ncrafted requests of {MAX_TOTAL} characters of text, text step (median microseconds):")
    for kind, us in worst.items():
        print(f"  {kind:<38}{us:>10.1f}")
    per_char = (worst_us / MAX_TOTAL) / (text_us / LENGTH)
    print(
        f"slowest: {name}, {worst_us / 1000:.2f} ms (target <= {WORST_MS:.0f} ms)"
        f" {'OK' if worst_us / 1000 <= WORST_MS else 'OVER'}; per character {per_char:.1f} x the 500-character texts"
    )
    return 0


def crafted(reader, catalog) -> dict[str, float]:  # type: ignore[no-untyped-def]
    out = {}
    intakes = {}
    for kind, piece in CRAFTED.items():
        text = (piece * (MAX_LENGTH // len(piece) + 1))[:MAX_LENGTH]
        intakes[kind] = Intake(channel="TELEHEALTH_INTAKE", concerns=(Concern(text=text),), free_text=text)
    intakes.update({f"attack: {name}": intake_of(name) for name in ATTACKS})
    for kind, intake in intakes.items():
        reader.forget()
        out[kind] = sample(lambda i=intake: merge_text(i, reader, catalog), n=20, warmup=2)[0]
    return out


if __name__ == "__main__":
    raise SystemExit(main())
