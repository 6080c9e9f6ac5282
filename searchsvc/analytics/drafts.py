"""``searchsvc stats --suggest``: a draft fix for each frequent failing query.

For a person to review and commit, never applied: YAML text in the formats
of the search settings folder (README, Search settings for editors).

- A zero-result query the suggester can correct ("recieve" -> "receive")
  becomes a synonyms.yml group joining the query to the correction, so the
  visitor's spelling finds what the correction finds.
- A zero-result acronym whose long form the posts spell out ("odp" ->
  "Open Data Policy", analytics/acronyms.py) becomes a group joining them.
- Any other zero-result query becomes a best bet to fill in and, commented
  out, a route: only a person knows which page it wants.
- A query whose results nobody clicks becomes a best bet listing the
  current top results as comments, so the editor picks the page visitors
  were after (or another).

``search(q)`` is the service's own answer for ``q`` (the /search.json dict).
"""

from __future__ import annotations

from typing import Callable

import yaml

from .acronyms import looks_like_an_acronym

TOP_SHOWN = 3


def _quote(text: str) -> str:
    """A YAML scalar for ``text`` (quoted only when it must be)."""
    return yaml.safe_dump(text, default_style=None, allow_unicode=True).removesuffix("\n...\n").strip()


def draft(data: dict, search: Callable[[str], dict], long_forms: Callable[[set[str]], dict] | None = None) -> str:
    """``long_forms(acronyms)`` -> {acronym: (long form, times seen)} from the site's posts."""
    synonyms, bets, routes = [], [], []
    corrected: dict[str, str] = {}
    for entry in data["zero_results"]:
        answer = search(entry["query"])
        corrected[entry["query"]] = (answer.get("suggestion") or {}).get("text") or (answer.get("corrected_query") if answer.get("corrected") else None)
    acronyms = {q for q, fix in corrected.items() if not fix and looks_like_an_acronym(q)}
    spelled = long_forms(acronyms) if long_forms and acronyms else {}
    for entry in data["zero_results"]:
        q = entry["query"]
        # The did-you-mean, or the correction the service now searches by itself.
        suggestion = corrected[q]
        if q in spelled:
            form, seen = spelled[q]
            synonyms.append(
                f"# {entry['count']} searches found nothing; the posts spell it out as \"{form}\" ({seen} times)\n"
                f"- [{_quote(q.upper())}, {_quote(form)}]"
            )
            continue
        if suggestion and suggestion != q:
            fixed = search(suggestion)
            synonyms.append(
                f"# {entry['count']} searches found nothing; \"{suggestion}\" finds {fixed.get('total', 0)}\n"
                f"- [{_quote(q)}, {_quote(suggestion)}]"
            )
            continue
        bets.append(
            f"# {entry['count']} searches found nothing, and no spelling correction was found\n"
            f"- query: {_quote(q)}\n  pages: []            # the page visitors want: a document id or site URL"
        )
        routes.append(f"# - query: {_quote(q)}\n#   url: https://   # or send the query straight to one page")
    for entry in data["no_clicks"]:
        q = entry["query"]
        answer = search(q)
        shown = [f"  #   {hit.get('id') or hit.get('url')}   ({hit.get('title', '')})" for hit in answer.get("results", [])[:TOP_SHOWN]]
        bets.append(
            f"# {entry['count']} searches, {entry['results']} results, none followed; the top results now:\n"
            + ("\n".join(shown) + "\n" if shown else "")
            + f"- query: {_quote(q)}\n  pages: []            # the page visitors want"
        )
    parts = []
    for name, items in (("synonyms.yml", synonyms), ("best-bets.yml", bets), ("routes.yml", routes)):
        if items:
            parts.append(f"# ---- search/{name}: add ----\n" + "\n".join(items))
    if not parts:
        return f"# Nothing to fix: no query of the last {data['days']} day(s) was frequent and failing.\n"
    return "\n\n".join(parts) + "\n"
