"""Body text: ingest.text.render over the real corpora, timed, and checked against the generators.

    ./.venv/bin/python bench/bench_text.py            # timing: medians of 5 runs per corpus
    ./.venv/bin/python bench/bench_text.py agreement  # text and heading ids against real hugo/jekyll builds

Timing renders every body of each corpus once per run (the Python-Markdown
path it replaced measured 1.834 s of CPU for the 2017 bodies against
render's 1.288 s in the same run, before it was removed).  Agreement builds throw-away Hugo
and Jekyll sites in a temporary folder from the corpus bodies (template
syntax removed first, the same way for both sides) and compares, post by
post, the word sequence of the published page with ``render``'s, and the
heading ids with ``render``'s anchors.
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from searchsvc.ingest.shortcodes import strip_templates  # noqa: E402
from searchsvc.ingest.text import render  # noqa: E402
from tests.ingest.generators import have, heading_ids, hugo_pages, jekyll_pages, published_text, words  # noqa: E402

CORPORA = REPO.parent / "shared" / "corpus"
FRONT_MATTER = re.compile(r"\A\ufeff?\s*(---|\+\+\+)[ \t]*\n.*?\n\1[ \t]*(?:\n|\Z)", re.DOTALL)
RUNS = 5


def bodies(corpus: str) -> list[tuple[str, str, str]]:
    """(name, suffix, body) of every .md/.markdown/.html file of a corpus, sorted by path."""
    root = CORPORA / corpus
    found = []
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in (".md", ".markdown", ".html") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
        match = FRONT_MATTER.match(text)
        body = text[match.end() :] if match else text
        found.append((path.relative_to(root).as_posix(), path.suffix.lower(), body))
    return found


def new_text(suffix: str, body: str, dialect: str) -> str:
    return render(body, "html" if suffix == ".html" else dialect).body


def _run(posts, fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one pass of ``fn`` over every body."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _n, suffix, body in posts:
        fn(suffix, body)
    return time.perf_counter() - wall, time.process_time() - cpu


def timing() -> None:
    print(f"medians of {RUNS} runs; wall seconds (CPU seconds in brackets)")
    print(f"{'corpus':<18} {'bodies':>6} {'render':>16}")
    for corpus, dialect in (("digitalgov-2017", "goldmark"), ("18f-blog", "commonmark")):
        posts = bodies(corpus)
        if not posts:
            print(f"{corpus}: corpus missing under {CORPORA}")
            continue

        def new(suffix, body, dialect=dialect):
            return new_text(suffix, body, dialect)

        _run(posts, new)  # warm (imports, parser set-up)
        runs = [_run(posts, new) for _ in range(RUNS)]
        wall, cpu = (statistics.median(r[i] for r in runs) for i in (0, 1))
        print(f"{corpus:<18} {len(posts):>6} {wall:>7.3f} ({cpu:>6.3f})")


def agreement(sample: int | None = None) -> None:
    for corpus in ("digitalgov-2017", "18f-blog"):
        posts = [(n, b) for n, s, b in bodies(corpus) if s != ".html"][:sample]
        if not posts:
            print(f"{corpus}: corpus missing under {CORPORA}")
            continue
        prepared = {f"p{i}": strip_templates(body) for i, (_n, body) in enumerate(posts)}
        names = {f"p{i}": name for i, (name, _b) in enumerate(posts)}
        for tool, dialect, build in (("hugo", "goldmark", hugo_pages), ("jekyll", "kramdown", jekyll_pages)):
            if not have(tool):
                print(f"{corpus} / {tool}: {tool} is not installed")
                continue
            with tempfile.TemporaryDirectory() as folder:
                pages = build(prepared, Path(folder))
            _compare(corpus, tool, dialect, prepared, pages, names)


def _compare(corpus, tool, dialect, prepared, pages, names) -> None:
    same_words = same_ids = headings_total = headings_same = 0
    differing: list[str] = []
    for key, body in prepared.items():
        ours = render(body, dialect)
        page = pages[key]
        theirs = published_text(page)
        if words(ours.body) == words(theirs):
            same_words += 1
        else:
            differing.append(names[key])
        published = heading_ids(page)
        mine = [(h.level, h.anchor) for h in ours.headings]
        same_ids += mine == published
        headings_total += len(published)
        headings_same += sum(1 for a, b in zip(mine, published) if a == b)
    count = len(prepared)
    print(
        f"{corpus} / {tool} ({dialect}): word sequences equal {same_words}/{count} ({same_words / count:.1%}); "
        f"heading ids equal in {same_ids}/{count} posts, {headings_same}/{headings_total} headings"
    )
    for name in differing[:15]:
        print(f"    words differ: {name}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["agreement"]:
        agreement(int(sys.argv[2]) if len(sys.argv) > 2 else None)
    else:
        timing()
