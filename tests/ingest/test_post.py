"""Files -> documents (searchsvc/ingest/): every quirk with its literal result.

Small posts are written into pytest's tmp_path; three readable examples live
in tests/fixtures/extraction/.  The last test loads the real corpus
(../shared/corpus/digitalgov-2017) and is skipped when it is absent.
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from searchsvc.ingest import post as post_module
from searchsvc.ingest import walk as documents
from searchsvc import settings as settings_mod
from searchsvc.cli import main
from searchsvc.ingest.dates import parse_date
from searchsvc.ingest.document import Document, PostError, Skip, Unpublished
from searchsvc.ingest.post import load_post
from searchsvc.ingest.text import Heading, render
from searchsvc.ingest.walk import iter_post_paths
from searchsvc.words import facet_key

from ..conftest import load_budget

def markdown_to_text(source: str) -> str:
    """A plain folder's Markdown body as text (ingest.text, the commonmark dialect)."""
    return render(source, "commonmark").body


def html_to_text(source: str) -> str:
    return render(source, "html").body


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "extraction"
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "digitalgov-2017"
UTC = dt.timezone.utc
NOW = dt.datetime(2017, 6, 1, 12, 0, tzinfo=UTC)


def conf(**overrides):
    return settings_mod.load(overrides, environ={})


SETTINGS = conf()


def write(root: Path, text: str | bytes, name: str = "2016-03-01-post.md") -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        path.write_bytes(text.encode("utf-8"))
    else:
        path.write_bytes(text)
    return path


def load(root: Path, text: str | bytes, name: str = "2016-03-01-post.md", **overrides) -> Document:
    path = write(root, text, name)
    return load_post(path, root, conf(**overrides) if overrides else SETTINGS, now=NOW)


def reason(root: Path, text: str | bytes, name: str = "2016-03-01-post.md", **overrides) -> str:
    path = write(root, text, name)
    with pytest.raises(PostError) as info:
        load_post(path, root, conf(**overrides) if overrides else SETTINGS, now=NOW)
    return str(info.value)


def post(front: str, body: str = "Body text.", date: bool = True) -> str:
    """A post; a date is added after the given fields unless one is there."""
    front = front.strip()
    if date and not re.search(r"^(date|publishdate):", front, re.MULTILINE | re.IGNORECASE):
        front += "\ndate: 2016-03-01"
    return f"---\n{front}\n---\n\n{body}\n"


# ---------------------------------------------------------------------------
# The fixtures: a WordPress export, a Hugo TOML post, a page bundle


def test_wordpress_export_fixture():
    doc = load_post(FIXTURES / "2015-12-14-wordpress-export.md", FIXTURES, SETTINGS)
    assert doc == Document(
        id="2015-12-14-wordpress-export.md",
        title="The Content Corner: Webinar Recap—What’s Next",
        summary="OMB’s team shared an update: what comes next.",
        body=(
            "OMB’s Lisa Danzig shared a status update on the goal. Business concept\n"
            "Background\n"
            "Focus on the frontline\n"
            "Feedback and transparency\n"
            "Why live tweeting is important\n"
            "The team at work."
        ),
        date=dt.datetime(2015, 12, 14, 1, 0, 28, tzinfo=dt.timezone(dt.timedelta(hours=-4))),
        url="/2015/12/14/wordpress-export/",
        facets={
            "tags": ["Customer Experience", "OMB"],
            "categories": ["Strategy & Policy"],
            "authors": ["jsnee"],
            "topics": [],
        },
        warnings=[],
        headings=[Heading(level=2, text="Background", anchor="background", offset=71)],
    )


