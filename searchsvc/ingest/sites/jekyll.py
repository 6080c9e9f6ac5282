"""Jekyll 4.3's rules, as Debian's ``jekyll`` applies them with no plugins.

Which files Jekyll publishes (posts in ``_posts/``, drafts with
``show_drafts``, documents of collections with ``output: true``, pages with
front matter), at which URL (named styles, patterns, front-matter and
``defaults:`` permalinks, ``baseurl``/``url``), with which date (the file
name's, unless front matter has one) and categories/tags.  Each rule follows
the Ruby it names; tests/oracles/jekyll.py asks the real Jekyll and
tests/ingest/sites/test_jekyll.py compares page for page.

Deliberate differences: a scalar ``categories: 2021`` is one category (Jekyll
drops the file's whole front matter with a TypeError); ``limit_posts`` is not
applied (it needs every post at once).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import posixpath
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import yaml

# Helpers that live in searchsvc.documents today; one block, to repoint later.
from searchsvc.documents import PostError, facet_key, iter_post_paths, parse_date

from .base import EXCLUDED, NOT_A_PAGE, UNPUBLISHED, Candidate, PageRules, Site, SiteConfigError, Skip, Term
from .jekyll_config import (
    Collection,
    EntryFilter,
    FrontMatterDefaults,
    collections,
    deep_merge,
    find_config,
    load_config,
    markdown_exts,
    site_timezone,
    truthy,
)
from .jekyll_permalinks import (
    DATE_PLACEHOLDERS,
    PlaceholderError,
    absolute_url,
    add_permalink_suffix,
    date_value,
    expand_document,
    expand_page,
    sanitize_url,
    slugify,
    titleize_slug,
)

logger = logging.getLogger(__name__)

RULES_VERSION = "jekyll-4.3-rules-1"  # part of the fingerprint: bump when a rule changes
HTML_EXTS = (".html", ".xhtml", ".htm")  # Page::HTML_EXTENSIONS
DATE_NAME = re.compile(r"^(?>.+/)*?(\d{2,4}-\d{1,2}-\d{1,2})-([^/]*)(\.[^.]+)$")  # Document::DATE_FILENAME_MATCHER
DATELESS_NAME = re.compile(r"^(?:.+/)*(.*)(\.[^.]+)$")  # Document::DATELESS_FILENAME_MATCHER
YAML_HEADER = re.compile(rb"\A---\s*\r?\n")  # Utils.has_yaml_header?
FOLDER_NAMES = {"_layouts": "layouts", "_includes": "includes", "_data": "data", "_sass": "Sass partials", "_plugins": "plugins"}
AUTHOR_FILES = ("authors.yml", "authors.yaml", "authors.json")
NAME_KEYS = ("name", "display_name")  # what themes and jekyll-seo-tag read from _data/authors


class _FolderSkip(Skip):
    """Jekyll never lists the folder: such files are not even candidates."""


@dataclass(frozen=True)
class _Place:
    kind: str  # "post" | "draft" | "doc" | "page"
    rel: str  # Jekyll's relative_path: to collections_dir for documents, to the source for pages
    collection: Collection | None = None
    page_dir: str = ""  # Page @dir: "" or "/a/b"


def ruby_str(value: Any) -> str:
    """Ruby's to_s for YAML scalars (true, not True)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def search_exclusion(meta: dict[str, Any]) -> str | None:
    """The front-matter flag (any generator's) that keeps a page out of search, as text."""
    wanted = {"search": False, "noindex": True, "searchexclude": True, "sitemap": False}
    for key, value in meta.items():
        norm = re.sub(r"[\s_\-]", "", str(key)).lower()
        if norm not in wanted:
            continue
        flag = value if isinstance(value, bool) else {"true": True, "yes": True, "false": False, "no": False}.get(
            str(value).strip().lower()
        )
        if flag is wanted[norm]:
            return f"{key}: {ruby_str(value)}"
    return None


