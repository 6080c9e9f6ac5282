"""Display names of taxonomy terms (Hugo term pages) in results, facets and filters."""

from __future__ import annotations

from searchsvc.index.build import reindex
from searchsvc.settings import SAMPLE_CONTENT_DIR

from ..conftest import conf, open_app


def test_authors_show_their_term_page_names_and_filter_by_slug_or_name(tmp_path):
    index = tmp_path / "index"
    reindex(SAMPLE_CONTENT_DIR, index, conf(index_dir=str(index)))
    with open_app({"index_dir": str(index)}) as app:
        client = app.test_client()
        data = client.get("/search.json?q=cx+metrics+that+matter&per_page=1").get_json()
        assert data["results"][0]["authors"] == ["Dana Whitfield", "Li Wei Zhang"]
        dana = next(v for v in data["facets"]["authors"] if v["value"] == "dana-whitfield")
        assert (dana["label"], dana["term_url"]) == ("Dana Whitfield", "https://www.example.gov/authors/dana-whitfield/")
        tag = next(v for v in client.get("/search.json?q=omb").get_json()["facets"]["tags"] if v["value"] == "OMB")
        assert (tag["label"], tag["term_url"]) == ("OMB", "https://www.example.gov/tags/omb/")
        by_slug = client.get("/search.json?authors=dana-whitfield").get_json()
        by_name = client.get("/search.json?authors=Dana+Whitfield").get_json()
        assert by_slug["total"] == by_name["total"] == 4  # her fifth post is a draft
        assert [v["label"] for v in by_name["facets"]["authors"] if v["selected"]] == ["Dana Whitfield"]
        page = client.get("/search?authors=dana-whitfield").get_data(as_text=True)
        assert '<span class="facet__value">Dana Whitfield</span>' in page
