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
