"""Front matter by which a page asks to stay out of search, for every generator.

``search: false``, ``noindex: true``, ``searchExclude: true``,
``sitemap: false`` and Hugo's ``sitemap: {disable: true}``.  Keys are matched
case-insensitively; a value counts when it is a boolean or the text
"true"/"false" (so ``noindex: "yes"`` is not read as a wish).
"""

from __future__ import annotations

from typing import Any


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def opt_out_reason(meta: dict[str, Any]) -> str | None:
    """Why the front matter keeps the page out of search, or None."""
    lower = {str(k).lower(): v for k, v in meta.items()}
    if _flag(lower.get("search")) is False:
        return "search: false"
    if _flag(lower.get("noindex")) is True:
        return "noindex: true"
    if _flag(lower.get("searchexclude")) is True:
        return "searchExclude: true"
    sitemap = lower.get("sitemap")
    if _flag(sitemap) is False:
        return "sitemap: false"
    if isinstance(sitemap, dict):
        disable = {str(k).lower(): v for k, v in sitemap.items()}.get("disable")
        if _flag(disable) is True:
            return "sitemap: {disable: true}"
    return None
