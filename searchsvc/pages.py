"""The HTML pages: the same result dict as /search.json, rendered by Jinja."""

from __future__ import annotations

from flask import Blueprint, render_template

from .web import ServiceUnavailable, facet_values, live_generation, search_dict, settings

bp = Blueprint("pages", __name__)


@bp.get("/search")
def search_html():
    data = search_dict("/search")
    return render_template("search.html", data=data, facet_names=settings()["facets"] + ("year",))


@bp.get("/")
def home():
    try:
        with live_generation() as generation:
            popular = facet_values(generation, "tags", "/search")[:20]
    except ServiceUnavailable:
        popular = []
    return render_template("home.html", popular=popular)


