"""The real ``hugo`` as the oracle: what it publishes for a site folder, and where.

``hugo list all`` only lists regular pages and includes drafts, future and
expired ones (its ``draft``/``publishDate``/``expiryDate`` columns leave the
decision to the reader), so it cannot tell section pages, term pages,
``_build`` options or ``disableKinds``.  Instead the site is built into a
temporary ``--destination`` with layouts of our own (``--layoutDir``, so the
site's folder is only read): every page Hugo renders writes one JSON record
(kind, file, permalink, title, language, dates, its terms) and whether its
permalink is in ``site.AllPages`` (the pages Hugo puts in its collections:
``_build.list: never`` pages are rendered but not listed; twice there means
another page overwrote it, and the oracle refuses such a site).
Hugo decides everything; this module only reads what it wrote.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

_RECORD = re.compile(r"ORACLE-BEGIN(.*?)ORACLE-END", re.S)

# One template for every kind; {{/* */}} comments keep the output one line.
_LAYOUT = r"""
{{- $file := "" -}}{{- with .File -}}{{- $file = .Filename -}}{{- end -}}
{{- $terms := dict -}}
{{- range $plural, $_ := site.Taxonomies -}}
  {{- $ts := slice -}}
  {{- range ($.GetTerms $plural) -}}{{- $ts = $ts | append .Permalink -}}{{- end -}}
  {{- $terms = merge $terms (dict $plural $ts) -}}
{{- end -}}
{{- $all := partialCached "oracle-all.html" . "all" -}}
{{- $listed := 0 -}}{{- if in $all.all .Permalink -}}{{- $listed = 1 -}}{{- end -}}
{{- if in $all.twice .Permalink -}}{{- $listed = 2 -}}{{- end -}}
{{- $term := "" -}}{{- if eq .Kind "term" -}}{{- $term = .Data.Term -}}{{- end -}}
{{- $plural := "" -}}{{- if or (eq .Kind "term") (eq .Kind "taxonomy") -}}{{- $plural = .Data.Plural -}}{{- end -}}
ORACLE-BEGIN{{ dict "kind" .Kind "file" $file "permalink" .Permalink "title" .Title "lang" .Lang
  "date" (.Date.Format "2006-01-02T15:04:05Z07:00")
  "publishDate" (.PublishDate.Format "2006-01-02T15:04:05Z07:00")
  "lastmod" (.Lastmod.Format "2006-01-02T15:04:05Z07:00")
  "expiryDate" (.ExpiryDate.Format "2006-01-02T15:04:05Z07:00")
  "terms" $terms "listed" $listed "term" $term "plural" $plural | jsonify }}ORACLE-END
"""


# Once per build: every permalink in site.AllPages, and those that occur twice.
_ALL_PAGES = r"""
{{- $all := slice -}}{{- range site.AllPages -}}{{- $all = $all | append .Permalink -}}{{- end -}}
{{- $twice := slice -}}{{- $previous := "" -}}
{{- range sort $all -}}{{- if and (eq . $previous) (ne . "") -}}{{- $twice = $twice | append . -}}{{- end -}}{{- $previous = . -}}{{- end -}}
{{- return (dict "all" $all "twice" $twice) -}}
"""


@dataclass(frozen=True)
class Rendered:
    kind: str  # Hugo's .Kind: page, section, home, taxonomy, term, 404
    file: str | None  # site-relative content file ("content/posts/x.md"), None when Hugo made the page
    permalink: str
    title: str
    lang: str
    date: str  # RFC 3339; "0001-01-01T00:00:00Z" when Hugo knows no date
    publish_date: str
    lastmod: str
    expiry_date: str
    terms: dict  # taxonomy plural -> permalinks of this page's term pages
    term: str  # for term pages: the term key
    plural: str  # for term and taxonomy pages: the taxonomy


@dataclass
class HugoOutput:
    rendered: list[Rendered]
    listed: set[str] = field(default_factory=set)  # permalinks in site.AllPages

    def published(self) -> dict[str, str]:
        """{site-relative content file: permalink} for the content pages a search should hold.

        Regular pages, sections and home pages with a content file that Hugo
        renders and lists; term and taxonomy pages are not results.
        """
        return {
            r.file: r.permalink
            for r in self.rendered
            if r.file and r.kind in ("page", "section", "home") and r.permalink in self.listed
        }

    def by_file(self) -> dict[str, Rendered]:
        return {r.file: r for r in self.rendered if r.file}

    def terms(self) -> dict[str, dict[str, Rendered]]:
        """taxonomy plural -> term key -> the term page Hugo rendered."""
        out: dict[str, dict[str, Rendered]] = {}
        for r in self.rendered:
            if r.kind == "term":
                out.setdefault(r.plural, {})[r.term] = r
        return out


def hugo_binary() -> str:
    found = shutil.which("hugo")
    if found is None:
        pytest.skip("hugo is not installed (the oracle for Hugo's rules; Debian package 'hugo')")
    return found


def run_hugo(site: Path, now: dt.datetime, *, environment: str = "production") -> HugoOutput:
    """Build ``site`` with Hugo's clock at ``now``; what it rendered, read back from the files."""
    site = Path(site).resolve()
    with tempfile.TemporaryDirectory(prefix="hugo-oracle-") as tmp:
        layouts = Path(tmp, "layouts")
        (layouts / "_default").mkdir(parents=True)
        (layouts / "partials").mkdir()
        (layouts / "partials" / "oracle-all.html").write_text(_ALL_PAGES, encoding="utf-8")
        for name in ("_default/single.html", "_default/list.html", "index.html", "404.html"):
            (layouts / name).write_text(_LAYOUT, encoding="utf-8")
        dest = Path(tmp, "public")
        command = [
            hugo_binary(), "--source", str(site), "--destination", str(dest), "--layoutDir", str(layouts),
            "--cacheDir", str(Path(tmp, "cache")), "--noBuildLock", "--quiet",
            "--environment", environment, "--clock", now.isoformat(),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"hugo failed on {site}:\n{done.stdout}\n{done.stderr}")
        return _read_output(dest, site)


def _read_output(dest: Path, site: Path) -> HugoOutput:
    out = HugoOutput(rendered=[])
    for folder, _dirs, files in os.walk(dest):
        for name in files:
            text = Path(folder, name).read_text(encoding="utf-8", errors="replace")
            for match in _RECORD.finditer(text):
                rec = json.loads(match.group(1))
                if rec["listed"] > 1:  # one page overwrote the other: the fixture is ambiguous
                    raise RuntimeError(f"hugo gave two pages of {site} the same URL {rec['permalink']}")
                if rec["listed"]:
                    out.listed.add(rec["permalink"])
                out.rendered.append(_rendered(rec, site))
    return out


def _rendered(rec: dict, site: Path) -> Rendered:
    file = rec["file"] or None
    if file:
        file = Path(file).resolve().relative_to(site).as_posix()
    return Rendered(
        kind=rec["kind"], file=file, permalink=rec["permalink"], title=rec["title"], lang=rec["lang"],
        date=rec["date"], publish_date=rec["publishDate"], lastmod=rec["lastmod"], expiry_date=rec["expiryDate"],
        terms={k: sorted(v or []) for k, v in (rec["terms"] or {}).items()}, term=rec["term"], plural=rec["plural"],
    )
