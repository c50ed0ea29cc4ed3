"""The English words that typo correction must leave alone ("lives" is not a misspelt "hives").

Taken from pyspellchecker's English frequency list, loaded once per process.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from importlib import resources

MIN_FREQUENCY = 20  # below this the list holds rare words and common misspellings


@cache
def english_words() -> frozenset[str]:
    data = resources.files("spellchecker").joinpath("resources/en.json.gz").read_bytes()
    counts: dict[str, int] = json.loads(gzip.decompress(data))
    return frozenset(w for w, n in counts.items() if n >= MIN_FREQUENCY)
