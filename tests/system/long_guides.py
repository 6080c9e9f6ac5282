"""A long guide (and a short post) as a Hugo site and as a Jekyll site, built by the real tool.

The guide has over 1,000 words in sections whose headings the generators
give ids in different ways: inline markup, punctuation, "&", a repeated
heading, an explicit ``{#id}``.  ``built(...)`` returns the site folder and
{URL path: the HTML the generator wrote there}.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

FILLER = "The team wrote down what it learned along the way, step by step. " * 25  # 300 words

GUIDE = f"""Intro paragraph of the handbook. {FILLER}

## Getting started

Install the kit first. {FILLER}

## Choosing a *content* model {{#content-model}}

Pick a zebrafish taxonomy for the site. {FILLER}

## Q&A: budgets & procurement

Budgets and procurement questions. {FILLER}

## Accessibility testing

Screen readers and keyboards. {FILLER}

### Screen readers

Test with screen readers: screen readers read every heading aloud. {FILLER}

## Accessibility testing

A second look at accessibility, once more with screen readers.
"""

SHORT = "A short note about screen readers.\n\n## Screen readers\n\nScreen readers again.\n"


def hugo_site(root: Path, base_url: str = "https://guides.example.org/") -> dict[str, str]:
    (root / "content" / "guides").mkdir(parents=True)
    (root / "layouts" / "_default").mkdir(parents=True)
    (root / "hugo.toml").write_text(f'baseURL = "{base_url}"\ntitle = "Guides"\n')
    (root / "layouts" / "_default" / "single.html").write_text("<!doctype html><html><body><h1>{{ .Title }}</h1>{{ .Content }}</body></html>")
    (root / "layouts" / "_default" / "list.html").write_text("<!doctype html><html><body>{{ .Title }}</body></html>")
    (root / "content" / "guides" / "handbook.md").write_text('---\ntitle: "The accessibility handbook"\ndate: 2024-01-02\n---\n' + GUIDE)
    (root / "content" / "guides" / "note.md").write_text('---\ntitle: "A short note"\ndate: 2024-01-03\n---\n' + SHORT)
    subprocess.run(["hugo", "--quiet", "--source", str(root)], check=True, capture_output=True, timeout=120)
    return {
        "/guides/handbook/": (root / "public" / "guides" / "handbook" / "index.html").read_text(),
        "/guides/note/": (root / "public" / "guides" / "note" / "index.html").read_text(),
    }


def jekyll_site(root: Path) -> dict[str, str]:
    (root / "_posts").mkdir(parents=True)
    (root / "_layouts").mkdir(parents=True)
    (root / "_config.yml").write_text("title: Guides\nurl: https://guides.example.org\nmarkdown: kramdown\n")
    (root / "_layouts" / "default.html").write_text("<!doctype html><html><body><h1>{{ page.title }}</h1>{{ content }}</body></html>")
    front = '---\nlayout: default\ntitle: "{}"\n---\n'
    (root / "_posts" / "2024-01-02-handbook.md").write_text(front.format("The accessibility handbook") + GUIDE)
    (root / "_posts" / "2024-01-03-note.md").write_text(front.format("A short note") + SHORT)
    subprocess.run(
        ["jekyll", "build", "--quiet", "--source", str(root), "--destination", str(root / "_site")],
        check=True, capture_output=True, timeout=300,
    )
    return {
        "/2024/01/02/handbook.html": (root / "_site" / "2024" / "01" / "02" / "handbook.html").read_text(),
        "/2024/01/03/note.html": (root / "_site" / "2024" / "01" / "03" / "note.html").read_text(),
    }
