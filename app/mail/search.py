"""Search: text normalisation shared by the cache and queries, and the quick header search.

Persian text comes in several spellings of the same word: Arabic yeh and kaf (ي ك) or Persian
(ی ک), with or without a zero-width non-joiner, with Arabic diacritics. Both the indexed text
and the query go through ``normalize`` so any spelling finds the others.
"""

from __future__ import annotations

import re

_FOLD = str.maketrans(
    {
        "\u064a": "\u06cc",  # Arabic yeh -> Persian yeh
        "\u0649": "\u06cc",  # alef maksura -> Persian yeh
        "\u0643": "\u06a9",  # Arabic kaf -> Persian kaf (keheh)
        "\u0629": "\u0647",  # teh marbuta -> heh
        "\u200c": None,  # ZWNJ
        "\u200d": None,  # ZWJ
        "\u0640": None,  # tatweel
        "\u200e": None,  # LRM
        "\u200f": None,  # RLM
    }
)
_DIACRITICS = re.compile("[\u064b-\u065f\u0670]")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Lower-cased text with Persian/Arabic letter variants unified and ZWNJ removed."""
    folded = _DIACRITICS.sub("", text.translate(_FOLD)).casefold()
    return _SPACES.sub(" ", folded).strip()


def query_terms(query: str) -> list[str]:
    """The normalised words of a quick-search query (at most 8, each at most 100 chars)."""
    return [term[:100] for term in normalize(query).split(" ") if term][:8]