def test_hugo_toml_fixture_with_extra_facet():
    doc = load_post(FIXTURES / "hugo-toml.md", FIXTURES, conf(facets="tags,categories,authors,topics,series"))
    assert (doc.title, doc.summary, doc.url) == ("Hugo & TOML", "A TOML post with Hugo shortcodes.", "/2017/01/05/hugo-and-toml/")
    assert doc.body == "Shortcodes keep their inner text. So do percent ones.\nGo templates vanish."
    assert doc.date == dt.datetime(2017, 1, 5, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert doc.facets == {"tags": ["Hugo", "TOML"], "categories": [], "authors": [], "topics": [], "series": ["Static sites"]}


def test_page_bundle_takes_its_slug_from_the_folder():
    doc = load_post(FIXTURES / "page-bundle" / "index.md", FIXTURES, SETTINGS)
    assert (doc.id, doc.url) == ("page-bundle/index.md", "/2016/03/01/page-bundle/")


def test_documents_pickle_for_the_process_pool():
    doc = load_post(FIXTURES / "hugo-toml.md", FIXTURES, SETTINGS)
    assert pickle.loads(pickle.dumps(doc)) == doc


# ---------------------------------------------------------------------------
# iter_post_paths


def test_walk_is_recursive_sorted_and_skips_hidden_and_other_files(tmp_path):
    for name in ["b.md", "a.MD", "c.Markdown", "d.html", "notes.txt", ".hidden.md", ".git/x.md",
                 "z/y.md", "z/.drafts/q.md", "z/_index.md", "m/n.md", "a/x.md"]:
        write(tmp_path, post("title: t"), name)
    (tmp_path / "dir.md").mkdir()
    found = [p.relative_to(tmp_path).as_posix() for p in iter_post_paths(tmp_path)]
    assert found == ["a/x.md", "a.MD", "b.md", "c.Markdown", "d.html", "m/n.md", "z/_index.md", "z/y.md"]


def test_walk_never_leaves_the_root_and_survives_loops(tmp_path):
    root = tmp_path / "content"
    outside = tmp_path / "outside"
    write(outside, post("title: secret"), "secret.md")
    write(root, post("title: real"), "real/post.md")
    (root / "out-file.md").symlink_to(outside / "secret.md")
    (root / "out-dir").symlink_to(outside)
    (root / "real" / "loop").symlink_to(root)
    (root / "alias").symlink_to(root / "real")
    (root / "alias.md").symlink_to(root / "real" / "post.md")
    (root / "dangling.md").symlink_to(root / "nothing.md")
    found = [p.relative_to(root).as_posix() for p in iter_post_paths(root)]
    assert found == ["real/post.md"]


def test_walk_follows_an_inside_link_to_a_folder_not_otherwise_reached(tmp_path):
    root = tmp_path / "content"
    write(root / ".store", post("title: t"), "kept.md")  # hidden: only reachable through the link
    (root / "posts").symlink_to(root / ".store")
    assert [p.relative_to(root).as_posix() for p in iter_post_paths(root)] == ["posts/kept.md"]


def test_walk_orders_by_path_parts_not_by_string(tmp_path):
    # As strings "a-b/x.md" < "a/y.md" ('-' sorts before '/'); by parts "a" < "a-b".
    for name in ["a-b/x.md", "a/y.md", "a.b.md", "a/z/w.md", "a0.md", "A/q.md"]:
        write(tmp_path, post("title: t"), name)
    found = [p.relative_to(tmp_path).as_posix() for p in iter_post_paths(tmp_path)]
    assert found == ["A/q.md", "a/y.md", "a/z/w.md", "a-b/x.md", "a.b.md", "a0.md"]
    assert found == [p.relative_to(tmp_path).as_posix() for p in sorted((tmp_path / n for n in found), key=lambda p: p.parts)]


def test_walk_lists_a_hard_linked_post_once_and_a_post_behind_two_links_once(tmp_path):
    root = tmp_path / "content"
    write(root, post("title: t"), "posts/a.md")
    os.link(root / "posts" / "a.md", root / "posts" / "b.md")  # same inode: one post
    write(root / ".store", post("title: s"), "s.md")  # hidden: reachable through links only
    (root / "linked").symlink_to(root / ".store")
    (root / "z.md").symlink_to(root / ".store" / "s.md")  # the same file again, by a later link
    found = [p.relative_to(root).as_posix() for p in iter_post_paths(root)]
    assert found == ["linked/s.md", "posts/a.md"]


def test_walk_of_the_current_folder_gives_relative_paths(tmp_path, monkeypatch):
    write(tmp_path, post("title: t"), "x/a.md")
    monkeypatch.chdir(tmp_path)
    assert [str(p) for p in iter_post_paths(Path("."))] == ["x/a.md"]
    assert [path for path, _ in documents.walk_posts(str(tmp_path) + "/")] == [f"{tmp_path}/x/a.md"]


def test_walk_skips_unlistable_folders(tmp_path, monkeypatch):
    write(tmp_path, post("title: t"), "ok/a.md")
    write(tmp_path, post("title: t"), "locked/b.md")
    real_open = os.open

    def open_folder(path, *args, **kwargs):  # the walk opens each folder to list it (root ignores chmod 000)
        if isinstance(path, str) and Path(path).name == "locked":
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(documents.os, "open", open_folder)
    assert [p.relative_to(tmp_path).as_posix() for p in iter_post_paths(tmp_path)] == ["ok/a.md"]


def test_walk_yields_only_regular_files(tmp_path):
    os.mkfifo(tmp_path / "pipe.md")
    write(tmp_path, post("title: t"), "a.md")
    assert [p.name for p in iter_post_paths(tmp_path)] == ["a.md"]


def test_non_utf8_file_name_is_listed_and_refused_with_a_reason(tmp_path):
    raw_name = os.fsencode(tmp_path) + b"/caf\xe9.md"
    with open(raw_name, "wb") as handle:
        handle.write(post("title: t").encode())
    paths = list(iter_post_paths(tmp_path))
    assert len(paths) == 1
    with pytest.raises(PostError, match=r"^file name is not valid UTF-8$"):
        load_post(paths[0], tmp_path, SETTINGS)


def test_missing_root_yields_nothing(tmp_path):
    assert list(iter_post_paths(tmp_path / "absent")) == []


# ---------------------------------------------------------------------------
# Reading: encodings, sizes, unreadable files


def test_blank_lines_crlf_and_bom(tmp_path):
    raw = b"\xef\xbb\xbf\r\n\r\n---\r\ntitle: 'Windows\\: post'\r\ntags: [A]\r\n---\r\n\r\nLine one.\r\nLine two.\r\n"
    doc = load(tmp_path, raw)
    assert (doc.title, doc.body, doc.facets["tags"]) == ("Windows: post", "Line one. Line two.", ["A"])


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_bom_are_decoded(tmp_path, encoding):
    raw = post("title: Ünïcode", "Grüße.").encode(encoding)
    if encoding == "utf-16-be":
        raw = b"\xfe\xff" + raw
    doc = load(tmp_path, raw)
    assert (doc.title, doc.body) == ("Ünïcode", "Grüße.")


def test_utf16_without_a_full_character_is_refused(tmp_path):
    assert reason(tmp_path, b"\xff\xfe-\x00-\x00-") == "not valid UTF-16"


@pytest.mark.parametrize(
    "raw, expected",
    [
        (b"", "empty file"),
        (b"  \n\n\t\n", "empty file"),
        (b"---\ntitle: x\n---\n\x00\x01\x02binary", "binary file (contains NUL bytes)"),
        (b"---\ntitle: caf\xe9\n---\nbody", "not valid UTF-8 (line 2)"),
        (b"Just text, no header.\n", "no front matter (the file must start with a '---' line)"),
        (b"---\ntitle: never closed\n\nbody", "front matter is not closed (no second '---' line)"),
    ],
)
def test_unreadable_contents(tmp_path, raw, expected):
    assert reason(tmp_path, raw) == expected


def test_size_is_checked_before_reading(tmp_path):
    path = tmp_path / "huge.md"
    with open(path, "wb") as handle:
        handle.truncate(10 * 1024**3)  # sparse 10 GiB: reading it would not finish
    started = time.monotonic()
    with pytest.raises(PostError) as info:
        load_post(path, tmp_path, SETTINGS)
    assert str(info.value) == "file is 10737418240 bytes, over the limit of 2097152 bytes (setting max_post_bytes)"
    assert time.monotonic() - started < load_budget(1)


def test_size_limit_comes_from_the_setting(tmp_path):
    text = post("title: t", "x" * 200)
    assert reason(tmp_path, text, max_post_bytes=100) == (
        f"file is {len(text)} bytes, over the limit of 100 bytes (setting max_post_bytes)"
    )


def test_vanished_file(tmp_path):
    with pytest.raises(PostError, match=r"^file vanished"):
        load_post(tmp_path / "gone.md", tmp_path, SETTINGS)


def test_permission_denied(tmp_path, monkeypatch):
    path = write(tmp_path, post("title: t"))

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(documents.os, "open", denied)
    with pytest.raises(PostError, match=r"^permission denied$"):
        load_post(path, tmp_path, SETTINGS)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_permission_denied_for_real(tmp_path):
    path = write(tmp_path, post("title: t"))
    path.chmod(0)
    with pytest.raises(PostError, match=r"^permission denied$"):
        load_post(path, tmp_path, SETTINGS)


def test_fifo_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe.md")
    with pytest.raises(PostError, match=r"^not a regular file$"):
        load_post(tmp_path / "pipe.md", tmp_path, SETTINGS)


def test_link_out_of_the_root_is_refused_by_load_post_too(tmp_path):
    write(tmp_path / "outside", post("title: secret"), "s.md")
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "s.md").symlink_to(tmp_path / "outside" / "s.md")
    with pytest.raises(PostError, match=r"^outside the content directory"):
        load_post(tmp_path / "content" / "s.md", tmp_path / "content", SETTINGS)