def _pluralized(data: dict, singular: str, plural: str) -> list:
    """Utils.pluralized_array_from_hash: the singular key wins; a plural string is split."""
    value = data.get(singular)
    if not truthy(value):
        value = data.get(plural)
        value = value.split() if isinstance(value, str) else [v for v in value if v is not None] if isinstance(value, list) else None
    flat: list = []
    stack = [value]
    while stack:
        item = stack.pop(0)
        if isinstance(item, list):
            stack[0:0] = item
        elif item is not None:
            flat.append(item)
    return flat


def _union(*lists: list) -> list:
    seen, out = set(), []
    for item in (i for lst in lists for i in lst):
        key = (type(item).__name__, ruby_str(item))
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _merge_data(data: dict, other: dict) -> None:
    """Document#merge_data!: categories are split and added to, everything else deep-merged."""
    other = dict(other)
    cats = other.get("categories")
    if cats is not None:
        if isinstance(cats, str):
            cats = cats.split()
        elif isinstance(cats, dict):
            cats = []
        elif not isinstance(cats, list):
            cats = [ruby_str(cats)]  # Jekyll: a TypeError that drops the whole front matter
        other["categories"] = _union(data.get("categories") or [], cats)
    deep_merge(data, other)


def _strings(values: list) -> list[str]:
    out: list[str] = []
    for value in values:
        if isinstance(value, dict):
            value = value.get("name")
        if value is None or isinstance(value, (dict, list)):
            continue
        text = ruby_str(value)
        if text and text not in out:
            out.append(text)
    return out


