"""The summary comes from the front-matter keys the summary_keys setting lists, first usable one first."""

from __future__ import annotations

from searchsvc.ingest.post import load_post

from ..conftest import conf, write_post


def summary(tmp_path, front: str, **overrides) -> str:
    path = write_post(tmp_path, "2020-01-01-post.md", "title: A post\ndate: 2020-01-01\n" + front, "The body's own first words.")
    return load_post(path, tmp_path, conf(**overrides)).summary


def test_an_eleventy_excerpt_is_the_summary_by_default(tmp_path):
    assert summary(tmp_path, "excerpt: What the post is about.\ndescription: For search engines.") == "What the post is about."
    assert summary(tmp_path, "summary: Ours.\nexcerpt: Theirs.") == "Ours."


def test_the_keys_and_their_order_are_a_setting(tmp_path):
    front = "excerpt: The excerpt.\ndescription: The description.\nlead: The lead."
    assert summary(tmp_path, front, summary_keys="lead,description") == "The lead."
    assert summary(tmp_path, front, summary_keys="Description") == "The description."
    # none of the keys: the body's first words
    assert summary(tmp_path, front, summary_keys="deck") == "The body's own first words."