def test_unexpected_errors_become_post_errors(tmp_path, monkeypatch):
    path = write(tmp_path, post("title: t"))

    def boom(source):
        raise ValueError("boom\nsecond line")

    monkeypatch.setattr(post_module, "render", lambda source, dialect: boom(source))
    with pytest.raises(PostError, match=r"^unexpected ValueError: boom$"):
        load_post(path, tmp_path, SETTINGS)


# ---------------------------------------------------------------------------
# Front matter: YAML, TOML, hostile YAML


def test_toml_front_matter(tmp_path):
    text = '+++\ntitle = "TOML post"\ndate = 2017-01-05T09:00:00Z\ntags = ["a", "b"]\nauthors = "ann"\n+++\nHello.\n'
    doc = load(tmp_path, text)
    assert (doc.title, doc.date, doc.facets["tags"], doc.facets["authors"]) == (
        "TOML post", dt.datetime(2017, 1, 5, 9, 0, tzinfo=UTC), ["a", "b"], ["ann"]
    )


def test_invalid_toml_names_the_line(tmp_path):
    assert reason(tmp_path, '+++\ntitle = "ok"\ntags = [unquoted]\n+++\nx') == "front matter is not valid TOML (line 3)"


def test_invalid_yaml_names_the_file_line(tmp_path):
    text = "\n---\ntitle: fine\nsummary: bad: colon: here\n---\nbody"
    assert reason(tmp_path, text) == "front matter is not valid YAML (line 4)"


def test_python_tags_are_refused_and_never_run(tmp_path):
    marker = tmp_path / "executed"
    text = post(f"title: x\nsummary: !!python/object/apply:os.system ['touch {marker}']")
    assert reason(tmp_path, text) == "front matter uses a YAML tag that is not allowed (line 3)"
    assert not marker.exists()
    assert reason(tmp_path, post("title: !!python/object:os.stat_result {}")) == (
        "front matter uses a YAML tag that is not allowed (line 2)"
    )


def test_alias_bomb_is_refused_quickly(tmp_path):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    text = post("title: bomb\n" + "\n".join(lines))
    started = time.monotonic()
    assert reason(tmp_path, text) == (
        "front matter uses a YAML alias (*name, near line 3); aliases are not allowed"
    )
    assert time.monotonic() - started < load_budget(1)


def test_recursive_alias_is_refused(tmp_path):
    assert reason(tmp_path, post("title: x\ntags: &t [a, *t]")).startswith("front matter uses a YAML alias")


@pytest.mark.parametrize(
    "front, expected",
    [
        ("- a\n- b", "front matter is a list, not a mapping of fields"),
        ("just a sentence", "front matter is a single value (str), not a mapping of fields"),
    ],
)
def test_front_matter_must_be_a_mapping(tmp_path, front, expected):
    assert reason(tmp_path, f"---\n{front}\n---\nbody") == expected


