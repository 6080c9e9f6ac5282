"""A small site written by the tests, whose every fact the assertions spell out."""

from __future__ import annotations

import json
import random
from pathlib import Path

from .conftest import write_post

POSTS = {
    "posts/2016-01-10-budget-guidance.md": (
        """
        title: Budget Guidance from OMB
        date: 2016-01-10 09:00:00 -0500
        tags: [OMB, Budget]
        authors: [alice]
        categories: [Policy]
        """,
        "The Office of Management and Budget issued new guidance on budget formulation for digital services.",
    ),
    "posts/2016-02-10-customer-experience-at-ssa.md": (
        """
        title: Customer Experience at SSA
        date: 2016-02-10
        tags: [SSA, Customer Experience, OMB]
        authors: bob
        categories: [Customer Service]
        """,
        "How the Social Security Administration measures customer satisfaction across its field offices.",
    ),
    "posts/2017-03-01-plain-language-tips.md": (
        """
        title: Plain language tips
        date: 2017-03-01T10:00:00-05:00
        tags: [plain-language, customer experience]
        author: alice
        categories: [Content]
        """,
        "Write short sentences. Testing your forms with real people shows where words confuse them.",
    ),
    "posts/2017-05-05-section-508.md": (
        """
        title: Accessibility and Section 508
        date: 2017-05-05
        tags: ["508", Accessibility]
        authors: [carol, ""]
        categories: [Accessibility]
        """,
        "Section 508 requires federal websites to be accessible. Screen readers and keyboard tests help.",
    ),
    "events/2015-12-14-mobile-webinar-recap.md": (
        """
        title: Mobile testing webinar recap
        date: 2015-12-14 1:00:28 -0400
        tags: [Mobile, Recaps, customer_experience]
        authors: null
        """,
        "A recap of our webinar on mobile testing: emulators, real devices and the budget for both.",
    ),
    "posts/2017-06-01-draft.md": (
        """
        title: Not yet
        date: 2017-06-01
        draft: true
        tags: [OMB]
        """,
        "Unpublished budget thoughts.",
    ),
    "posts/2014-01-01-expired.md": (
        """
        title: Old notice
        date: 2014-01-01
        expirydate: 2015-01-01
        tags: [OMB]
        """,
        "This notice has expired.",
    ),
}

BROKEN = "posts/2017-07-01-broken.md"

# What the assertions rely on, newest first.
PUBLISHED_NEWEST_FIRST = [
    "posts/2017-05-05-section-508.md",
    "posts/2017-03-01-plain-language-tips.md",
    "posts/2016-02-10-customer-experience-at-ssa.md",
    "posts/2016-01-10-budget-guidance.md",
    "events/2015-12-14-mobile-webinar-recap.md",
]


def make_site(root: Path) -> Path:
    for rel, (front, body) in POSTS.items():
        write_post(root, rel, front, body)
    broken = root / BROKEN
    broken.write_text("---\ntitle: 'unclosed\ntags: [a\n---\nbody\n", encoding="utf-8")
    return root


def synthetic_site(root, n=210):
    """``n`` generated posts in 7 folders (random words, 2 tags each, a heading, a list) and one broken post."""
    rng = random.Random(3)
    words = "budget data mobile design search privacy cloud metrics training policy".split()
    for i in range(n):
        tags = sorted(set(rng.sample(words, 2)))
        body = "\n\n".join(
            [f"## {rng.choice(words).title()} notes", " ".join(rng.choices(words, k=40)) + ".", "- " + rng.choice(words), "`code` and **bold**"]
        )
        write_post(root, f"{i % 7}/2019-03-{1 + i % 28:02d}-post-{i}.md", f"title: Post {i} about {rng.choice(words)}\ndate: 2019-03-{1 + i % 28:02d}\ntags: {json.dumps(tags)}", body)
    write_post(root, "broken.md", "title: [unclosed", "x")
    return root
