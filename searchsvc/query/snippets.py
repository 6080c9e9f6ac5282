"""Highlighted passages: plain text + query words -> escaped HTML with <mark>.

The text is the plain text extracted at index time, so a cut can never land
inside a tag or an entity; escaping happens after the cut, and the only tag
in the output is ours.  Matching uses the index's analyzer, so "testing" in a
query marks "tests" in the text.
"""

from __future__ import annotations

import functools
import re
import sys
import threading
import unicodedata
from html import escape

from ..index.schema import text_analyzer

_ANALYZER = text_analyzer()
WINDOW_CHARS = 200
LEAD_CHARS = 40
# Very long posts: look for matches in the first part only; a passage there
# is as good a snippet as one further down, and tokenising 40 KB costs ms.
SCAN_CHARS = 20_000


# Running the whole analyzer chain over every hit's text was half of a
# query's time.  Its filters (lowercase, stop words, stemming) act on one
# token at a time, so the analysed form of each distinct word is computed
# once by the analyzer itself and remembered; the text is only split with
# the analyzer's own tokenizer pattern.  Same tokens, same positions.
_WORD = _ANALYZER.items[0].expression
_MISSING = object()
_FORMS: dict[str, str | None] = {}
_ANALYZER_LOCK = threading.Lock()
MAX_REMEMBERED_WORDS = 200_000


def _form(word: str) -> str | None:
    form = _FORMS.get(word, _MISSING)
    if form is _MISSING:
        with _ANALYZER_LOCK:  # (see plan.py's: Whoosh's stemming cache is not thread-safe)
            tokens = [t.text for t in _ANALYZER(word, mode="index")]
        form = tokens[0] if len(tokens) == 1 else None
        if len(_FORMS) >= MAX_REMEMBERED_WORDS:
            _FORMS.clear()
        _FORMS[word] = form
    return form


_WORD_CHAR = re.compile(r"\w", _WORD.flags)


# Which tokens can match: a stemmed form keeps its word's first letter (the
# Porter stemmer only rewrites suffixes and always keeps a non-empty stem,
# whoosh/lang/porter.py), and the first letter of a lower-cased word is the
# lower case of its first character.  A form of 3 or more letters keeps the
# first two: every rewrite starts at index 2 or later (step 1c's y -> i
# replaces the last letter, steps 2-3 keep a stem of at least two letters
# before their suffix, the rest only strip or append), and no step
# lengthens a word that step 1 left at 2 letters or fewer.  So only tokens
# starting like one of the terms are looked up, found by a regular
# expression in C instead of splitting the whole text.  A 20 KB body has a
# few dozen tokens starting with a term's first letter for each one starting
# with its first two: their Python lookups were most of a query's time.
def _upper_forms() -> dict[str, str]:
    """Letter -> the other word characters whose lower case starts with it ("K" and the Kelvin sign for "k")."""
    table: dict[str, list[str]] = {}
    for char in map(chr, range(sys.maxunicode + 1)):  # ~0.15 s, once a process, at import
        low = char.lower()
        if low != char and _WORD_CHAR.match(char):
            table.setdefault(low[0], []).append(char)
    return {letter: "".join(chars) for letter, chars in table.items()}


_UPPER = _upper_forms()


def _starting_with(letter: str) -> str:
    """Every word character whose lower case starts with ``letter``."""
    own = letter if _WORD_CHAR.match(letter) else ""
    return own + _UPPER.get(letter, "")


def _start(term: str) -> str:
    """What every token analysed to ``term`` starts with, lower-cased: two letters of a form of 3 or more, else one."""
    return term[:2] if len(term) >= 3 else term[:1]


def _class(chars: str) -> str:
    return "[" + re.escape(chars) + "]"


@functools.lru_cache(maxsize=1024)
def _candidates(starts: frozenset[str]) -> re.Pattern | None:
    """The tokens whose lower case begins with one of ``starts`` (the tokenizer's pattern, anchored at token starts)."""
    seconds: dict[str, set[str] | None] = {}
    for start in starts:
        if len(start) == 1:
            seconds[start] = None  # any token with this first letter
        elif seconds.setdefault(start[0], set()) is not None:
            seconds[start[0]].add(start[1])
    branches = []
    for letter in sorted(seconds):
        first = _starting_with(letter)
        if not first:
            continue
        if seconds[letter] is None:
            branches.append(f"(?<={_class(first)})")
            continue
        # the token's second character, by what its lower case starts with ("." in "u.s")
        second = "".join(s + _UPPER.get(s, "") for s in sorted(seconds[letter]))
        branches.append(f"(?<={_class(first)})(?={_class(second)})")
        long = "".join(c for c in first if len(c.lower()) > 1)  # "İ" is "i" + a combining dot already
        if long:
            branches.append(f"(?<={_class(long)})")
    if not branches:
        return None
    chars = "".join(_starting_with(letter) for letter in sorted(seconds))
    # The character class comes first so that the engine scans for it in C;
    # then: a token starts where the text does not continue one ("amount",
    # "a.b"), and the branch of its first letter admits its second.
    return re.compile(
        _class(chars) + r"(?<!\w.)(?<!\w\..)(?:" + "|".join(branches) + r")\w*(?:\.?\w+)*", _WORD.flags
    )


