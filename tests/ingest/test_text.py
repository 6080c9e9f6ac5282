"""ingest.text.render: the text a visitor reads, and heading ids as the real generators write them."""

from __future__ import annotations

import time

import pytest

from searchsvc.ingest.text import Heading, Text, render
from tests.ingest.generators import have, heading_ids, hugo_pages, jekyll_pages

# Headings whose ids the generators' rules decide in different ways: inline
# markup, URLs, entities, punctuation, Unicode, duplicates, explicit ids
# (valid and not), attribute blocks, setext headings, raw HTML.
HEADING_CASES = """# Hello *world*

## Hello world

## Hello world

## Hello world-1

## [Link](http://example.com/x)

## Q&amp;A and &copy; 2017

## Why `code` here?

## <a name="x-Why We Did It"></a>Why We Did It {#toc0}

## What's Next {#2.-what-components-did-you-use?}

## Step three {#step-three-id}

## Ünïcode Straße 日本語

##   Spaces   inside

## 123 Numbers first

## trailing hashes ##

## !!!

## under_score and-dash -- double

Setext *one*
============

## toc0

## Hello world {#hello-world-2}

## Hello world

## snake_case_Word

## emoji 🎉 done

## <em>raw</em> html

## a **bold** b ~~strike~~

## \\*escaped\\*

## &#8217;quote&#8217;

## ![img alt](x.png) image

## Explicit {#foo}

## Foo

## Foo {#bar}

## Trailing {#id-with_underscore:colon}

## Bad {#has space}

## Brace {not-attr}

### Sección ñ 2 — “quoted” … done

#### Ask the "experts": why?

## Step 3: Monitor your progress {#step-three-monitor-your-progress}

Setext two
----------

## Hello world
"""


def anchors(text: Text) -> list[tuple[int, str]]:
    return [(h.level, h.anchor) for h in text.headings]


@pytest.mark.skipif(not have("hugo"), reason="hugo is not installed")
def test_heading_ids_are_hugos(tmp_path):
    published = heading_ids(hugo_pages({"cases": HEADING_CASES}, tmp_path)["cases"])
    assert len(published) == 38
    assert anchors(render(HEADING_CASES, "goldmark")) == published


@pytest.mark.skipif(not have("jekyll"), reason="jekyll is not installed")
def test_heading_ids_are_jekylls(tmp_path):
    published = heading_ids(jekyll_pages({"cases": HEADING_CASES}, tmp_path)["cases"])
    assert len(published) == 38
    assert anchors(render(HEADING_CASES, "kramdown")) == published
