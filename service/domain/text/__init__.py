"""The text reader: patients' own words read into the same facts as the structured codes.

By role: ``rules`` parses ``rules/text.yaml``; ``tokens`` scans and normalises words and keeps
the typo index; ``reader`` matches phrases and applies the context cues; ``merge`` adds what
was read to the intake. Standard library only: the word list that guards typo correction is
passed in by the caller.
"""

from .merge import merge_text
from .reader import TextReader
from .rules import TextRules

__all__ = ["TextReader", "TextRules", "merge_text"]