def skipped(root: Path, text: str, name: str = "2016-03-01-post.md") -> tuple[str, str]:
    path = write(root, text, name)
    with pytest.raises(Skip) as info:
        load_post(path, root, SETTINGS, now=NOW)
    return info.value.kind, info.value.reason


def test_front_matter_is_read_whatever_its_size_within_the_post_limit(tmp_path):
    """A real Hugo site's redirects page has 114 KB of front matter (issue 10)."""
    doc = load(tmp_path, post("title: big\naliases: [" + ", ".join(f"/old/{i}/" for i in range(12_000)) + "]"))
    assert doc.title == "big"


def test_json_front_matter_as_hugo_reads_it(tmp_path):
    doc = load(tmp_path, '{\n  "title": "From JSON",\n  "tags": ["a", "b"],\n  "date": "2016-03-01"\n}\nThe body.\n')
    assert (doc.title, doc.facets["tags"], doc.body) == ("From JSON", ["a", "b"], "The body.")


def test_front_matter_only_is_fine(tmp_path):
    doc = load(tmp_path, "---\ntitle: Only a header\n---\n")
    assert (doc.title, doc.body, doc.summary) == ("Only a header", "", "")


# ---------------------------------------------------------------------------
# Title


@pytest.mark.parametrize("front", ["summary: s", "title:", "title: ''", "title: '   '", "title: '&nbsp;'", ""])
def test_a_page_without_a_title_is_not_a_page_not_a_failure(tmp_path, front):
    """Redirect and tag stubs (15 of them in the 18F pages) are no failures (issue 10)."""
    assert skipped(tmp_path, post(front)) == ("not a page", "no title (a page without one is not a search result)")


def test_title_that_is_a_list_is_refused(tmp_path):
    assert reason(tmp_path, post("title: [a, b]")) == "title is a list, not text"


def test_title_entities_escaped_colon_and_whitespace(tmp_path):
    text = post("title: 'The Content Corner\\: Is Pair Writing Right for You?'")
    assert load(tmp_path, text).title == "The Content Corner: Is Pair Writing Right for You?"
    text = post("title: '  A &mdash; B &rsquo;s &amp; C&nbsp;&nbsp; D &amp;#8220;E&amp;#8221; '")
    assert load(tmp_path, text).title == "A — B ’s & C D “E”"


def test_numeric_title_is_text(tmp_path):
    assert load(tmp_path, post("title: 2016")).title == "2016"


def test_long_title_is_cut_with_a_warning(tmp_path):
    doc = load(tmp_path, post("title: " + "word " * 100))
    assert len(doc.title) == 300
    assert doc.title == "word " * 59 + "word…"
    assert doc.warnings == ["2016-03-01-post.md: title is 499 characters; cut to 300"]


def test_markup_in_title_and_tags_stays_literal_text(tmp_path):
    text = post(
        "title: '<script>alert(1)</script> Hi'\ntags: ['<img src=x onerror=alert(1)>']",
        "<img src=x onerror=alert(1)>Body <script>alert(2)</script>text.",
    )
    doc = load(tmp_path, text)
    assert doc.title == "<script>alert(1)</script> Hi"
    assert doc.facets["tags"] == ["<img src=x onerror=alert(1)>"]
    assert doc.body == "Body text."


# ---------------------------------------------------------------------------
# Facets


def test_facet_key():
    assert facet_key("Customer Experience") == "customer-experience"
    assert facet_key("customer-experience") == "customer-experience"
    assert facet_key("customer_experience") == "customer-experience"
    assert facet_key("  Customer _-  Experience -") == "customer-experience"
    assert facet_key("Strategy &amp; Policy") == facet_key("Strategy & Policy") == "strategy-&-policy"
    assert facet_key("STRASSE") == facet_key("Straße") == "strasse"


@pytest.mark.parametrize(
    "front, expected",
    [
        ("authors: jsnee", ["jsnee"]),
        ("authors: [jsnee, '', '  ', null, bob]", ["jsnee", "bob"]),
        ("authors: null", []),
        ("author: ann", ["ann"]),
        ("authors: [ann]\nauthor: bob", ["ann", "bob"]),
        ("authors: ''", []),
    ],
)
def test_authors_shapes(tmp_path, front, expected):
    assert load(tmp_path, post("title: t\n" + front)).facets["authors"] == expected


@pytest.mark.parametrize(
    "front, expected",
    [
        ("tags: 508", ["508"]),
        ("tags: 'API, Data'", ["API, Data"]),  # a string is one value, as in Hugo
        ("tags: [API, 2016, true, 1.5]", ["API", "2016", "true", "1.5"]),
        ("tags: [[a, b], c, [d]]", ["a", "b", "c", "d"]),
        ("tags: [Customer Experience, customer_experience, CUSTOMER-EXPERIENCE, CX]", ["Customer Experience", "CX"]),
        ("tags: ['  spaced\n  out  ', 'Safety &amp; Health']", ["spaced out", "Safety & Health"]),
        ("tags: ['---', '_']", []),
        ("tags:", []),
    ],
)
def test_tag_shapes(tmp_path, front, expected):
    doc = load(tmp_path, post("title: t\n" + front))
    assert (doc.facets["tags"], doc.warnings) == (expected, [])


