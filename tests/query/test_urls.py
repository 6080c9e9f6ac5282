"""query/urls.py: the one way the query side spells a URL with parameters."""

from __future__ import annotations

from searchsvc.query.urls import with_params, without_value


def test_with_params_appends_encoded_pairs_to_the_base():
    assert with_params("/search.json", []) == "/search.json"
    assert with_params("/search.json", [("q", "a b&c"), ("tags", "Ω")]) == "/search.json?q=a+b%26c&tags=%CE%A9"
    assert with_params("/prefix/search", [("q", "x"), ("q", "y")]) == "/prefix/search?q=x&q=y"  # the base keeps a deployment's prefix


def test_without_value_removes_a_facet_value_in_any_spelling_only_from_its_facet():
    pairs = [("q", "x"), ("tags", "Customer Experience"), ("tags", "OMB"), ("authors", "OMB")]
    assert without_value(pairs, "tags", "customer_experience") == [("q", "x"), ("tags", "OMB"), ("authors", "OMB")]
    assert without_value(pairs, "tags", "OMB") == [("q", "x"), ("tags", "Customer Experience"), ("authors", "OMB")]
    assert without_value(pairs, "tags", "nothing") == pairs
