"""The pages editors name in best bets (a document id, a URL or a URL's path) -> document numbers.

Only the names in use are resolved, and only they are kept with the
generation: ids by the index's unique id term, URLs through the id and URL
lists the generation's stored vocabulary maps from its file (a generation
without one: one pass over its stored posts).  Before, every worker held
every post's stored fields (bodies included) in a table the first time a
best bet named a page: ~5 KB a post, about 500 MB at 100,000 posts.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

from ..editorial.files import BEST_BETS, Problem
from ..index import vocabulary as stored_vocabulary

# Names remembered per generation (a settings file names tens; edits add more).
MAX_REMEMBERED = 10_000
_lock = threading.Lock()


def resolve(gen, refs) -> dict[str, int]:
    """{ref: docnum} for each ref naming a live page of ``gen`` (the others are absent)."""
    known: dict[str, int | None] = gen.derived("page_refs", lambda _gen: {})
    with _lock:
        missing = [ref for ref in dict.fromkeys(refs) if ref not in known]
        if missing:
            if len(known) + len(missing) > MAX_REMEMBERED:
                known.clear()
            known.update(_look_up(gen, missing))
        return {ref: known[ref] for ref in refs if known.get(ref) is not None}


def unresolved(gen, best_bets) -> list[Problem]:
    """A problem for each page a best bet names that ``gen`` does not hold (the bet leaves it out)."""
    problems = []
    for bet in best_bets:
        held = resolve(gen, bet.pages) if bet.pages else {}
        problems += [Problem(BEST_BETS, bet.line, f"page {page!r} is not in the index (left out)") for page in bet.pages if page not in held]
    return problems


def _look_up(gen, refs: list[str]) -> dict[str, int | None]:
    # As the former table did: a ref is a document id, else a page's URL or
    # its path (the first page in index order wins); an absolute URL that
    # matches none is tried again by its path.
    paths = {ref: urlsplit(ref).path for ref in refs if ref.startswith(("http:", "https:"))}
    wanted = set(refs) | set(paths.values())
    by_id = {name: _docnum(gen, name) for name in wanted}
    by_url = _by_url_or_path(gen, wanted)
    found = {}
    for ref in refs:
        docnum = by_id[ref] if by_id[ref] is not None else by_url.get(ref)
        if docnum is None and ref in paths:
            path = paths[ref]
            docnum = by_id[path] if by_id[path] is not None else by_url.get(path)
        found[ref] = docnum
    return found


def _docnum(gen, doc_id: str) -> int | None:
    docnum = gen.searcher.document_number(id=doc_id)
    return docnum if docnum is not None and gen.live[docnum] else None


def _by_url_or_path(gen, wanted: set[str]) -> dict[str, int]:
    """{name: docnum} for the names in ``wanted`` that are a live page's URL or URL path."""
    matches: dict[str, int] = {}

    def take(url: str, docnum: int | None) -> None:
        if docnum is None:
            return
        for name in (url, urlsplit(url).path or "/"):
            if name in wanted and (name not in matches or docnum < matches[name]):
                matches[name] = docnum

    arrays = stored_vocabulary.read_arrays(gen.path)
    if arrays is not None:
        urls = stored_vocabulary.unstring(arrays, "title_urls")
        ids = stored_vocabulary.unstring(arrays, "title_ids")
        for url, doc_id in zip(urls, ids):
            if url in wanted or (urlsplit(url).path or "/") in wanted:
                take(url, _docnum(gen, doc_id))
    else:
        reader = gen.searcher.reader()
        for docnum, fields in reader.iter_docs():
            if gen.live[docnum]:
                take(fields.get("url", ""), docnum)
    return matches
