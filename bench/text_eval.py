"""Precision and recall of text reading on the labelled set (tests/data/text_labelled.yaml).

    python -m bench.text_eval                   # the tuning set, a table per kind
    python -m bench.text_eval --heldout         # the held-out set, never used for tuning
    python -m bench.text_eval -v                # and every miss

How the scoring works: tests/support/text_scoring.py.
"""

from __future__ import annotations

import sys

from tests.support.text_scoring import DATA, HELDOUT, evaluate, load_items, reader_function, red_flag_findings, table


def main() -> int:
    from service.app import build_triage
    from service.config import DEFAULT_RULES_DIR

    triage = build_triage(DEFAULT_RULES_DIR)
    assert triage.reader is not None
    catalog = triage.ruleset.catalog
    path = HELDOUT if "--heldout" in sys.argv else DATA
    items = load_items(path)
    score = evaluate(reader_function(triage.reader, catalog), items, red_flag_findings(catalog))
    print(table(score, f"text reading on {len(items)} labelled texts ({path.name})"))
    if "-v" in sys.argv:
        print("\n".join(score.misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
