"""Rules about words and values that every stage shares.

``WORD`` is the one tokenisation pattern: Whoosh's default token pattern
(``\\w+(\\.?\\w+)*``, so "u.s", "508" and "a11y" are words), used to index
text, to plan queries, to build the vocabulary and to mark snippets — one
pattern, so a word found in one place is the word found in the others.
``facet_key`` is the form under which facet values are one value.
"""

from __future__ import annotations

import html
import re

# Whoosh's own spelling, ``\w+(\.?\w+)*``, finds the very same words: after
# the greedy ``\w+`` no word character follows, so only a dot can extend a
# word.  Written with the dot required and the repeat possessive (no
# backtracking into it), findall over the corpus's texts took 0.23 -> 0.19 s (test_word_pattern_finds_whoosh_words in
# tests/index/test_whoosh_internals.py compares them on generated text).
WORD = re.compile(r"\w+(?:\.\w+)*+")

# WORD on lower-cased ASCII text, where \w is [a-z0-9_]: the same words, found
# in 0.72 of the time (a character class, not a Unicode category lookup per
# character).  (test_ascii_word_pattern_is_word_on_ascii in
# tests/index/test_whoosh_internals.py.)
LOWER_ASCII_WORD = re.compile(r"[a-z0-9_]+(?:\.[a-z0-9_]+)*+")
# Non-ASCII characters of English prose that are neither word characters nor
# a dot, so neither part of a word nor a word's edge: the same words are
# found with a space in their place, and a text whose only non-ASCII
# characters are these is searched as ASCII (most of the corpus's bodies:
# curly quotes and dashes).
NON_WORD_PUNCTUATION = "\u2019\u201c\u201d\u2014\u2013\u2018\u2026\u2022\u00b7\u00ae\u00a9\u2122\u00a0\u200b\u2032\u2033\u2192"


def decode_entities(text: str) -> str:
    """HTML entities decoded until stable (at most 3 passes: posts double-encode, ``&amp;#8217;``)."""
    for _ in range(3):
        if "&" not in text:
            break
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def facet_key(value: str) -> str:
    """The form under which facet values are one value.

    Case-insensitive (casefold), entities decoded, runs of whitespace,
    underscores and hyphens become one "-", trimmed:
    ``facet_key("Customer Experience") == facet_key("customer_experience") == "customer-experience"``.
    """
    text = str(value)
    if "&" in text:
        text = decode_entities(text)
    return re.sub(r"[\s_\-]+", "-", text.casefold()).strip("-")