def _matches(text: str, terms: set[str]) -> list[tuple[int, int, str]]:
    """(start, end, form) of every token of ``text`` whose analysed form is a term, in order.

    = running the analyzer over the text (bench/check_snippet_matches.py, tests/system/test_perf_contracts.py).
    """
    pattern = _candidates(frozenset(_start(t) for t in terms if t))
    if pattern is None:
        return []
    forms = _FORMS
    found = []
    for match in pattern.finditer(text):
        word = match.group()
        form = forms.get(word, _MISSING)
        if form is _MISSING:
            form = _form(word)
        if form in terms:
            found.append((match.start(), match.end(), form))
    return found


def matches(text: str, terms: set[str]) -> list[tuple[int, int, str]]:
    """(start, end, analysed form) of every query word in ``text`` (sub-results count them per section)."""
    return _matches(text, terms) if text and terms else []


def _best_window(matches: list[tuple[int, int, str]]) -> int:
    """Index of the match that starts the window holding the most distinct words (then the most matches; the first)."""
    best, best_score = 0, (-1, -1)
    counts: dict[str, int] = {}  # words of the window matches[i : j + 1], slid along (each match enters and leaves once)
    j = -1
    for i, (start, _, _) in enumerate(matches):
        if i and j >= i - 1:
            left = matches[i - 1][2]
            counts[left] -= 1
            if not counts[left]:
                del counts[left]
        if j < i:
            j = i
            counts[matches[i][2]] = counts.get(matches[i][2], 0) + 1
        while j + 1 < len(matches) and matches[j + 1][1] <= start + WINDOW_CHARS - LEAD_CHARS:
            j += 1
            counts[matches[j][2]] = counts.get(matches[j][2], 0) + 1
        score = (len(counts), j - i + 1)
        if score > best_score:
            best, best_score = i, score
    return best


def _cut(text: str, start: int, end: int) -> tuple[int, int]:
    """Move a window's edges to word boundaries (or, in a long unspaced run, character boundaries)."""
    if start > 0:
        space = text.rfind(" ", 0, start + 1)
        start = space + 1 if space != -1 and start - space < 30 else _grapheme_start(text, start)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else _grapheme_start(text, end)
    return start, end


_JOINERS = {"\u200d", "\ufe0e", "\ufe0f"}


def _grapheme_start(text: str, i: int) -> int:
    """Step back so a cut never separates an accent, a joiner or a variation selector from its letter."""
    while 0 < i < len(text) and (unicodedata.combining(text[i]) or text[i] in _JOINERS or text[i - 1] == "\u200d"):
        i -= 1
    return i


def mark(text: str, matches: list[tuple[int, int, str]], start: int, end: int) -> str:
    out, pos = [], start
    for m_start, m_end, _ in matches:
        if m_start < start or m_end > end:
            continue
        out.append(escape(text[pos:m_start]))
        # a match is a token: word characters and dots, nothing to escape
        out.append("<mark>" + text[m_start:m_end] + "</mark>")
        pos = m_end
    out.append(escape(text[pos:end]))
    html = "".join(out).strip()
    if start > 0:
        html = "…" + html
    if end < len(text):
        html = html + "…"
    return html


def snippet(text: str, terms: set[str]) -> str | None:
    """The passage of ``text`` with the most query words, or None if none occur."""
    if not text or not terms:
        return None
    scanned = text[:SCAN_CHARS]
    matches = _matches(scanned, terms)
    if not matches:
        return None
    first = matches[_best_window(matches)][0]
    start = max(0, first - LEAD_CHARS)
    end = min(len(text), start + WINDOW_CHARS)
    if end - start < WINDOW_CHARS:
        start = max(0, end - WINDOW_CHARS)
    start, end = _cut(text, start, end)
    return mark(text, matches, start, end)


def highlight_all(text: str, terms: set[str]) -> str:
    """The whole of a short text (a title) escaped, with query words marked."""
    matches = _matches(text, terms) if terms else []
    return mark(text, matches, 0, len(text))


def plain(text: str, limit: int = WINDOW_CHARS) -> str:
    """An unhighlighted opening passage, escaped, for results without query words."""
    if len(text) <= limit:
        return escape(text)
    start, end = _cut(text, 0, limit)
    return escape(text[:end].rstrip()) + "…"
