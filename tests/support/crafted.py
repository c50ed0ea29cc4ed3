"""An attacker's worst texts for the text reader: requests within the text bounds (2,000
characters a text, 4,000 together), each aimed at one way reading could grow faster than the
text. Read by tests/domain/test_crafted_text.py (it must finish) and timed by `make text-bench`.

Each is (free_text, a concern's text), built from a short recipe; a few come with coded
concerns as well (CODED), which cost the attacker no characters of text.
"""

from __future__ import annotations

import random

from service.domain.model import Concern, Intake
from service.domain.validate import MAX_TEXT


def _cut(text: str) -> str:
    return text[:MAX_TEXT]


def _non_words(seed: int) -> str:
    """Distinct four-letter non-words, a text of them: each new to the typo index's cache."""
    rnd, words, seen, size = random.Random(seed), [], set(), 0
    while size + 5 <= MAX_TEXT:
        word = "".join(rnd.choice("bcdfghjklmnpqrstvwxz") for _ in range(4))
        if word not in seen:
            seen.add(word)
            words.append(word)
            size += 5
    return " ".join(words)


ATTACKS: dict[str, tuple[str, str]] = {
    # quantifiers side by side (a sex pattern's [\s-]* ... \s*) over a long run of spaces
    "spaces-number-to-sex-letter": ("5" + " " * (MAX_TEXT - 2) + "m", ""),
    # the same over hyphens, in both texts of the request
    "hyphens-number-to-sex-letter": ("5" + "-" * (MAX_TEXT - 2) + "m",) * 2,
    # the same over runs of spaces and line breaks (a break in a long run is kept)
    "spaces-and-breaks-number-to-sex-letter": ("5" + "   \n" * ((MAX_TEXT - 2) // 4) + "m", ""),
    # "m"/"f", spaces, then no number (a sex and an age pattern)
    "spaces-after-sex-letter": ("f" + " " * (MAX_TEXT - 4) + "x 5",) * 2,
    # one clause of other_person cues, then mentions: each mention against each cue
    "family-history-cues-then-mentions": (_cut("fhx " * 170 + "acne " * 400),) * 2,
    # a text for someone else, then one long clause of mentions (the writer's own clause)
    "proxy-then-one-clause-of-mentions": (_cut("on behalf of my son. " + "mole " * 400),) * 2,
    # a context-bound word repeated: its context looked for once a mention
    "context-bound-word-repeated": (_cut("burn " * 400),) * 2,
    # ... in one clause with a word that gives it another sense: each clause looked at once
    "context-bound-word-in-a-clause-of-another-sense": (_cut("sun " + "burn " * 400), _cut("my eyes " + "burn " * 400)),
    # one clause of dated medicines: each dated against every dating statement of its clause
    "dated-medicines-in-one-clause": (_cut("accutane 1 day ago " * 110), _cut("accutane a a " * 160)),
    # bare sizes and sites with no concern: each finding's nearest site and concern
    "sizes-and-sites-without-a-concern": (_cut("2cm arm " * 260), _cut("pus " + "arm " * 500)),
    # one concern named on many sites, and phrases that are a concern and a site at once
    "concerns-on-many-sites": (_cut("acne arm leg chest back " * 90), _cut("crows feet " * 190)),
    # a site said hundreds of times in both texts, on one concern
    "one-site-said-in-both-texts": (_cut("arm " * 600),) * 2,
    # two word groups of a combination, each hundreds of times in one clause
    "combination-groups-repeated": (_cut("red hot " * 300), _cut("laser hair " * 200)),
    # twenty coded concerns on twenty sites, each with every after-treatment finding, and a text
    # naming a concern hundreds of times: the findings of a treatment done spread over them
    "after-findings-on-coded-concerns": (_cut("11s " * 600), _cut("11s " * 600)),
    # distinct four-letter non-words: each a typo looked up (once scanned against every lexicon word)
    "four-letter-non-words": (_non_words(100), _non_words(101)),
    # years and dated medicines in one clause: each dated against every date of its clause
    "years-and-dated-medicines": (_cut("ipledge in 2019 " * 130), _cut("in 2019 no " * 180)),
    # supervision phrases each after a negation word: each checked against the cues before it
    "supervision-after-negations": (_cut("no doctor on site " * 115), _cut("not medical director " * 100)),
    # one negation then a long comma list: the scope walks the mentions after the cue once
    "negation-then-a-comma-list": (_cut("no " + "fever, " * 330), _cut("not itchy, " + "tongue swelling, " * 120)),
    # a long list of sites before a treatment's name: the chain of sites listed with it
    "sites-listed-before-a-treatment": (_cut("arm and " * 240 + "massage"), _cut("hand and " * 220 + "facial")),
    # concern combinations starting at every word, beside persons named bare and pronouns after
    # them: each combination against the mentions, each pronoun against the persons before it
    "combinations-persons-and-pronouns": (
        _cut(("cyst " * 20 + "pit scar ") * 30),
        _cut("husband has a rash. she " * 200),
    ),
}

_AFTER = ("after_filler", "after_botulinum_toxin", "after_peel", "after_microneedling", "after_energy_device")
_SITES = ("face", "periocular", "lips", "perioral", "scalp", "neck", "submental", "chest", "back", "abdomen",
          "flanks", "arms", "hands", "legs", "feet", "nails", "axillae", "bikini", "genitals")  # fmt: skip
CODED: dict[str, tuple[Concern, ...]] = {
    "after-findings-on-coded-concerns": tuple(
        Concern(code="wrinkles", findings=("fever",) * 35 + _AFTER, body_site=site) for site in _SITES
    ),
}


def intake_of(name: str) -> Intake:
    """The request of one attack: its texts (the concern's text on a concern of its own) and coded concerns."""
    free_text, concern_text = ATTACKS[name]
    concerns = ((Concern(text=concern_text),) if concern_text else ()) + CODED.get(name, ())
    return Intake(channel="TELEHEALTH_INTAKE", free_text=free_text, concerns=concerns)
