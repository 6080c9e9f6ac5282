"""A page's own say in search: the ``search:`` block of its front matter.

```yaml
search:
  boost: 1.5                      # its score times this (0.1 to 10)
  keywords: [benefits, "SSA-1099"]  # words that find it, as its tags do, not shown
  best_bet_for: [tax forms]       # pinned above the results for these queries
  exclude: true                   # left out of search (like search: false)
```

Each key is checked on its own: a bad value is a warning naming the key and
the page is indexed without it, so a typo in one page's tuning never costs
the page.  Queries in ``best_bet_for`` are kept as their words (case, spaces
and dots do not matter), the form the search side looks them up by.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from ..words import WORD

MIN_BOOST, MAX_BOOST = 0.1, 10.0
MAX_KEYWORDS = 50
MAX_KEYWORD_CHARS = 100
KEYS = ("boost", "keywords", "best_bet_for", "exclude")


@dataclass(frozen=True)
class Tuning:
    boost: float = 1.0
    keywords: tuple[str, ...] = ()
    best_bet_for: tuple[str, ...] = ()  # each a query's words joined by one space
    exclude: bool = False


NONE = Tuning()


def query_key(text: str) -> str:
    """A query as best bets match it: its words, lower case, dots dropped ("U.S." = "us")."""
    return " ".join(w.replace(".", "") for w in WORD.findall(text.lower()))


def _texts(value: Any) -> list[str] | None:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in values):
        return None
    return [str(v).strip() for v in values if str(v).strip()]


def _boost(value: Any, warn: Callable[[str], None]) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not MIN_BOOST <= value <= MAX_BOOST:
        warn(f"search.boost must be a number from {MIN_BOOST:g} to {MAX_BOOST:g}, not {value!r} (ignored)")
        return 1.0
    return float(value)


def _exclude(value: Any, warn: Callable[[str], None]) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    warn(f"search.exclude must be true or false, not {value!r} (ignored)")
    return False


def tuning_of(value: Any, warn: Callable[[str], None]) -> Tuning:
    """The front matter's ``search`` value -> Tuning (``search: false`` is the generators' opt-out, handled before)."""
    if value is None or isinstance(value, bool):
        return NONE
    if not isinstance(value, dict):
        warn(f"search must be a mapping such as {{boost: 1.5}}, not {type(value).__name__} (ignored)")
        return NONE
    # Keys as front matter keys are matched: case, spaces, "-" and "_" do not count.
    known = {re.sub(r"[\s_\-]", "", key): key for key in KEYS}
    block = {}
    for key, item in value.items():
        name = known.get(re.sub(r"[\s_\-]", "", str(key)).casefold())
        if name is None:
            warn(f"search.{key}: unknown key (ignored); known: {', '.join(KEYS)}")
        else:
            block[name] = item
    boost = _boost(block["boost"], warn) if "boost" in block else 1.0
    keywords: list[str] = []
    if "keywords" in block:
        found = _texts(block["keywords"])
        if found is None:
            warn("search.keywords must be a list of words or phrases (ignored)")
        else:
            keywords = [k[:MAX_KEYWORD_CHARS] for k in dict.fromkeys(found)][:MAX_KEYWORDS]
    queries: list[str] = []
    if "best_bet_for" in block:
        found = _texts(block["best_bet_for"])
        if found is None:
            warn("search.best_bet_for must be a list of queries (ignored)")
        else:
            queries = [q for q in dict.fromkeys(query_key(t) for t in found) if q]
    exclude = _exclude(block["exclude"], warn) if "exclude" in block else False
    return Tuning(boost, tuple(keywords), tuple(queries), exclude)
