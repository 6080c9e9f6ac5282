"""The editors' settings applied to a search response: ``best_bets`` (pinned
pages and links for the query and its synonyms, within their dates) and a
routed query's ``route: {url}`` (the page redirects to it)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import current_app

from ..editorial.files import folder_for, normalise
from ..editorial.live import LiveSettings
from ..query import page_refs, synonyms, tuning


def settings_folder(conf, generation) -> Path:
    return folder_for(conf, generation.meta.get("content_dir"))


def _best_bets(found, query: str, conf, generation) -> list[dict]:
    words = synonyms.words_of(query)
    if not words:
        return []
    wanted = {words, *synonyms.effective(conf, generation.meta.get("content_dir")).alternatives(words)}
    today = dt.date.today()
    out, seen = [], set()
    for bet in found.best_bets:
        if not bet.live_on(today) or not any(synonyms.words_of(q) in wanted for q in bet.queries):
            continue
        docnums = page_refs.resolve(generation, bet.pages) if bet.pages else {}
        for page in bet.pages:
            stored = generation.searcher.stored_fields(docnums[page]) if page in docnums else None
            if stored is not None and stored["url"] not in seen:
                seen.add(stored["url"])
                out.append({"title": stored["title"], "url": stored["url"], "description": stored.get("summary", ""), "id": stored["id"]})
        for link in bet.links:
            if link["url"] not in seen:
                seen.add(link["url"])
                out.append({**link, "id": None})
    # Then the pages that name the query in their front matter (search.best_bet_for), in build order.
    for docnum in tuning.pinned_for(generation, sorted(" ".join(w) for w in wanted)):
        stored = generation.searcher.stored_fields(docnum)
        if stored["url"] not in seen:
            seen.add(stored["url"])
            out.append({"title": stored["title"], "url": stored["url"], "description": stored.get("summary", ""), "id": stored["id"]})
    return out


def settings_problems(conf, generation) -> list[str]:
    """Every invalid entry of the editors' files and of the synonyms list, as ``path:line: reason``
    (each is skipped and the rest apply; /healthz shows them so that a broken file is seen)."""
    live = current_app.extensions.setdefault("searchsvc.editorial", LiveSettings())
    folder = settings_folder(conf, generation)
    current = live.current(folder)
    problems = current.problems + page_refs.unresolved(generation, current.best_bets)
    found = [f"{folder / p.file}:{p.line}: {p.reason}" for p in problems]
    base = synonyms.load(conf.get("synonyms_file")).problems
    return found + [p if p.startswith("synonyms file ") else f"{conf.get('synonyms_file') or synonyms.DEFAULT_FILE}: {p}" for p in base]


def apply(data: dict, conf, generation) -> dict:
    live = current_app.extensions.setdefault("searchsvc.editorial", LiveSettings())
    found = live.current(settings_folder(conf, generation))
    query = data.get("query") or ""
    extra = {"best_bets": _best_bets(found, query, conf, generation)}
    url = found.routes.get(normalise(query)) if found.routes else None
    # Always present, like best_bets, so a search box can test it without a key check.
    extra["route"] = {"url": url} if url is not None else None
    return {**data, **extra}