def test_tags_as_a_mapping_are_ignored_with_a_warning(tmp_path):
    doc = load(tmp_path, post("title: t\ntags: {a: 1}\ncategories: [x, {y: 1}, [[deep]]]"))
    assert doc.facets["tags"] == [] and doc.facets["categories"] == ["x"]
    assert doc.warnings == [
        "2016-03-01-post.md: tags is a mapping, not a list of values; ignored",
        "2016-03-01-post.md: categories: 2 value(s) that are not text ignored",
    ]


def test_facet_caps(tmp_path):
    tags = ", ".join(f"t{i}" for i in range(150))
    doc = load(tmp_path, post(f"title: t\ntags: [{tags}, '{'x' * 250}']\ncategories: ['{'y' * 250}']"))
    assert len(doc.facets["tags"]) == 100 and doc.facets["tags"][-1] == "t99"
    assert doc.facets["categories"] == ["y" * 199 + "…"]
    assert doc.warnings == [
        "2016-03-01-post.md: tags: 1 value(s) longer than 200 characters cut",
        "2016-03-01-post.md: tags: 151 values; only the first 100 kept",
        "2016-03-01-post.md: categories: 1 value(s) longer than 200 characters cut",
    ]


def test_configured_facets_only_and_case_insensitive_keys(tmp_path):
    doc = load(tmp_path, post("title: t\nTags: [a]\nSeries: [Intro]\ntopics: z"), facets="tags,series")
    assert doc.facets == {"tags": ["a"], "series": ["Intro"]}


# ---------------------------------------------------------------------------
# Published or not


@pytest.mark.parametrize("value", ["true", "'true'", "'True'", "yes", "'yes'"])
def test_drafts_are_unpublished(tmp_path, value):
    path = write(tmp_path, post(f"title: t\ndraft: {value}"))
    with pytest.raises(Unpublished, match=r"^draft: true$"):
        load_post(path, tmp_path, SETTINGS, now=NOW)
    assert load_post(path, tmp_path, conf(index_drafts=True), now=NOW).title == "t"


def test_draft_false_and_published_false(tmp_path):
    assert load(tmp_path, post("title: t\ndraft: false")).title == "t"
    path = write(tmp_path, post("title: t\npublished: false"))
    with pytest.raises(Unpublished, match=r"^published: false$"):
        load_post(path, tmp_path, SETTINGS, now=NOW)


def test_a_draft_without_title_is_unpublished_not_broken(tmp_path):
    path = write(tmp_path, post("draft: true"))
    with pytest.raises(Unpublished, match=r"^draft: true$"):
        load_post(path, tmp_path, SETTINGS, now=NOW)


@pytest.mark.parametrize(
    "front, expected",
    [
        ("expirydate: 2016-01-01", "expired 2016-01-01"),
        ("expiryDate: '2017-06-01T11:59:59Z'", "expired 2017-06-01T11:59:59Z"),
        ("expiry_date: 2017-06-01 08:00:00 -0400", "expired 2017-06-01 08:00:00 -0400"),
    ],
)
def test_expired_posts_are_unpublished(tmp_path, front, expected):
    path = write(tmp_path, post("title: t\n" + front))
    with pytest.raises(Unpublished) as info:
        load_post(path, tmp_path, SETTINGS, now=NOW)
    assert str(info.value) == expected
    assert load_post(path, tmp_path, conf(index_expired=True), now=NOW).title == "t"


def test_not_yet_expired_and_future_dated_posts_are_indexed(tmp_path):
    doc = load(tmp_path, post("title: t\ndate: 2030-01-01\nexpirydate: 2017-06-01 08:00:01 -0400"))
    assert doc.date == dt.datetime(2030, 1, 1)


def test_expiry_uses_the_current_time_by_default(tmp_path):
    path = write(tmp_path, post("title: t\nexpirydate: 2000-01-01"))
    with pytest.raises(Unpublished, match=r"^expired 2000-01-01$"):
        load_post(path, tmp_path, SETTINGS)
    assert load_post(write(tmp_path, post("title: t\nexpirydate: 2999-01-01")), tmp_path, SETTINGS).title == "t"


def test_unusable_expiry_is_ignored_with_a_warning(tmp_path):
    doc = load(tmp_path, post("title: t\ndate: 2016-03-01\nexpirydate: someday"))
    assert doc.warnings == ["2016-03-01-post.md: expiry date 'someday' is not a date; ignored"]


# ---------------------------------------------------------------------------
# Dates


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2015-12-14 1:00:28 -0400", dt.datetime(2015, 12, 14, 1, 0, 28, tzinfo=dt.timezone(dt.timedelta(hours=-4)))),
        ("2015-12-14 13:00:28 +0530", dt.datetime(2015, 12, 14, 13, 0, 28, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))),
        ("2017-01-05T09:00:00-05:00", dt.datetime(2017, 1, 5, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))),
        ("2017-01-05T09:00:00Z", dt.datetime(2017, 1, 5, 9, 0, tzinfo=UTC)),
        ("2017-01-05T09:00:00.250Z", dt.datetime(2017, 1, 5, 9, 0, 0, 250000, tzinfo=UTC)),
        ("2017-01-05T09:00:00", dt.datetime(2017, 1, 5, 9, 0)),
        ("2017-01-05 09:00", dt.datetime(2017, 1, 5, 9, 0)),
        ("2016-03-01", dt.datetime(2016, 3, 1)),
        ("  2016-3-1 ", dt.datetime(2016, 3, 1)),
        ("Mon, 14 Dec 2015 01:00:28 -0400", dt.datetime(2015, 12, 14, 1, 0, 28, tzinfo=dt.timezone(dt.timedelta(hours=-4)))),
        ("January 5, 2017", dt.datetime(2017, 1, 5)),
        (dt.date(2016, 3, 1), dt.datetime(2016, 3, 1)),
        (dt.datetime(2016, 3, 1, 5, tzinfo=UTC), dt.datetime(2016, 3, 1, 5, tzinfo=UTC)),
        ("garbage", None),
        ("2016-13-01", None),
        ("2016-02-30", None),
        ("2016-01-01 25:00:00", None),
        ("2016-01-01 10:00:00 +2500", None),
        ("", None),
        (None, None),
        (2016, None),
        (["2016-01-01"], None),
        ("2016-01-01 " + "x" * 200, None),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


