"""What one query may cost: expanded terms and phrase words, planned up front, and a CPU deadline.

Each ``prefix*`` was bounded on its own (64 terms), but 32 of them in one
query read 2,048 terms in 4 fields: 2.5-4 s of CPU on the 2017 corpus
(issue 16, F1).  The budget is for the whole query instead: every ``prefix*``
gets a share of ``max_expanded_terms``, and typo corrections and synonyms
are admitted while the query has terms to spare, all decided from the term
dictionary before any posting list is read.  Whatever still runs long is cut
by the deadline: expanding stops between ``prefix*`` words, matching between
the terms whose matchers Whoosh builds and between batches of posts, scoring
between words, and the answer says ``"truncated": true``.

The deadline is the searching thread's CPU time, not the wall clock: a
request waiting for a busy core would otherwise be cut (and ranked
differently) because of someone else's load.  Nor is the CPU a thread spends
building a generation's derived state (the typo vocabulary: 0.65 s on the
2017 corpus) charged to the query that happened to need it first: it is paid
once per generation, and charging it cut the first typo query after every
reindex (the judged set's first such query lost its answer).
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Any, Mapping

from whoosh import query as wq

from .request import InvalidParameter


_uncharged = threading.local()


@contextmanager
def not_charged():
    """CPU this thread spends inside is not counted by any Deadline (per-generation work, see above)."""
    depth = getattr(_uncharged, "depth", 0)
    _uncharged.depth = depth + 1
    start = time.thread_time()
    try:
        yield
    finally:
        _uncharged.depth = depth
        if depth == 0:
            _uncharged.seconds = getattr(_uncharged, "seconds", 0.0) + time.thread_time() - start


def _charged_time() -> float:
    return time.thread_time() - getattr(_uncharged, "seconds", 0.0)


_checkpoint = threading.local()


@contextmanager
def on_expensive(seconds: float, callback):
    """Call ``callback()`` once, from inside this thread's search, when it has spent ``seconds`` of charged CPU.

    The web layer's fair sharing (web/cpu_share.py) moves a search that
    turns out expensive to the worker's one place for those, or stops it
    (the callback raises): nothing tells an expensive query from a cheap one
    before it runs.
    """
    _checkpoint.at, _checkpoint.callback = _charged_time() + seconds, callback
    try:
        yield
    finally:
        _checkpoint.callback = None


class Deadline:
    """A request's CPU-time limit (``query_time_limit_ms``; 0: none) and whether it cut anything."""

    def __init__(self, limit_ms: float = 0):
        self.limit = limit_ms / 1000.0
        self.started = _charged_time()
        self.truncated = False

    def expired(self) -> bool:
        """True once the limit has passed; the caller then stops and the answer is marked truncated."""
        callback = getattr(_checkpoint, "callback", None)
        if callback is not None and _charged_time() > _checkpoint.at:
            _checkpoint.callback = None
            callback()
        if self.limit > 0 and _charged_time() - self.started > self.limit:
            self.truncated = True
            return True
        return False

    @classmethod
    def of(cls, settings: Mapping[str, Any]) -> "Deadline":
        return cls(float(settings.get("query_time_limit_ms") or 0))


NO_DEADLINE = Deadline(0)


class _UntilDeadline(wq.WrappingQuery):
    """A leaf whose matcher is built only while the deadline has not passed (see ``until_deadline``)."""

    def __init__(self, child, deadline: Deadline, negated: bool, started: set):
        super().__init__(child)
        self.deadline, self.negated, self.started = deadline, negated, started

    def _rewrap(self, child):
        return self.__class__(child, self.deadline, self.negated, self.started)

    def estimate_size(self, ixreader):
        # (only orders the matcher tree; past the deadline not worth a lookup)
        return 0 if self.deadline.truncated else self.child.estimate_size(ixreader)

    def matcher(self, searcher, context=None):
        segment = id(searcher)
        if segment in self.started and self.deadline.expired():
            # Not looked up: a word counts as absent, an excluded one as
            # excluding every post, so no post that does not match is returned.
            return (wq.Every() if self.negated else wq.NullQuery).matcher(searcher, context)
        self.started.add(segment)
        return self.child.matcher(searcher, context)


def until_deadline(parsed, deadline: Deadline):
    """``parsed``, matching the same posts while the deadline holds, and fewer (never others) past it.

    Whoosh builds a query's whole matcher tree (every term's postings looked
    up, every size estimated) before it yields one post: the 32-prefix query
    spent ~170 ms there, ~330 ms in all before its first look at the
    deadline.  Now each term looks before its matcher is built; past the
    deadline the terms not built yet match nothing (an excluded one:
    everything), except the first of each segment, so some matching happens.
    """
    started: set[int] = set()

    def wrap(node, negated: bool = False):
        if node.is_leaf():
            return _UntilDeadline(node, deadline, negated, started)
        if isinstance(node, wq.Not):
            return node.apply(lambda child: wrap(child, not negated))
        if isinstance(node, wq.AndNot):
            return wq.AndNot(wrap(node.a, negated), wrap(node.b, not negated))
        return node.apply(lambda child: wrap(child, negated))

    return wrap(parsed)


def prefix_words(node) -> list[tuple]:
    """The distinct ``prefix*`` words of a parsed query (the multi-field plugin makes one per field)."""
    found: list[tuple] = []

    def walk(n):
        if isinstance(n, wq.Prefix):
            key = (getattr(n, "startchar", None), getattr(n, "endchar", None), n.text)
            if key not in found:
                found.append(key)
        elif not n.is_leaf():
            for child in n.children():
                walk(child)

    walk(node)
    return found


def prefix_share(parsed, settings: Mapping[str, Any]) -> int:
    """How many terms each ``prefix*`` of the query may expand to: an equal share of the query's budget."""
    per_word = settings["max_prefix_expansions"]
    count = len(prefix_words(parsed))
    if count == 0:
        return per_word
    return max(1, min(per_word, settings["max_expanded_terms"] // count))


def check_phrases(parsed, settings: Mapping[str, Any]) -> None:
    """A "phrase" longer than ``max_phrase_words`` -> 400 (matching it reads every word's positions in every post)."""
    limit = settings["max_phrase_words"]

    def walk(n):
        if isinstance(n, wq.Phrase) and len(n.words) > limit:
            raise InvalidParameter(
                f"a quoted phrase may hold at most {limit} words (setting max_phrase_words); one has {len(n.words)}", "q"
            )
        if not n.is_leaf():
            for child in n.children():
                walk(child)

    walk(parsed)


class TermBudget:
    """The terms a plan may still add: the words as typed always, corrections and synonyms while some are left."""

    def __init__(self, limit: int):
        self.left = limit

    def fit(self, unit: list) -> list:
        """``unit`` (its first alternative: the word itself) with the other alternatives that still fit."""
        kept = unit[:1]
        self.left -= len(unit[0].stems)
        for alt in unit[1:]:
            if len(alt.stems) <= self.left:
                kept.append(alt)
                self.left -= len(alt.stems)
        return kept


def too_slow(setting_ms: float) -> InvalidParameter:
    return InvalidParameter(
        f"the query found nothing within its time limit of {setting_ms:g} ms of CPU (setting query_time_limit_ms); "
        "use fewer or longer prefixes, or fewer words",
        "q",
    )
