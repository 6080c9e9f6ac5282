"""Hugo's rules, as Hugo 0.111 applies them: which content files it publishes, and where.

Read once per reindex: the merged config (``hugo_config``), the content tree
(one safe walk) and the front matter of every ``_index.*`` file; ``rules``
then needs only path arithmetic and the page's own front matter.  Checked
page for page against the real ``hugo`` (tests/ingest/sites/test_hugo.py);
where Hugo differs from a guess, the real tool wins:

* Document ids are paths relative to ``content_root``: the ``contentDir``,
  or, when languages have their own ``contentDir``, the folder that holds all
  of them (``content`` for ``content/en`` + ``content/es``, else the site root).
* Term (``content/tags/x/_index.md``) and taxonomy list pages are not results;
  nor is ``content/404.md`` (Hugo renders it as an ordinary page at /404/,
  but it is the site's not-found text).
* Pages that Hugo renders but keeps out of its page collections
  (``_build: {list: never|local}``) are not results: a site search is a list.
* A draft, future or expired section hides every page below it (Hugo drops
  the whole branch); ``_build`` options on a section do not.
* A ``cascade`` map ignores its ``_target`` (Hugo 0.111 honours ``_target``
  only in the list form); for one target, a nearer section's keys win over a
  farther one's.
* ``:git`` dates come from one ``git log`` over the content, run on first use
  when ``enableGitInfo`` is true (Hugo's gitmap does the same); without git
  they are unknown and the next handler applies.
* ``build:`` without the underscore means nothing to Hugo 0.111, nor does
  ``headless`` outside a leaf bundle's index file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ...words import facet_key
from ..dates import parse_date
from ..document import PostError
from ..frontmatter import decode as decode_text
from ..frontmatter import read_post_file as read_bytes
from ..frontmatter import split_front_matter
from ..walk import walk_posts

from .base import EXCLUDED, NOT_A_PAGE, UNPUBLISHED, Candidate, PageRules, Site, SiteConfigError, Skip, Term
from .hugo_config import HugoConfig, Language, find_config_files, go_bool, load_config
from .hugo_permalinks import expand, front_matter_url, query_unescape, sanitize, url_escape, urlize, with_slash
from .hugo_frontmatter import (
    DateReader,
    build_options,
    decode_cascade,
    git_head,
    go_bool_or_none,
    lower,
    target_matches,
    taxonomy_values,
    text,
)
from .opt_out import opt_out_reason

RULES_VERSION = "hugo-0.111-rules-1"  # part of the fingerprint: bump when these rules change
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown")
HTML_SUFFIXES = (".html", ".htm")
NOT_CONTENT = ("layouts", "themes", "public", "resources", "static", "data", "archetypes", "assets", "i18n", "config")
MAX_INDEX_BYTES = 4 * 1024 * 1024
ZERO_DATE = dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class _Mount:
    path: Path
    lang: str  # the language of files without a language suffix


@dataclass(frozen=True)
class _Node:
    mount: _Mount
    cpath: str  # relative to the mount: "posts/hello.es.md"
    dir: str  # the file's folder ("" at the top)
    base: str  # file name without language and extension ("hello")
    ext: str
    lang: str | None  # None: a language the config disables
    kind: str  # page, section, home, taxonomy, term
    leaf: bool  # the index file of a leaf bundle

    @property
    def parent(self) -> str:
        """The folder whose section the node belongs to (a bundle's folder is not a section)."""
        return self.dir.rpartition("/")[0] if self.leaf else self.dir


class HugoSite(Site):
    kind = "hugo"

    def __init__(self, root: Path | str, *, site_url: str | None = None, environment: str = "production"):
        self.root = Path(root).resolve()
        self.environment = environment
        config = load_config(self.root, environment)
        if config is None:
            raise SiteConfigError(f"{self.root}: no Hugo configuration (hugo.toml, config.toml or config/_default/)")
        self.config: HugoConfig = config
        self.config_path = config.files[0]
        self.site_url = site_url
        self.facets = tuple(dict.fromkeys(config.taxonomies.values()))
        self._plurals = frozenset(self.facets)
        self._mounts = self._make_mounts()
        paths = [m.path for m in self._mounts]
        self.content_root = paths[0] if len(paths) == 1 else Path(os.path.commonpath(paths))
        self._walk()
        self._date_reader = DateReader(config, self.root, [m.path for m in self._mounts], parse_date)
        self._branch_cache: dict[tuple[str, str], tuple[dict, dict]] = {}
        self._cascade_cache: dict[tuple[str, str], list] = {}

    @classmethod
    def detect(cls, root: Path | str, **kwargs: Any) -> HugoSite | None:
        """A HugoSite when ``root`` holds a Hugo config, else None; SiteConfigError when it is unusable."""
        if not find_config_files(Path(root), kwargs.get("environment", "production")):
            return None
        return cls(root, **kwargs)

    # -- the tree -----------------------------------------------------------

    def _language_order(self) -> list[str]:
        """The default language first, then by weight, as Hugo orders its sites."""
        cfg = self.config
        return sorted(cfg.languages, key=lambda code: (code != cfg.default_language, cfg.languages[code].weight, code))

    def _make_mounts(self) -> list[_Mount]:
        cfg = self.config
        mounts: dict[Path, _Mount] = {}
        for lang in (cfg.languages[code] for code in self._language_order()):
            folder = (self.root / (lang.content_dir or cfg.content_dir)).resolve()
            mounts.setdefault(folder, _Mount(folder, lang.code))
        return list(mounts.values())

    def _walk(self) -> None:
        """One walk of every content folder: the files, leaf bundles and sections."""
        stats: dict[str, os.stat_result] = {}
        skip = [self.root / name for name in NOT_CONTENT + (str(self.config.raw.get("publishdir") or "public"),)]
        skip = tuple(str(p) + os.sep for p in skip if not any(p == m.path or m.path.is_relative_to(p) for m in self._mounts))
        owner: dict[str, _Mount] = {}
        for mount in sorted(self._mounts, key=lambda m: len(m.path.parts)):
            found = walk_posts(mount.path)  # strings: pathlib's cost 0.6 s on 3,000 files
            stats.update(found)
            for path, _ in found:
                if not path.startswith(skip):
                    owner[path] = mount  # the deepest mount wins
        self._stats = stats
        self._nodes: dict[str, _Node] = {}
        self.leaf_dirs: set[tuple[Path, str]] = set()
        root_len = len(str(self.content_root).rstrip(os.sep)) + 1
        for path, mount in owner.items():
            node = self._node(mount, path[len(str(mount.path).rstrip(os.sep)) + 1 :].replace(os.sep, "/"))
            self._nodes[path[root_len:].replace(os.sep, "/")] = node
            if node.leaf:
                self.leaf_dirs.add((mount.path, node.dir))
        self._branches: dict[tuple[str, str], tuple[_Node, Path, dict]] = {}
        for rel, node in sorted(self._nodes.items()):
            if node.base == "_index" and node.lang and not self._is_resource(node):
                path = self.content_root / rel
                self._branches.setdefault((node.lang, node.dir), (node, path, _front_matter(path)))

    def _node(self, mount: _Mount, cpath: str) -> _Node:
        folder, _, name = cpath.rpartition("/")
        stem, dot, ext = name.rpartition(".")
        if not dot:
            stem, ext = name, ""
        lang: str | None = mount.lang
        head, dot, suffix = stem.rpartition(".")
        if dot and suffix.lower() in self.config.languages:
            stem, lang = head, suffix.lower()
        elif dot and suffix.lower() in self.config.disabled_languages:
            stem, lang = head, None
        kind = "page"
        if stem == "_index":
            top = folder.split("/")[0]
            if not folder:
                kind = "home"
            elif top in self._plurals:
                kind = "taxonomy" if folder == top else "term"
            else:
                kind = "section"
        return _Node(mount, cpath, folder, stem, "." + ext.lower() if ext else "", lang, kind, stem == "index")

    def _is_resource(self, node: _Node) -> bool:
        """Inside a leaf bundle (any file but the bundle's own index file)."""
        folder = node.dir
        while True:
            if (node.mount.path, folder) in self.leaf_dirs and not (node.leaf and folder == node.dir):
                return True
            if not folder:
                return False
            folder = folder.rpartition("/")[0]

    def _ignored(self, path: Path) -> bool:
        return any(p.search(str(path)) for p in self.config.ignore_files)

    # -- the contract ---------------------------------------------------------

    def describe(self) -> str:
        names = ", ".join(str(p.relative_to(self.root)) for p in self.config.files)
        dirs = ", ".join(f"{m.path.relative_to(self.root)}/" if m.path != self.root else "./" for m in self._mounts)
        langs = "" if len(self.config.languages) == 1 else f", languages {', '.join(self._language_order())}"
        return f"Hugo site, config {names}, content in {dirs}{langs}"

    def candidates(self) -> Iterator[Candidate]:
        for rel in sorted(self._nodes):
            node = self._nodes[rel]
            path = self.content_root / rel
            if self._is_resource(node) or self._ignored(path):
                continue
            info = self._stats.get(str(path))
            if info is None:
                continue
            yield Candidate(rel=rel, path=str(path), size=info.st_size, mtime_ns=info.st_mtime_ns)

    def fingerprint(self) -> str:
        """Covers: these rules' version, the environment and site URL override, every config file's
        bytes, the content folders, the leaf bundles and sections, and the front matter of every
        ``_index.*`` file (cascade, section drafts, term titles); with ``:git`` dates, git's HEAD."""
        digest = hashlib.sha256()
        parts: list[Any] = [RULES_VERSION, self.environment, self.site_url, [str(m.path) for m in self._mounts]]
        for path in self.config.files:
            parts.append([str(path), hashlib.sha256(path.read_bytes()).hexdigest()])
        parts.append(sorted(f"{mount}/{folder}" for mount, folder in self.leaf_dirs))
        parts.append([[lang, folder, str(path), meta] for (lang, folder), (_n, path, meta) in sorted(self._branches.items())])
        if self._date_reader.uses_git():
            parts.append(git_head(self.root))
        digest.update(json.dumps(parts, sort_keys=True, default=str).encode("utf-8"))
        return digest.hexdigest()

    def rules(self, rel: str, meta: dict[str, Any], now: dt.datetime) -> PageRules:
        """``meta`` is the page's front matter as parsed (keys in any case, ``_build`` with its
        underscore); ``PageRules.meta`` is it with lower-cased keys and the cascade applied."""
        node = self._nodes.get(rel) or self._node_for(rel)
        self._check_kind(node, rel)
        effective = self._effective(node, meta)
        dates, slug = self._dates(node, effective)
        self._check_published(node, effective, dates, now)
        reason = opt_out_reason(effective)
        if reason:
            raise Skip(EXCLUDED, reason)
        title = text(effective.get("title"))
        if title is None and node.kind == "home":
            lang = self.config.languages[node.lang]
            title = lang.title or text(self.config.raw.get("title"))
        return PageRules(
            url=self._page_url(node, effective, dates["date"], slug),
            date=dates["date"],
            facets={plural: taxonomy_values(effective.get(plural)) for plural in self.facets},
            meta=effective,
            title=title,
            language=node.lang,
            dialect="html" if node.ext in HTML_SUFFIXES else "goldmark",
            kind=node.kind,
            extra={"publish_date": dates["publishdate"], "lastmod": dates["lastmod"], "expiry_date": dates["expirydate"]},
        )

    def terms(self) -> dict[str, dict[str, Term]]:
        """The term pages that have a content file (``content/authors/jane-doe/_index.md``): their
        title as Hugo shows it (front matter ``title``; Hugo shows "" without one, here the folder
        name) and their URL; the default language's where languages have their own."""
        out: dict[str, dict[str, Term]] = {plural: {} for plural in self.facets}
        default_first = sorted(self._branches.items(), key=lambda item: item[0][0] != self.config.default_language)
        for (lang, folder), (node, _path, own) in default_first:
            if node.kind != "term":
                continue
            plural, _, name = folder.partition("/")
            effective = self._effective(node, own)
            label = text(effective.get("title")) or name
            out[plural].setdefault(facet_key(name), Term(label=label, url=self._term_url(lang, plural, name, effective)))
        return out

    def term(self, facet: str, value: str, language: str | None = None) -> Term | None:
        """The term page a taxonomy value links to in a language (default: the site's): Hugo's
        title for it and its URL (None when term pages are disabled); None for no taxonomy."""
        lang = language if language in self.config.languages else self.config.default_language
        key = self._term_key(value)
        if facet not in self._plurals or not key:
            return None
        branch = self._branches.get((lang, f"{facet}/{key}"))
        if branch is not None:
            effective = self._effective(branch[0], branch[2])
            return Term(text(effective.get("title")) or value, self._term_url(lang, facet, key, effective))
        return Term(value, self._term_url(lang, facet, key, {"title": value}))

    # -- one page ---------------------------------------------------------------

    def _node_for(self, rel: str) -> _Node:
        path = (self.content_root / rel).resolve()
        mounts = [m for m in self._mounts if path.is_relative_to(m.path)]
        if not mounts:
            raise Skip(NOT_A_PAGE, "not inside a content folder of the Hugo site")
        mount = max(mounts, key=lambda m: len(m.path.parts))
        return self._node(mount, path.relative_to(mount.path).as_posix())

    def _check_kind(self, node: _Node, rel: str) -> None:
        if self._is_resource(node):
            raise Skip(NOT_A_PAGE, "a resource of a leaf bundle (the bundle's index file is the page)")
        if node.kind in ("term", "taxonomy"):
            raise Skip(NOT_A_PAGE, f"a {node.kind} page of the taxonomy {node.dir.split('/')[0]}")
        if node.dir == "" and node.base == "404":
            raise Skip(NOT_A_PAGE, "the site's 404 page")
        if node.ext not in MARKDOWN_SUFFIXES + HTML_SUFFIXES:
            raise Skip(NOT_A_PAGE, f"{node.ext or 'no'} suffix: not a content format searchsvc reads")
        if node.lang is None:
            raise Skip(UNPUBLISHED, "its language is disabled in the Hugo config")
        if self._ignored(self.content_root / rel):
            raise Skip(EXCLUDED, "matched by ignoreFiles in the Hugo config")
        if node.kind in self.config.disable_kinds:
            raise Skip(UNPUBLISHED, f"disableKinds has {node.kind!r} in the Hugo config")

    def _check_published(self, node: _Node, meta: dict, dates: dict, now: dt.datetime) -> None:
        reason = self._unpublished(meta, dates, now)
        if reason:
            raise Skip(UNPUBLISHED, reason)
        for folder in self._chain(node)[:-1] if node.base == "_index" else self._chain(node):
            branch = self._branch(node.lang, folder)
            if branch is None:
                continue
            reason = self._unpublished(branch[0], branch[1], now)
            if reason:
                raise Skip(UNPUBLISHED, f"its section {folder or 'home'}/ is {reason}")
        build = build_options(meta.get("_build"))
        if build["render"] in ("never", "link"):
            raise Skip(UNPUBLISHED, f"_build: render: {build['render']}")
        if build["list"] in ("never", "local"):
            raise Skip(UNPUBLISHED, f"_build: list: {build['list']} (Hugo leaves it out of the site's page lists)")
        if node.leaf and go_bool(meta.get("headless")):
            raise Skip(UNPUBLISHED, "a headless bundle")

    def _unpublished(self, meta: dict, dates: dict, now: dt.datetime) -> str | None:
        cfg = self.config
        draft = meta.get("draft")
        if draft is None and go_bool_or_none(meta.get("published")) is not None:
            draft = not go_bool_or_none(meta.get("published"))
        if go_bool(draft) and not cfg.build_drafts:
            return "a draft"
        now = now if now.tzinfo else now.replace(tzinfo=dt.timezone.utc)
        publish = dates["publishdate"]
        if publish is not None and publish > now and not cfg.build_future:
            return f"in the future (publish date {publish.isoformat()})"
        expiry = dates["expirydate"]
        if expiry is not None and expiry < now and not cfg.build_expired:
            return f"expired ({expiry.isoformat()})"
        return None

    # -- sections and cascade -------------------------------------------------

    def _is_section(self, lang: str, folder: str) -> bool:
        return folder == "" or "/" not in folder or (lang, folder) in self._branches

    def _current_section(self, node: _Node) -> str:
        folder = node.dir if node.base == "_index" else node.parent
        while folder and not self._is_section(node.lang, folder):
            folder = folder.rpartition("/")[0]
        return folder

    def _chain(self, node: _Node) -> list[str]:
        """The sections from home down to the node's own."""
        current = self._current_section(node)
        parts = current.split("/") if current else []
        chain = [""] + ["/".join(parts[: i + 1]) for i in range(len(parts))]
        return [f for f in chain if self._is_section(node.lang, f)]

    def _branch(self, lang: str, folder: str) -> tuple[dict, dict] | None:
        """A section's effective front matter and dates, once per reindex."""
        key = (lang, folder)
        if key not in self._branch_cache:
            if key not in self._branches:
                return None
            node, _path, own = self._branches[key]
            effective = self._effective(node, own)
            self._branch_cache[key] = (effective, self._dates(node, effective)[0])
        return self._branch_cache[key]

    def _cascade(self, lang: str, folder: str) -> list:
        """[(target, values)] in force for pages of this section; per target, a nearer section's keys win."""
        key = (lang, folder)
        if key not in self._cascade_cache:
            if folder:
                table = dict(self._cascade(lang, folder.rpartition("/")[0] if "/" in folder else ""))
            else:
                table = dict(decode_cascade(self.config.cascade))
            branch = self._branches.get(key)
            if branch is not None:
                for target, values in decode_cascade(lower(branch[2]).get("cascade")):
                    table[target] = {**table.get(target, {}), **values}  # the nearer section's keys win
            self._cascade_cache[key] = list(table.items())
        return self._cascade_cache[key]

    def _effective(self, node: _Node, meta: dict) -> dict:
        own = lower(meta)
        effective = dict(own)
        path = "/" + node.cpath.lower()
        for target, values in self._cascade(node.lang, self._current_section(node)):
            if not target_matches(target, {"path": path, "kind": node.kind, "lang": node.lang or "", "environment": self.environment}):
                continue
            for k, v in values.items():
                effective.setdefault(k, v)
        return effective

    def _dates(self, node: _Node, meta: dict) -> tuple[dict[str, dt.datetime | None], str | None]:
        filename = node.dir.rpartition("/")[2] if node.leaf else node.base
        return self._date_reader.dates(meta, filename, node.mount.path / node.cpath)

    # -- URLs ---------------------------------------------------------------------

    def _base(self, lang: str) -> tuple[str, str]:
        """(base URL ending in '/', language prefix) for a language."""
        language: Language = self.config.languages[lang]
        if language.base_url:
            return with_slash(language.base_url), ""
        base = with_slash(self.site_url if self.site_url is not None else self.config.base_url)
        multilingual = len(self.config.languages) > 1
        in_subdir = lang != self.config.default_language or self.config.default_in_subdir
        return base, (f"/{lang}" if in_subdir and (multilingual or self.config.default_in_subdir) else "")

    def _pattern(self, node: _Node) -> str | None:
        cfg = self.config
        section = node.dir.split("/")[0] if node.base == "_index" else node.parent.split("/")[0]
        if cfg.kind_permalinks:
            by_kind = cfg.kind_permalinks.get(node.kind, {})
            return by_kind.get(node.dir if node.kind == "section" else section) or by_kind.get(section)
        return cfg.section_permalinks.get(section) if node.kind in ("page", "term") else None

    def _page_url(self, node: _Node, meta: dict, date: dt.datetime | None, slug: str | None) -> str:
        base, prefix = self._base(node.lang)
        url = text(meta.get("url"))
        if url and url.strip():
            return front_matter_url(url.strip(), base, prefix)
        if node.kind == "home":
            return base + prefix.lstrip("/") + ("/" if prefix else "")
        path = None
        pattern = self._pattern(node)
        if pattern:
            title = text(meta.get("title")) or ""
            path = self._expand(pattern, node, title, slug, date)
        if not path:
            name = slug if slug and node.kind == "page" else (node.dir.rpartition("/")[2] if node.leaf else node.base)
            path = "/" + node.dir if node.kind == "section" else f"/{node.parent}/{name}"
        return base + self._finish(path, prefix).lstrip("/")

    def _expand(self, pattern: str, node: _Node, title: str, slug: str | None, date: dt.datetime | None) -> str | None:
        cfg = self.config

        def url_of(value: str) -> str:
            return urlize(value, lower=cfg.lower_paths, no_accents=cfg.remove_accents)

        filename = "" if node.base == "_index" else node.dir.rpartition("/")[2] if node.leaf else node.base
        tokens = {
            "title": lambda: url_of(title),
            "slug": lambda: url_of(slug) if slug else url_of(title),
            "filename": lambda: url_of(filename),
            "slugorfilename": lambda: url_of(slug) if slug else url_of(filename),
            "section": lambda: (node.dir if node.base == "_index" else node.parent).split("/")[0],
        }
        current = self._current_section(node)
        expanded = expand(pattern, lambda attr: tokens[attr](), date or ZERO_DATE, current.split("/") if current else [])
        return query_unescape(expanded) or None

    def _finish(self, path: str, prefix: str) -> str:
        """Sanitise, shape (pretty or ugly), prefix the language, escape: Hugo's last steps."""
        cfg = self.config
        path = sanitize(path, lower=cfg.lower_paths, no_accents=cfg.remove_accents)
        path = "/" + re.sub(r"/{2,}", "/", path).strip("/")
        path = path + ".html" if cfg.ugly_urls and path != "/" else path.rstrip("/") + "/"
        return url_escape(prefix + path)

    def _term_key(self, value: str) -> str:
        return sanitize(str(value), lower=self.config.lower_paths, no_accents=self.config.remove_accents)

    def _term_url(self, lang: str, plural: str, key: str, meta: dict) -> str | None:
        if "term" in self.config.disable_kinds:
            return None
        base, prefix = self._base(lang)
        url = text(meta.get("url"))
        if url and url.strip():
            return front_matter_url(url.strip(), base, prefix)
        node = _Node(self._mounts[0], f"{plural}/{key}/_index.md", f"{plural}/{key}", "_index", ".md", lang, "term", False)
        pattern = self.config.kind_permalinks.get("term", {}).get(plural) or self.config.section_permalinks.get(plural)
        path = None
        if pattern:
            path = self._expand(pattern, node, text(meta.get("title")) or key, text(meta.get("slug")), None)
        return base + self._finish(path or f"/{plural}/{key}", prefix).lstrip("/")


def _front_matter(path: Path) -> dict:
    """An ``_index`` file's front matter; {} when unreadable (the page itself reports why)."""
    try:
        data, _mtime = read_bytes(path, MAX_INDEX_BYTES)
        meta, _body = split_front_matter(decode_text(data))
    except PostError:
        return {}
    return meta or {}