def test_yaml_dates_of_every_kind(tmp_path):
    cases = {
        "date: 2015-12-14 1:00:28 -0400": dt.datetime(2015, 12, 14, 1, 0, 28, tzinfo=dt.timezone(dt.timedelta(hours=-4))),
        "date: 2017-06-01T00:20:35-07:00": dt.datetime(2017, 6, 1, 0, 20, 35, tzinfo=dt.timezone(dt.timedelta(hours=-7))),
        "date: 2016-03-01": dt.datetime(2016, 3, 1),
        "date: 2016-03-01 10:00:00": dt.datetime(2016, 3, 1, 10, 0),
        "publishDate: 2016-03-02": dt.datetime(2016, 3, 2),
    }
    for front, expected in cases.items():
        doc = load(tmp_path, post("title: t\n" + front))
        assert (doc.date, doc.warnings) == (expected, [])


@pytest.mark.parametrize(
    "front, shown",
    [("date: garbage", "'garbage'"), ("title2: x", "missing"), ("date: 2016", "2016"), ("date: ''", "missing")],
)
def test_unusable_date_falls_back_to_mtime(tmp_path, front, shown):
    path = write(tmp_path, post("title: t\n" + front, date=False))
    os.utime(path, (1450000000, 1450000000))
    doc = load_post(path, tmp_path, SETTINGS, now=NOW)
    assert doc.date == dt.datetime(2015, 12, 13, 9, 46, 40, tzinfo=UTC)
    assert doc.warnings == [f"2016-03-01-post.md: no usable date ({shown}); using the file's modification time"]
    assert doc.url == "/2015/12/13/post/"


# ---------------------------------------------------------------------------
# Summary


def test_summary_from_front_matter_is_decoded_and_collapsed(tmp_path):
    text = post("title: t\nsummary: '  We&amp;#8217;re  here\\: now&nbsp;&mdash; {% img=&quot;x.jpg&quot; alt=&quot;a'")
    assert load(tmp_path, text).summary == "We’re here: now —"


@pytest.mark.parametrize("front", ["", "summary:", "summary: ''", "summary: '...'", "summary: '…'", "summary: Summary", "summary: TODO"])
def test_missing_or_placeholder_summary_uses_the_body(tmp_path, front):
    body = " ".join(f"w{i}" for i in range(60))
    doc = load(tmp_path, post("title: t\n" + front, body))
    assert doc.summary == " ".join(f"w{i}" for i in range(40)) + "…"


def test_short_body_summary_has_no_ellipsis(tmp_path):
    assert load(tmp_path, post("title: t", "Only *five* words here, friend.")).summary == "Only five words here, friend."


def test_summary_falls_back_to_deck_then_description(tmp_path):
    assert load(tmp_path, post("title: t\nsummary: '...'\ndeck: The deck.\ndescription: The description.")).summary == "The deck."
    assert load(tmp_path, post("title: t\ndescription: The description.")).summary == "The description."


def test_long_summary_is_cut_at_a_word(tmp_path):
    doc = load(tmp_path, post("title: t\nsummary: '" + "abcdefghi " * 60 + "'"))
    assert doc.summary == "abcdefghi " * 49 + "abcdefghi…"
    assert len(doc.summary) == 500


# ---------------------------------------------------------------------------
# URL and id


def test_url_from_front_matter(tmp_path):
    assert load(tmp_path, post("title: t\nurl: /about/")).url == "/about/"
    assert load(tmp_path, post("title: t\npermalink: about/us/")).url == "/about/us/"
    assert load(tmp_path, post("title: t\nurl: 'https://example.gov/x/'")).url == "https://example.gov/x/"


@pytest.mark.parametrize("value", ["'javascript:alert(1)'", "'java\tscript:alert(1)'", "'//evil.example/'", "[a]"])
def test_unsafe_or_odd_url_is_ignored(tmp_path, value):
    doc = load(tmp_path, post(f"title: t\ndate: 2016-03-01\nurl: {value}"))
    assert doc.url == "/2016/03/01/post/"
    assert len(doc.warnings) == 1 and doc.warnings[0].endswith("is not a site path or http(s) URL; ignored")


@pytest.mark.parametrize(
    "name, front, expected",
    [
        ("2015-12-14-webinar-recap.md", "title: t\ndate: 2015-12-14 1:00:28 -0400", "/2015/12/14/webinar-recap/"),
        ("2015-12-14-webinar-recap.md", "title: t\ndate: 2016-01-02\nslug: Own Slug", "/2016/01/02/own-slug/"),
        ("Some Post.markdown", "title: t\ndate: 2016-01-02", "/2016/01/02/some-post/"),
        ("2016-01-02.md", "title: 'Über: a title!'\ndate: 2016-01-02", "/2016/01/02/über-a-title/"),
    ],
)
def test_url_from_the_pattern(tmp_path, name, front, expected):
    assert load(tmp_path, post(front), name).url == expected


