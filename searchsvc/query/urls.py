"""The one way the query side spells a URL with parameters.

``base`` comes from the web layer's ``url_for``, so it carries the
deployment's path prefix; the query side only appends parameters.
"""

from __future__ import annotations

from urllib.parse import urlencode

from ..words import facet_key


def with_params(base: str, pairs: list[tuple[str, str]]) -> str:
    """``base?k=v&...``, or ``base`` alone when there are no pairs."""
    return f"{base}?{urlencode(pairs)}" if pairs else base


def without_value(pairs: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    """The parameters with one facet value taken out, matched as filters
    match values (``facet_key``: case and spacing do not count), so the
    JSON's toggle_url and the page's remove-filter chip agree."""
    key = facet_key(value)
    return [p for p in pairs if not (p[0] == name and facet_key(p[1]) == key)]
