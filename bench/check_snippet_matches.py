"""Proof that snippets._matches finds exactly what the analyzer chain finds, on the real corpus.

    python bench/check_snippet_matches.py

For every post (title, summary, the scanned part of the body) and a set of
query words (the post's own title words plus random words of the corpus),
the fast path must return the same (start, end, word) list as running the
index analyzer over the whole text.  Prints the times of both.
"""

import random
import sys
import time

import common
from searchsvc.query import snippets
from searchsvc.index.schema import text_analyzer

ANALYZER = text_analyzer()


def reference(text, terms):
    return [(t.startchar, t.endchar, t.text) for t in ANALYZER(text, chars=True, mode="index") if t.text in terms]


def main() -> None:
    docs = common.reference_parse(common.CORPUS, common.settings())
    rng = random.Random(1)
    vocab = sorted({t.text for d in docs[:400] for t in ANALYZER(d.title + " " + d.summary + " " + d.body[:3000])})
    for rnd in (1, 2):  # 2: the remembered word forms are warm, as in a running service
        rng = random.Random(1)
        checked, t_ref, t_fast = check(docs, vocab, rng)
        print(f"pass {rnd}: identical on {checked} texts of {len(docs)} posts; analyzer {t_ref:.2f} s, fast path {t_fast:.2f} s")


def check(docs, vocab, rng):
    checked, t_ref, t_fast = 0, 0.0, 0.0
    for d in docs:
        terms = set(rng.sample(vocab, 4)) | {t.text for t in ANALYZER(d.title)}
        for text in (d.title, d.summary, d.body[: snippets.SCAN_CHARS]):
            a = time.perf_counter()
            expected = reference(text, terms)
            b = time.perf_counter()
            got = snippets._matches(text, terms)
            t_ref, t_fast = t_ref + b - a, t_fast + time.perf_counter() - b
            if got != expected:
                sys.exit(f"DIFFERENT in {d.id}: {expected[:5]} vs {got[:5]}")
            checked += 1
    return checked, t_ref, t_fast


if __name__ == "__main__":
    main()