def test_url_pattern_with_section(tmp_path):
    front = post("title: t\ndate: 2016-01-02")
    assert load(tmp_path, front, "events/2016-01-02-talk.md", url_pattern="/{section}/{slug}/").url == "/events/talk/"
    assert load(tmp_path, front, "2016-01-02-talk.md", url_pattern="/{section}/{slug}/").url == "/talk/"


def test_url_pattern_with_an_unknown_field_is_a_usage_error_before_anything_is_written(tmp_path):
    """A typo in a setting must not publish an index of failures (issue 10): exit 2, no generation."""
    write(tmp_path / "site", post("title: t\ndate: 2016-01-02"))
    env = {"SEARCHSVC_URL_PATTERN": "/{author}/{slug}/"}
    result = CliRunner().invoke(main, ["reindex", str(tmp_path / "site"), "--index", str(tmp_path / "index")], env=env)
    assert result.exit_code == 2
    assert result.output.strip() == (
        "searchsvc reindex: SEARCHSVC_URL_PATTERN (setting url_pattern) has an unknown field {author}; "
        "use {day} {month} {section} {slug} {year}"
    )
    assert not (tmp_path / "index").exists()


def test_id_is_the_relative_path_with_forward_slashes(tmp_path):
    doc = load(tmp_path, post("title: t"), "2015/12/post.md")
    assert doc.id == "2015/12/post.md"


# ---------------------------------------------------------------------------
# Body text


def test_markdown_links_emphasis_and_blocks():
    source = "# Head\n\nA [link text](http://example.com/x \"title\") and **bold**.\n\n* one\n* two\n\n> quoted\n\n![alt text](http://example.com/i.png)"
    # An image's alt text stays, where the image stands (what a screen reader reads).
    assert markdown_to_text(source) == "Head\nA link text and bold.\none\ntwo\nquoted\nalt text"


def test_block_elements_never_glue_words():
    assert html_to_text("<p>a</p><p>b</p>") == "a\nb"
    assert html_to_text("<div>a<div>b</div>c</div><br>d<li>e</li><td>f</td><td>g</td>") == "a\nb\nc\nd\ne\nf\ng"
    assert html_to_text("un<em>believ</em>able <b>x</b>y") == "unbelievable xy"
    assert html_to_text("  lots \n\n of\t\u00a0space  ") == "lots of space"


def test_script_style_and_friends_never_reach_the_text():
    source = (
        "<p>a</p><script>alert(1)</script><style>p{}</style><noscript>ns</noscript>"
        "<template>tp</template><iframe src='x'>if</iframe><object>ob</object><svg><text>sv</text></svg>"
        "<!-- comment --><img src=x onerror=alert(1)><p onclick='evil()'>b</p>"
    )
    assert html_to_text(source) == "a\nb"
    assert markdown_to_text("Text.\n\n<script>\nalert(1)\n</script>\n\nMore <style>x{}</style>text.") == "Text.\nMore text."


def test_unclosed_script_swallows_only_script():
    assert html_to_text("<p>ok</p><script>never closed <p>x</p>") == "ok"


def test_entities_and_xml_declarations():
    assert html_to_text("a &amp; b &lt;tag&gt; &#8217;") == "a & b <tag> ’"
    # A document's <title> is not text on the page (the title comes from front matter).
    assert html_to_text('<?xml version="1.0"?><rss><title>Feed</title><p>Item</p></rss>') == "Item"


def test_liquid_hugo_and_wordpress_shortcodes_leave_no_markup():
    source = (
        '{% include image/full-width.html img="https://x/y.jpg" alt="An image" %}\n'
        "Intro {{ site.title }} text.\n\n"
        "{{< note >}}Kept note.{{< /note >}}\n\n"
        "{{% warning title=\"W\" %}}Kept warning.{{% /warning %}}\n\n"
        "{{< youtube id=\"abc\" >}}\n\n"
        "{% comment %}hidden remark{% endcomment %}\n\n"
        "{% raw %}raw kept{% endraw %}\n\n"
        "[youtube=http://www.youtube.com/watch?v=JZvGF8UsanU&w=600]\n\n"
        "[youtube https://www.youtube.com/watch?v=6muKykwvYOI]\n\n"
        "[caption id=\"attachment_5\" align=\"alignleft\" width=\"300\"]<img src=\"a.jpg\" /> Caption kept.[/caption]\n\n"
        "[embed]https://www.youtube.com/watch?v=1[/embed]\n\n"
        "A [video](http://example.com/v) link and a [video not shown] note.\n\n"
        "{% unclosed tag to the end of the line\nNext line stays."
    )
    assert markdown_to_text(source) == (
        # An include's alt text and a shortcode's title are what a reader sees of them.
        "An image Intro text.\nKept note.\nW Kept warning.\nraw kept\nCaption kept.\n"
        "A video link and a [video not shown] note.\nNext line stays."
    )


def test_indented_html_from_wordpress_is_reduced_to_text():
    source = '* item\n\n      * <p dir="ltr">\n          <a href="https://example.com/x">Linked words</a>\n        </p>\n'
    assert markdown_to_text(source) == "item\nLinked words"