class JekyllSite(Site):
    kind = "jekyll"
    facets = ("tags", "categories", "authors")

    def __init__(self, root: Path | str, config_path: Path | None = None, *, site_url: str | None = None):
        self.root = self.content_root = Path(root)
        self.config_path = config_path or find_config(self.root)
        if self.config_path is None:
            raise SiteConfigError(f"{self.root}: no _config.yml, _config.yaml or _config.toml")
        self.config = load_config(self.config_path)
        data = self.config.data
        self.collections = collections(self.config)
        self.collections_dir = self.config.str_setting("collections_dir").strip("/")
        self.filter = EntryFilter(data["exclude"], data["include"], self.root)
        self.included_files = {str(p).lstrip("/") for p in data["include"] if isinstance(p, str) and (self.root / str(p).lstrip("/")).is_file()}
        self.defaults = FrontMatterDefaults(data["defaults"], self.root, self.collections_dir, self.config.name)
        self.tz = site_timezone(self.config)
        self.site_url = self.config.str_setting("url") if site_url is None else site_url
        self.baseurl = self.config.str_setting("baseurl")
        self.style = data["permalink"]
        self.show_drafts, self.future, self.unpublished = (truthy(data[k]) for k in ("show_drafts", "future", "unpublished"))
        self.markdown_exts = markdown_exts(self.config)
        destination = self.config.str_setting("destination") or "_site"
        self.destination = os.path.relpath(self.root / destination, self.root).replace(os.sep, "/")
        self.fixed_time = self._config_time()
        self._folders: dict[tuple[str, ...], Skip | None] = {}
        self._authors_path, self._terms = self._read_authors()

    @classmethod
    def detect(cls, root: Path | str, *, site_url: str | None = None) -> JekyllSite | None:
        path = find_config(Path(root))
        return None if path is None else cls(root, path, site_url=site_url)

    def describe(self) -> str:
        outputs = [c.label for c in self.collections.values() if c.output and c.label != "posts"]
        base = absolute_url(self.site_url, self.baseurl, "/")
        extra = f", collections {', '.join(outputs)}" if outputs else ""
        return f"Jekyll site, config {self.config.name} (permalink {self.style}{extra}; URLs under {base})"

    # -- site-wide -----------------------------------------------------------

    def _config_time(self) -> dt.datetime | None:
        raw = self.config.data.get("time")
        if raw in (None, ""):
            return None
        try:
            return self._time(raw)
        except PostError:
            raise SiteConfigError(f"{self.config.where('time')}: time {ruby_str(raw)!r} is not a date") from None

    def _read_authors(self) -> tuple[Path | None, dict[str, dict[str, Term]]]:
        folder = self.root / (self.config.str_setting("data_dir") or "_data")
        for name in AUTHOR_FILES:
            path = folder / name
            if not path.is_file():
                continue
            try:
                text = path.read_text("utf-8-sig")
                data = json.loads(text) if name.endswith(".json") else yaml.safe_load(text)
            except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
                where = getattr(exc, "problem_mark", None)
                line = f" (line {where.line + 1})" if where is not None else ""
                logger.warning("%s%s: cannot be read; author names are shown as written", path, line)
                return path, {}
            return path, {"authors": self._author_terms(data)}
        return None, {}

    @staticmethod
    def _author_terms(data: Any) -> dict[str, Term]:
        items = data.items() if isinstance(data, dict) else []
        terms: dict[str, Term] = {}
        for key, value in items:
            label = value if isinstance(value, str) else None
            if isinstance(value, dict):
                label = next((ruby_str(value[k]) for k in NAME_KEYS if value.get(k) not in (None, "")), None)
            if label and facet_key(ruby_str(key)):
                terms[facet_key(ruby_str(key))] = Term(label=label)
        return terms

    def terms(self) -> dict[str, dict[str, Term]]:
        return self._terms

    def fingerprint(self) -> str:
        digest = hashlib.sha256(RULES_VERSION.encode())
        digest.update(self.config.raw)
        if self._authors_path is not None:
            try:
                digest.update(self._authors_path.read_bytes())
            except OSError:
                pass
        digest.update(json.dumps(sorted(self.defaults.globs.items())).encode())
        # URLs hold local dates when the config names no timezone.
        digest.update(f"{os.environ.get('TZ', '')}|{time.tzname}|{time.timezone}|{self.site_url}".encode())
        return digest.hexdigest()[:16]

    # -- where a file sits ---------------------------------------------------

    def _folder_skip(self, parts: tuple[str, ...]) -> Skip | None:
        """Why Jekyll's reader never enters the folder ``parts`` (Reader#read_directories)."""
        if parts in self._folders:
            return self._folders[parts]
        skip = self._folder_skip(parts[:-1]) if len(parts) > 1 else None
        if skip is None:
            path = "/".join(parts)
            reason = self.filter.rejects(parts[-1], "/" + path)
            if path == self.destination:
                skip = _FolderSkip(NOT_A_PAGE, f"in {path}/, the output folder (destination)")
            elif reason:
                label = FOLDER_NAMES.get(parts[-1], "")
                what = f"the {label} folder" if label else "a folder Jekyll does not read"
                kind = EXCLUDED if reason.startswith("excluded") else NOT_A_PAGE
                skip = _FolderSkip(kind, f"in {path}/, {what} ({reason})")
        self._folders[parts] = skip
        return skip

    def _locate(self, rel: str) -> _Place:
        parts = tuple(rel.split("/"))
        cdir = self.collections_dir
        in_cdir = rel[len(cdir) + 1 :] if cdir and rel.startswith(cdir + "/") else (None if cdir else rel)
        if in_cdir is not None and "/" in in_cdir:
            place = self._locate_document(in_cdir)
            if place is not None:
                return place
        magic = next((i for i, p in enumerate(parts[:-1]) if p in ("_posts", "_drafts")), None)
        if magic is not None:
            return self._locate_post(rel, parts, magic)
        if rel in self.included_files:
            return _Place("page", rel, page_dir=posixpath.dirname("/" + rel).rstrip("/"))
        for depth in range(1, len(parts)):
            skip = self._folder_skip(parts[:depth])
            if skip is not None:
                raise skip
        page_dir = "/" + "/".join(parts[:-1]) if len(parts) > 1 else ""
        self._check_entry(parts[-1], f"{page_dir}/{parts[-1]}")
        return _Place("page", rel, page_dir=page_dir)

    def _check_entry(self, entry: str, rel_to_source: str) -> None:
        reason = self.filter.rejects(entry, rel_to_source)
        if reason:
            raise Skip(EXCLUDED if reason.startswith("excluded") else NOT_A_PAGE, f"{reason}; Jekyll does not read it")

    def _locate_document(self, rel: str) -> _Place | None:
        folder, entry = rel.split("/", 1)
        collection = next((c for c in self.collections.values() if c.folder == folder and c.label not in ("posts", "data")), None)
        if collection is None:
            return None
        self._check_entry(entry, rel)  # Collection#filtered_entries (relative to the source, less collections_dir)
        if not collection.output:
            raise Skip(NOT_A_PAGE, f"in collection '{collection.label}', which has no output: true")
        return _Place("doc", rel, collection)

    def _locate_post(self, rel: str, parts: tuple[str, ...], magic: int) -> _Place:
        for depth in range(1, magic + 1):
            skip = self._folder_skip(parts[:depth])
            if skip is not None:
                raise skip
        folder = "/" + "/".join(parts[:magic]) if magic else ""
        cdir = self.collections_dir
        if cdir and not folder.startswith("/" + cdir):
            raise _FolderSkip(NOT_A_PAGE, f"{parts[magic]}/ outside collections_dir {cdir}/: Jekyll does not read it")
        entry = "/".join(parts[magic + 1 :])
        self._check_entry(entry, f"{folder}/{parts[magic]}/{entry}")
        if parts[magic] == "_drafts":
            if not self.show_drafts:
                raise Skip(UNPUBLISHED, "a draft (_drafts/ is published only with show_drafts: true)")
            if not DATELESS_NAME.match(entry):
                raise Skip(NOT_A_PAGE, "a draft without a file extension; Jekyll ignores it")
        elif not DATE_NAME.match(entry):
            raise Skip(NOT_A_PAGE, "in _posts/ without a YYYY-MM-DD- date in its name; Jekyll ignores it")
        jekyll_rel = rel[len(cdir) + 1 :] if cdir else rel
        return _Place("draft" if parts[magic] == "_drafts" else "post", jekyll_rel, self.collections["posts"])

    def candidates(self) -> Iterator[Candidate]:
        stats: dict = {}
        for path in iter_post_paths(self.root, stats):
            rel = path.relative_to(self.root).as_posix()
            try:
                self._locate(rel)
            except _FolderSkip:
                continue
            except Skip:
                pass  # rules() says why
            info = stats.get(str(path)) or path.stat()
            yield Candidate(rel=rel, path=str(path), size=info.st_size, mtime_ns=info.st_mtime_ns)

    # -- one file ------------------------------------------------------------

    def _head(self, rel: str) -> bytes:
        try:
            with open(self.root / rel, "rb") as handle:
                return handle.readline(4096)
        except OSError:
            return b""

    def _time(self, value: Any) -> dt.datetime:
        """Utils.parse_date(value.to_s): Time.parse, then localtime (the config's timezone)."""
        if isinstance(value, dt.datetime):
            # An unquoted YAML timestamp without offset is UTC to Psych; PyYAML leaves it naive.
            moment = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
            return moment.astimezone(self.tz)
        if isinstance(value, dt.date):
            return self._local(dt.datetime(value.year, value.month, value.day))
        parsed = parse_date(value) if isinstance(value, str) else None
        if parsed is None:
            raise PostError(f"date {ruby_str(value)!r} is not a date Jekyll can read (Jekyll stops the build)")
        return parsed.astimezone(self.tz) if parsed.tzinfo else self._local(parsed)

    def _local(self, naive: dt.datetime) -> dt.datetime:
        return naive.astimezone() if self.tz is None else naive.replace(tzinfo=self.tz)

    def _name_date(self, text: str) -> dt.datetime:
        """The file name's date as Time.parse reads it: 2-digit years, day overflow rolls on."""
        year, month, day = (int(p) for p in text.split("-"))
        if len(text.split("-")[0]) == 2:
            year += 2000 if year < 69 else 1900
        if not 1 <= month <= 12 or not 1 <= day <= 31 or year < 1:
            raise PostError(f"the date {text} in the file name is not a date (Jekyll stops the build)")
        return self._local(dt.datetime(year, month, 1) + dt.timedelta(days=day - 1))

    def rules(self, rel: str, meta: dict[str, Any] | None, now: dt.datetime) -> PageRules:
        place = self._locate(rel)
        head = self._head(rel)
        if place.kind in ("page", "doc") and not YAML_HEADER.match(head):
            raise Skip(NOT_A_PAGE, "no front matter ('---' on its first line): Jekyll copies it as a static file")
        if place.kind in ("post", "draft") and not YAML_HEADER.match(head.removeprefix(b"\xef\xbb\xbf")):
            meta = None  # Jekyll reads a post without front matter as one with none
        front = dict(meta or {})
        site_time = self.fixed_time or (now if now.tzinfo else now.replace(tzinfo=dt.timezone.utc))
        if place.kind == "page":
            return self._page_rules(place, front)
        return self._document_rules(place, front, site_time)

    def _finish(self, place: _Place, data: dict, url: str, date: dt.datetime | None, title: str | None, output_ext: str) -> PageRules:
        if output_ext not in HTML_EXTS:
            raise Skip(NOT_A_PAGE, f"written as {url}, not as an HTML page")
        reason = search_exclusion(data)
        if reason:
            raise Skip(EXCLUDED, f"{reason} in front matter")
        ext = posixpath.splitext(place.rel)[1].lower()
        facets = {
            "tags": _strings(_pluralized(data, "tag", "tags")) if place.kind == "page" else _strings(data.get("tags") or []),
            "categories": _strings(_pluralized(data, "category", "categories") if place.kind == "page" else data.get("categories") or []),
            "authors": _strings(_flat_array(data.get("authors")) + _flat_array(data.get("author"))),
        }
        language = data.get("lang") or self.config.data.get("lang")
        kind = "home" if place.kind == "page" and url == "/" else "page"
        return PageRules(
            url=absolute_url(self.site_url, self.baseurl, url),
            date=date,
            facets=facets,
            meta=data,
            title=title,
            language=ruby_str(language) if language else None,
            dialect="kramdown" if ext in self.markdown_exts else "html",
            kind=kind,
            extra={"jekyll_url": url, "jekyll_type": place.collection.label if place.collection else "pages"},
        )

    def _page_rules(self, place: _Place, front: dict) -> PageRules:
        if "published" in front and not truthy(front["published"]) and not self.unpublished:
            # Page data is the front matter alone: a defaults: published: false does not apply.
            raise Skip(UNPUBLISHED, f"published: {ruby_str(front['published']) or 'null'}")
        permalink = front["permalink"] if "permalink" in front else self.defaults.find(place.rel, "pages", "permalink")
        if permalink == "":
            raise PostError("permalink is empty (Jekyll stops the build)")
        name = place.rel.rsplit("/", 1)[-1]
        ext = posixpath.splitext(name)[1]
        basename = re.sub(r"\.*\Z", "", name[: len(name) - len(ext)] if ext else name)
        output_ext = self._output_ext(ext, permalink)
        if output_ext not in HTML_EXTS:
            template = "/:path/:basename:output_ext"
        elif basename == "index":
            template = "/:path/"
        else:
            template = add_permalink_suffix("/:path/:basename", self.style)
        values = {"path": place.page_dir, "basename": basename, "output_ext": output_ext}
        try:
            url = sanitize_url(expand_page(ruby_str(permalink) if truthy(permalink) else template, values))
        except ValueError as exc:
            raise PostError(f"its URL cannot be built: {exc}") from None
        data = deep_merge(self.defaults.all(place.rel, "pages"), front)
        date = None
        if data.get("date") not in (None, ""):
            try:
                date = self._time(data["date"])
            except PostError:
                date = None  # a page's date is only shown, never parsed, by Jekyll
        return self._finish(place, data, url, date, None, output_ext)

    def _output_ext(self, ext: str, permalink: Any) -> str:
        """Renderer#output_ext: the permalink's extension, else the converter's."""
        if isinstance(permalink, str) and permalink and not permalink.endswith("/"):
            own = posixpath.splitext(permalink)[1]
            if own:
                return own
        return ".html" if ext.lower() in self.markdown_exts else ext

    def _document_rules(self, place: _Place, front: dict, site_time: dt.datetime) -> PageRules:
        collection = place.collection
        kind = "posts" if collection.label == "posts" else collection.label
        is_draft = truthy(self.defaults.find(place.rel, kind, "draft")) or place.kind == "draft"
        special = "_drafts" if is_draft else collection.folder
        data: dict[str, Any] = {"categories": self._path_categories(place.rel, special)}
        _merge_data(data, self.defaults.all(place.rel, kind))
        _merge_data(data, front)
        explicit = "date" in data  # Document#merge_date!: even an empty date is parsed (and fails)
        date = self._time(data["date"]) if explicit else None
        basename = posixpath.splitext(place.rel.rsplit("/", 1)[-1])[0]
        match = DATE_NAME.match(place.rel)
        if match:
            name_date, slug, ext = match.groups()
            if date is None or int(date.timestamp()) == int(site_time.timestamp()):
                date = self._name_date(name_date)
        else:
            match = DATELESS_NAME.match(place.rel)
            slug, ext = match.groups() if match else (basename, "")
        slug = re.sub(r"\.*\Z", "", slug)
        title = None if truthy(data.get("title")) else titleize_slug(slug)
        if not truthy(data.get("slug")):
            data["slug"] = slug
        data.setdefault("ext", ext)
        # populate_categories: Array(categories) + (category || categories), each to_s, unique.
        data["categories"] = _strings(_flat_array(data.get("categories")) + _pluralized(data, "category", "categories"))
        data["tags"] = _pluralized(data, "tag", "tags")
        if date is None and is_draft:
            date = self._local(dt.datetime.fromtimestamp(os.stat(self.root / self._site_rel(place.rel)).st_mtime))
        if not truthy(data.get("published", True)) and not self.unpublished:
            raise Skip(UNPUBLISHED, f"published: {ruby_str(data['published']) or 'null'}")
        when = date or site_time.astimezone(self.tz)
        if not self.future and int(when.timestamp()) > int(site_time.timestamp()):
            raise Skip(UNPUBLISHED, f"dated {when.isoformat()}, in the future (Jekyll publishes it only with future: true)")
        data["date"] = when
        output_ext = self._output_ext(posixpath.splitext(place.rel)[1], data.get("permalink"))
        url = self._document_url(place, data, when, output_ext)
        return self._finish(place, data, url, date if (explicit or match or is_draft) else None, title, output_ext)

    def _site_rel(self, rel: str) -> str:
        return f"{self.collections_dir}/{rel}" if self.collections_dir else rel

    @staticmethod
    def _path_categories(rel: str, special: str) -> list[str]:
        """Document#categories_from_path: the folders above ``_posts`` (an unanchored match)."""
        if rel.startswith(special):
            return []
        index = rel.find(special)
        above = rel[:index] if index >= 0 else rel
        name = rel.rsplit("/", 1)[-1]
        return [part for part in above.split("/") if part and part != special and part != name]

    def _document_url(self, place: _Place, data: dict, date: dt.datetime, output_ext: str) -> str:
        collection = place.collection
        permalink = data.get("permalink")
        template = ruby_str(permalink) if truthy(permalink) else collection.permalink
        ext = posixpath.splitext(place.rel)[1]
        basename = posixpath.splitext(place.rel.rsplit("/", 1)[-1])[0]
        cleaned = re.sub(r"\.*\Z", "", (place.rel[: len(place.rel) - len(ext)] if ext else place.rel).replace(collection.folder, "", 1))
        slug = ruby_str(data.get("slug"))
        categories = data.get("categories") or []
        values = {
            "collection": lambda: collection.label,
            "name": lambda: slugify(basename),
            "title": lambda: slugify(slug, "pretty", cased=True),
            "slug": lambda: slugify(slug),
            "categories": lambda: "/".join(dict.fromkeys(ruby_str(c).lower() for c in categories)),
            "slugified_categories": lambda: "/".join(dict.fromkeys(slugify(ruby_str(c)) for c in categories)),
            "path": lambda: cleaned,
            "output_ext": lambda: output_ext,
        }
        values.update({name: (lambda name=name: date_value(date, name)) for name in DATE_PLACEHOLDERS})
        try:
            return sanitize_url(expand_document(template, values))
        except PlaceholderError as exc:
            raise PostError(str(exc)) from None
        except ValueError as exc:
            raise PostError(f"its URL cannot be built: {exc}") from None


def _flat_array(value: Any) -> list:
    """Ruby's Array(value)."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return [value]  # Ruby gives its pairs; a mapping is one author ({name: ...}) here
    return [value]
