"""Atom feeds of any search: ``/search.atom?tags=OMB`` is "new posts tagged OMB".

The parameters are those of ``/search.json``; the order is always newest
first (a feed reader shows what is new), so ``sort`` is not taken.  Ids are
stable across requests and reindexes: the feed's is its canonical address
(the state without ``page``), an entry's the post's absolute URL, or a
``urn:uuid`` derived from the post's document id when the site gives only
paths.  ``updated`` is the post's date; the feed's, its newest entry's (with
no entries, when the live generation was built), so an unchanged search
gives a byte-identical feed that readers and caches can skip.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
import xml.etree.ElementTree as ET

from flask import Blueprint, Response, g, request, url_for
from werkzeug.datastructures import MultiDict

from ..query.urls import with_params
from .pages import absolute, feed_title
from .resources import on_live, search_dict, settings

bp = Blueprint("feeds", __name__)

ATOM = "http://www.w3.org/2005/Atom"
FEED_PER_PAGE = "20"
# Characters XML 1.0 cannot carry at all: dropped rather than failing the feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH = "1970-01-01T00:00:00+00:00"


def _text(parent: ET.Element, tag: str, value: str, **attrs) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    element.text = _NOT_XML.sub("", value)
    return element


def _link(parent: ET.Element, href: str, rel: str, kind: str | None = None) -> None:
    attrs = {"rel": rel, "href": href}
    if kind:
        attrs["type"] = kind
    ET.SubElement(parent, f"{{{ATOM}}}link", attrs)


def _rfc3339(value: str | None, fallback: str) -> str:
    """A stored ISO date as Atom wants it (an offset always; a date alone is midnight UTC)."""
    if not value:
        return fallback
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        return fallback
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.isoformat(timespec="seconds")


def _entry_id(hit: dict) -> str:
    url = hit.get("url") or ""
    if url.startswith(("http://", "https://")):
        return url
    return uuid.uuid5(uuid.NAMESPACE_URL, "searchsvc:document:" + hit["id"]).urn


def _entry(feed: ET.Element, hit: dict, fallback: str) -> None:
    entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
    _text(entry, "id", _entry_id(hit))
    _text(entry, "title", hit.get("title") or hit["id"])
    _text(entry, "updated", _rfc3339(hit.get("date"), fallback))
    if hit.get("date"):
        _text(entry, "published", _rfc3339(hit["date"], fallback))
    if hit.get("url"):  # the result-link rule left it out when unsafe
        _link(entry, hit["url"], "alternate", "text/html")
    for name in hit.get("authors") or ():
        author = ET.SubElement(entry, f"{{{ATOM}}}author")
        _text(author, "name", name)
    terms = [value for name in ("tags", "categories") for value in hit.get(name) or ()]
    for value in dict.fromkeys(terms):  # a tag that is also a category is one term
        ET.SubElement(entry, f"{{{ATOM}}}category", {"term": _NOT_XML.sub("", value)})
    if hit.get("summary"):
        _text(entry, "summary", hit["summary"])


def _pairs() -> list[tuple[str, str]]:
    """The request's search state, newest first, page size defaulted for a feed."""
    pairs = [(k, v) for k, v in request.args.items(multi=True) if k != "sort"]
    if "per_page" not in request.args:
        pairs.append(("per_page", FEED_PER_PAGE))
    return pairs + [("sort", "newest")]


@bp.get("/search.atom")
def search_atom():
    conf = settings()
    pairs = _pairs()
    data = search_dict(url_for("pages.search_html"), MultiDict(pairs))
    canonical = [(k, v) for k, v in pairs if k not in ("page", "sort")]
    feed_path = with_params(url_for("feeds.search_atom"), canonical)
    page_path = with_params(url_for("pages.search_html"), [(k, v) for k, v in canonical if k != "per_page"] + [("sort", "newest")])
    built = _rfc3339(on_live(lambda generation: generation.meta.get("finished_at")), _EPOCH)
    dates = [_rfc3339(hit.get("date"), built) for hit in data["results"]]

    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    own = absolute(feed_path)
    _text(feed, "id", own or uuid.uuid5(uuid.NAMESPACE_URL, "searchsvc:feed:" + feed_path).urn)
    _text(feed, "title", f"{feed_title(data['query'], canonical)} – {conf['site_name'] or 'Site search'}")
    _text(feed, "updated", max(dates, key=lambda d: dt.datetime.fromisoformat(d)) if dates else built)
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", conf["site_name"] or "Site search")
    _text(feed, "generator", "searchsvc")
    _link(feed, own or feed_path, "self", "application/atom+xml")
    _link(feed, absolute(page_path) or page_path, "alternate", "text/html")
    for hit in data["results"]:
        _entry(feed, hit, built)
    body = ET.tostring(feed, encoding="unicode", xml_declaration=False)
    response = Response('<?xml version="1.0" encoding="utf-8"?>\n' + body, mimetype="application/atom+xml")
    if g.get("searchsvc_generation") is not None:
        response.headers["X-Search-Generation"] = str(g.searchsvc_generation)
    return response