def test_code_keeps_its_text():
    source = "Use `<title>` tags:\n\n```html\n<title>Page</title>\n```\n"
    assert markdown_to_text(source) == "Use <title> tags:\n<title>Page</title>"


def test_html_post_files_are_read_as_html(tmp_path):
    doc = load(tmp_path, post("title: t", "<h1>Head</h1><p>Para {{< x >}}graph.</p><script>x()</script>"), "page.html")
    assert doc.body == "Head\nPara graph."


@pytest.mark.parametrize(
    "source",
    [
        "".join("  " * i + "- x\n" for i in range(1_400)),  # nested lists by indentation (2 MB)
        "- " * 10_000 + "x\n",  # nested lists on one line
        "1. " * 10_000 + "x\n",
        "".join(">" * i + " x\n\n" for i in range(1, 400)),  # ever deeper quotes (cubic in Markdown)
        ">" * 10_000 + " x\n",
        "> - " * 10_000 + "x\n",
        "[" * 10_000 + "x" + "]" * 10_000,  # bracket soup (quadratic in Markdown)
        "[a " * 10_000,
        "![a](b " * 10_000,
        "<a " * 10_000,
        "<div>" * 10_000 + "x" + "</div>" * 10_000,
        "---\n" * 20_000,  # one 20,000-line block (20 s in Markdown without the block bound)
        "===\nx\n" * 20_000,
        "*a" * 200_000,  # over MAX_MARKDOWN_CHARS: plain strip
        "[a](" * 100_000,
    ],
)
def test_hostile_markdown_is_bounded(source):
    started = time.monotonic()
    text = markdown_to_text(source)
    assert time.monotonic() - started < load_budget(5)
    assert isinstance(text, str)


def test_long_blocks_keep_every_word():
    text = markdown_to_text("word " * 10_000 + "\n" + "line\n" * 1_000)
    assert text.split() == ["word"] * 10_000 + ["line"] * 1_000


def test_deep_nesting_keeps_the_words():
    assert markdown_to_text("".join(">" * i + " w\n" for i in range(1, 100)) + "end").split()[-1] == "end"
    assert markdown_to_text(">" * 10_000 + " deep words").endswith("deep words")


def test_html_soup_is_bounded():
    started = time.monotonic()
    assert html_to_text("<a " * 20_000 + ">" + "<a " * 20_000).startswith("<a <a")
    assert html_to_text("<!--" * 20_000) == ""  # a comment that never ends hides the rest, as in a browser
    assert html_to_text("<p>kept</p>" + "<!--" * 20_000) == "kept"
    assert time.monotonic() - started < load_budget(5)


def test_deeply_nested_html_post_loads(tmp_path):
    doc = load(tmp_path, post("title: t", "<div>" * 20_000 + "deep" + "</div>" * 20_000))
    assert doc.body == "deep"


# ---------------------------------------------------------------------------
# Property: nothing but Document / PostError / Unpublished leaves load_post


@hypothesis_settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    front=st.text(st.sampled_from("ab:-[]{}&!*'\"\n #>%<|"), max_size=60),
    body=st.binary(max_size=200) | st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
)
def test_load_post_raises_only_its_own_errors(tmp_path, front, body):
    path = tmp_path / "fuzz.md"
    path.write_bytes(b"---\ntitle: t\n" + front.encode() + b"\n---\n" + body)
    try:
        doc = load_post(path, tmp_path, SETTINGS, now=NOW)
    except (PostError, Unpublished) as exc:
        assert "\n" not in str(exc)
    else:
        assert "<script" not in doc.body and doc.title


# ---------------------------------------------------------------------------
# The real corpus


@pytest.mark.slow  # parses all 1,544 posts
def test_real_corpus_loads():
    if not CORPUS.is_dir():
        pytest.skip(f"real corpus not found at {CORPUS} (it lives in ../shared beside the repository)")
    started = time.monotonic()
    paths = list(iter_post_paths(CORPUS))
    docs, unpublished, failed = {}, [], []
    for path in paths:
        try:
            doc = load_post(path, CORPUS, SETTINGS)
        except Unpublished as exc:
            unpublished.append((path.name, str(exc)))
        except PostError as exc:
            failed.append((path.name, str(exc)))
        else:
            docs[doc.id] = doc
    elapsed = time.monotonic() - started
    assert (len(paths), len(docs), failed) == (1544, 1543, [])
    assert unpublished == [("good-to-great.md", "draft: true")]
    assert [w for doc in docs.values() for w in doc.warnings] == []
    recap = docs["2015-12-14-government-customer-service-update-webinar-recap.md"]
    assert recap.title == "Government Customer Service Update—Webinar Recap"
    assert {"OMB", "SSA"} <= set(recap.facets["tags"])
    assert recap.facets["authors"] == ["jsnee"]
    assert recap.url == "/2015/12/14/government-customer-service-update-webinar-recap/"
    assert recap.date == dt.datetime(2015, 12, 14, 1, 0, 28, tzinfo=dt.timezone(dt.timedelta(hours=-4)))
    pair = docs["2015-12-14-the-content-corner-is-pair-writing-right-for-you.md"]
    assert pair.title == "The Content Corner: Is Pair Writing Right for You?"
    assert not any("{%" in d.body or "[youtube" in d.body or "\\:" in d.title for d in docs.values())
    assert not any(d.summary == "" for d in docs.values())
    print(f"\nreal corpus: {len(docs)} documents, {len(unpublished)} unpublished in {elapsed:.2f} s")
