"""Request parameters -> a validated SearchRequest, or InvalidParameter naming the parameter.

Every 400 message of a search lives here and names its parameter (and the
setting that sets a limit).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

SORTS = ("relevance", "newest", "oldest")


class InvalidParameter(Exception):
    """A request parameter that cannot be used: answered 400, naming the parameter."""

    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.message = message
        self.param = param


def check_query_length(q: str, settings: Mapping[str, Any]) -> None:
    limit = settings["max_query_chars"]
    if len(q) > limit:
        raise InvalidParameter(f"q must be at most {limit} characters (setting max_query_chars); it has {len(q)}", "q")


@dataclass
class SearchRequest:
    q: str = ""
    page: int = 1
    per_page: int = 10
    sort: str = "newest"
    filters: dict[str, list[str]] = field(default_factory=dict)
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def params(self) -> list[tuple[str, str]]:
        """The request as query-string pairs (for toggle and next URLs)."""
        pairs: list[tuple[str, str]] = []
        if self.q:
            pairs.append(("q", self.q))
        for name, values in self.filters.items():
            pairs.extend((name, v) for v in values)
        if self.date_from:
            pairs.append(("from", self.date_from.isoformat()))
        if self.date_to:
            pairs.append(("to", self.date_to.isoformat()))
        default_sort = "relevance" if self.q else "newest"
        if self.sort != default_sort:
            pairs.append(("sort", self.sort))
        if self.per_page != 10:
            pairs.append(("per_page", str(self.per_page)))
        return pairs


def _int_param(args: Mapping, name: str, default: int, limit: int, setting: str) -> int:
    raw = args.get(name)
    if raw is None or str(raw).strip() == "":
        return default
    raw = str(raw).strip()
    if not re.fullmatch(r"[0-9]{1,9}", raw):
        raise InvalidParameter(f"{name} must be a whole number from 1 to {limit}, not {raw[:40]!r}", name)
    value = int(raw)
    if value < 1:
        raise InvalidParameter(f"{name} must be at least 1", name)
    if value > limit:
        raise InvalidParameter(f"{name} must be at most {limit} (setting {setting})", name)
    return value


def _date_param(args: Mapping, name: str) -> dt.date | None:
    raw = args.get(name)
    if raw is None or str(raw).strip() == "":
        return None
    raw = str(raw).strip()
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            raise ValueError
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidParameter(f"{name} must be a date written YYYY-MM-DD, not {raw[:40]!r}", name) from None


def parse_args(args, settings: Mapping[str, Any], facets: tuple[str, ...]) -> SearchRequest:
    """Validate the parameters of /search.json (``args`` is a MultiDict)."""
    q = args.get("q", "") or ""
    if "\x00" in q:
        q = q.replace("\x00", " ")
    check_query_length(q, settings)
    q = " ".join(q.split())
    if len(q.split()) > settings["max_query_terms"]:
        raise InvalidParameter(
            f"q must have at most {settings['max_query_terms']} words (setting max_query_terms)", "q"
        )
    page = _int_param(args, "page", 1, settings["max_page"], "max_page")
    per_page = _int_param(args, "per_page", 10, settings["max_per_page"], "max_per_page")
    sort = (args.get("sort") or "").strip()
    if sort and sort not in SORTS:
        raise InvalidParameter(f"sort must be one of {', '.join(SORTS)}, not {sort[:40]!r}", "sort")
    if not sort or (sort == "relevance" and not q):
        sort = "relevance" if q else "newest"
    filters: dict[str, list[str]] = {}
    for name in tuple(facets) + ("year",):
        values = [v.strip() for v in args.getlist(name) if v and v.strip()]
        if values:
            seen, unique = set(), []
            for value in values:
                if value.lower() not in seen:
                    seen.add(value.lower())
                    unique.append(value[:200])
            filters[name] = unique[:50]
    date_from = _date_param(args, "from")
    date_to = _date_param(args, "to")
    if date_from and date_to and date_from > date_to:
        raise InvalidParameter(f"from ({date_from}) must not be after to ({date_to})", "from")
    return SearchRequest(q, page, per_page, sort, filters, date_from, date_to)
