"""The one way the query side spells a URL with parameters.

``base`` comes from the web layer's ``url_for``, so it carries the
deployment's path prefix; the query side only appends parameters.
"""

from __future__ import annotations

from urllib.parse import urlencode


def with_params(base: str, pairs: list[tuple[str, str]]) -> str:
    """``base?k=v&...``, or ``base`` alone when there are no pairs."""
    return f"{base}?{urlencode(pairs)}" if pairs else base
