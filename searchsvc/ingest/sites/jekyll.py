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
import functools
import hashlib
import json
import os
import posixpath
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ...words import facet_key
from ..document import PostError
from ..walk import walk_posts

from .base import EXCLUDED, NOT_A_PAGE, UNPUBLISHED, Candidate, PageRules, Site, SiteConfigError, Skip, Term
from .jekyll_config import (
    Collection,
    EntryFilter,
    FrontMatterDefaults,
    collections,
    deep_merge,
    find_config,
    flat_array,
    load_config,
    markdown_exts,
    read_authors,
    merge_data,
    pluralized,
    site_timezone,
    truthy,
)
from .jekyll_permalinks import (
    PlaceholderError,
    absolute_url,
    add_permalink_suffix,
    document_url,
    expand_page,
    jekyll_time,
    local_time,
    name_date,
    ruby_str,
    sanitize_url,
    titleize_slug,
)

RULES_VERSION = "jekyll-4.3-rules-1"  # part of the fingerprint: bump when a rule changes
HTML_EXTS = (".html", ".xhtml", ".htm")  # Page::HTML_EXTENSIONS
DATE_NAME = re.compile(r"^(?>.+/)*?(\d{2,4}-\d{1,2}-\d{1,2})-([^/]*)(\.[^.]+)$")  # Document::DATE_FILENAME_MATCHER
DATELESS_NAME = re.compile(r"^(?:.+/)*(.*)(\.[^.]+)$")  # Document::DATELESS_FILENAME_MATCHER
YAML_HEADER = re.compile(rb"\A---\s*\r?\n")  # Utils.has_yaml_header?
FOLDER_NAMES = {"_layouts": "layouts", "_includes": "includes", "_data": "data", "_sass": "Sass partials"}


class _FolderSkip(Skip):
    """Jekyll never lists the folder: such files are not even candidates."""


@dataclass(frozen=True)
class _Folder:
    kind: str  # "post" | "draft" | "doc" | "page": what its files are; "skip": Jekyll never lists it
    collection: Collection | None = None
    magic: int = -1  # the index of its "_posts"/"_drafts" part
    skip: tuple[str, str] = ("", "")  # (Skip kind, reason) for "skip"; a tuple, so the site pickles


@dataclass(frozen=True)
class _Place:
    kind: str  # "post" | "draft" | "doc" | "page"
    rel: str  # Jekyll's relative_path: to collections_dir for documents, to the source for pages
    collection: Collection | None = None
    page_dir: str = ""  # Page @dir: "" or "/a/b"


SEARCH_FLAGS = {"search": False, "noindex": True, "searchexclude": True, "sitemap": False}  # key -> value that hides
FLAG_WORDS = {"true": True, "yes": True, "false": False, "no": False}


@functools.lru_cache(maxsize=4096)
def _flag_key(key: str) -> str:
    return re.sub(r"[\s_\-]", "", key).lower()


def search_exclusion(meta: dict[str, Any]) -> str | None:
    """The front-matter flag (any generator's) that keeps a page out of search, as text."""
    for key, value in meta.items():
        norm = _flag_key(str(key))
        if norm not in SEARCH_FLAGS:
            continue
        flag = value if isinstance(value, bool) else FLAG_WORDS.get(str(value).strip().lower())
        if flag is SEARCH_FLAGS[norm]:
            return f"{key}: {ruby_str(value)}"
    return None


def _facet_values(values: list) -> list[str]:
    """Taxonomy values as text, first occurrences; an author given as {name: ...} by its name."""
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
        # Reader#read_included_excludes: a file named in include: is read wherever it is.
        named = (p.lstrip("/") for p in data["include"] if isinstance(p, str))
        self.included_files = {p for p in named if (self.root / p).is_file()}
        self.defaults = FrontMatterDefaults(data["defaults"], self.root, self.collections_dir, self.config.name)
        self.tz = site_timezone(self.config)
        self.site_url = self.config.str_setting("url") if site_url is None else site_url
        self.baseurl = self.config.str_setting("baseurl")
        self.style = data["permalink"]
        self.show_drafts, self.future, self.unpublished = (
            truthy(data[key]) for key in ("show_drafts", "future", "unpublished")
        )
        self.markdown_exts = markdown_exts(self.config)
        destination = self.config.str_setting("destination") or "_site"
        self.destination = os.path.relpath(self.root / destination, self.root).replace(os.sep, "/")
        self.fixed_time = self._config_time()
        self._folders: dict[str, _Folder] = {}
        self._by_folder = {c.folder: c for c in self.collections.values() if c.label not in ("posts", "data")}
        self._authors_path, names = read_authors(self.root, self.config)
        authors = {facet_key(key): Term(label=label) for key, label in names.items() if facet_key(key)}
        self._terms = {"authors": authors} if self._authors_path else {}

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

    def _level_skip(self, parts: tuple[str, ...]) -> _Folder | None:
        """Why Jekyll's reader never enters the folder ``parts`` (Reader#read_directories)."""
        skip = self._level_skip(parts[:-1]) if len(parts) > 1 else None
        if skip is None:
            path = "/".join(parts)
            reason = self.filter.rejects(parts[-1], "/" + path)
            if path == self.destination:
                skip = _Folder("skip", skip=(NOT_A_PAGE, f"in {path}/, the output folder (destination)"))
            elif reason:
                label = FOLDER_NAMES.get(parts[-1], "")
                what = f"the {label} folder" if label else "a folder Jekyll does not read"
                kind = EXCLUDED if reason.startswith("excluded") else NOT_A_PAGE
                skip = _Folder("skip", skip=(kind, f"in {path}/, {what} ({reason})"))
        return skip

    def _folder(self, folder: str) -> _Folder:
        """What a folder holds for Jekyll, or why it never lists it; once per folder."""
        found = self._folders.get(folder)
        if found is None:
            found = self._folders[folder] = self._classify(tuple(folder.split("/")) if folder else ())
        return found

    def _classify(self, parts: tuple[str, ...]) -> _Folder:
        cdir = tuple(self.collections_dir.split("/")) if self.collections_dir else ()
        inside = parts[len(cdir) :] if parts[: len(cdir)] == cdir else ()
        collection = self._by_folder.get(inside[0]) if inside else None
        if collection is not None:  # Collection#read (its own entry filter, below)
            return _Folder("doc", collection)
        magic = next((i for i, p in enumerate(parts) if p in ("_posts", "_drafts")), len(parts))
        for depth in range(1, magic + 1):
            skip = self._level_skip(parts[:depth])
            if skip is not None:
                return skip
        if magic == len(parts):
            return _Folder("page")
        # Reader#outside_configured_directory?: with a collections_dir, posts are read only inside it.
        if cdir and not "/".join(parts[:magic]).startswith(self.collections_dir):
            reason = f"{parts[magic]}/ outside collections_dir {self.collections_dir}/: not read"
            return _Folder("skip", skip=(NOT_A_PAGE, reason))
        return _Folder("draft" if parts[magic] == "_drafts" else "post", self.collections["posts"], magic)

    def _locate(self, rel: str) -> _Place:
        folder, _, name = rel.rpartition("/")
        found = self._folder(folder)
        if found.kind in ("skip", "page"):
            if rel in self.included_files:  # Reader#read_included_excludes
                return _Place("page", rel, page_dir="/" + folder if folder else "")
            if found.kind == "skip":
                raise _FolderSkip(*found.skip)
            page_dir = "/" + folder if folder else ""
            self._check_entry(name, f"{page_dir}/{name}")
            return _Place("page", rel, page_dir=page_dir)
        jekyll_rel = rel[len(self.collections_dir) + 1 :] if self.collections_dir else rel
        if found.kind == "doc":
            self._check_entry(jekyll_rel.split("/", 1)[1], jekyll_rel)  # Collection#filtered_entries
            if not found.collection.output:
                raise Skip(NOT_A_PAGE, f"in collection '{found.collection.label}', which has no output: true")
            return _Place("doc", jekyll_rel, found.collection)
        parts = rel.split("/")
        magic, entry = parts[found.magic], "/".join(parts[found.magic + 1 :])
        self._check_entry(entry, "/" + "/".join(parts))  # Reader#get_entries
        if found.kind == "draft":
            if not self.show_drafts:
                raise Skip(UNPUBLISHED, "a draft (_drafts/ is published only with show_drafts: true)")
            if not DATELESS_NAME.match(entry):
                raise Skip(NOT_A_PAGE, "a draft without a file extension; Jekyll ignores it")
        elif not DATE_NAME.match(entry):
            raise Skip(NOT_A_PAGE, f"in {magic}/ without a YYYY-MM-DD- date in its name; Jekyll ignores it")
        return _Place(found.kind, jekyll_rel, found.collection)

    def _check_entry(self, entry: str, rel_to_source: str) -> None:
        reason = self.filter.rejects(entry, rel_to_source)
        if reason:
            raise Skip(EXCLUDED if reason.startswith("excluded") else NOT_A_PAGE, f"{reason}; Jekyll does not read it")

    def candidates(self) -> Iterator[Candidate]:
        """Files with a page suffix in folders Jekyll lists; rules() judges each file."""
        cut = len(str(self.root)) + 1
        for text, info in walk_posts(self.root):
            rel = text[cut:].replace(os.sep, "/")
            if self._folder(rel.rpartition("/")[0]).kind == "skip" and rel not in self.included_files:
                continue
            yield Candidate(rel, text, info.st_size, info.st_mtime_ns)

    # -- one file ------------------------------------------------------------

    def _head(self, rel: str) -> bytes:
        """The file's first line (Utils.has_yaml_header? reads just that)."""
        try:
            fd = os.open(os.path.join(self.root, rel), os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            return b""
        try:
            data = os.read(fd, 1024)
        except OSError:
            return b""
        finally:
            os.close(fd)
        end = data.find(b"\n")
        return data if end < 0 else data[: end + 1]

    def _time(self, value: Any) -> dt.datetime:
        try:
            return jekyll_time(value, self.tz)
        except ValueError as exc:
            raise PostError(str(exc)) from None

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

    def _finish(self, place: _Place, data: dict, url: str, date: dt.datetime | None, title: str | None,
                output_ext: str) -> PageRules:
        if output_ext not in HTML_EXTS:
            raise Skip(NOT_A_PAGE, f"written as {url}, not as an HTML page")
        reason = search_exclusion(data)
        if reason:
            raise Skip(EXCLUDED, f"{reason} in front matter")
        if place.kind == "page":  # Jekyll fills categories and tags for documents only; the same rule here
            data = dict(
                data, categories=pluralized(data, "category", "categories"), tags=pluralized(data, "tag", "tags")
            )
        facets = {
            "tags": _facet_values(data.get("tags") or []),
            "categories": _facet_values(data.get("categories") or []),
            "authors": _facet_values(flat_array(data.get("authors")) + flat_array(data.get("author"))),
        }
        language = data.get("lang") or self.config.data.get("lang")
        ext = posixpath.splitext(place.rel)[1].lower()
        return PageRules(
            url=absolute_url(self.site_url, self.baseurl, url),
            date=date,
            facets=facets,
            meta=data,
            title=title,
            language=ruby_str(language) if language else None,
            dialect="kramdown" if ext in self.markdown_exts else "html",
            kind="home" if place.kind == "page" and url == "/" else "page",
            extra={"jekyll_url": url, "jekyll_type": place.collection.label if place.collection else "pages"},
        )

    def _page_rules(self, place: _Place, front: dict) -> PageRules:
        """Jekyll::Page: the front matter alone decides published (defaults do not), permalink falls back."""
        if "published" in front and not truthy(front["published"]) and not self.unpublished:
            raise Skip(UNPUBLISHED, f"published: {ruby_str(front['published']) or 'null'}")
        if "permalink" in front:
            permalink = front["permalink"]
        else:
            permalink = self.defaults.find(place.rel, "pages", "permalink")
        if permalink == "":
            raise PostError("permalink is empty (Jekyll stops the build)")
        name = place.rel.rsplit("/", 1)[-1]
        ext = posixpath.splitext(name)[1]
        basename = (name[: len(name) - len(ext)] if ext else name).rstrip(".")
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
                date = None  # Jekyll shows a page's date as written and never parses it
        return self._finish(place, data, url, date, None, output_ext)

    def _output_ext(self, ext: str, permalink: Any) -> str:
        """Renderer#output_ext: the permalink's extension, else the converter's."""
        if isinstance(permalink, str) and permalink and not permalink.endswith("/"):
            own = posixpath.splitext(permalink)[1]
            if own:
                return own
        return ".html" if ext.lower() in self.markdown_exts else ext

    def _document_rules(self, place: _Place, front: dict, site_time: dt.datetime) -> PageRules:
        """Jekyll::Document#read: path categories, defaults, front matter; then title, slug, date."""
        collection = place.collection
        is_draft = truthy(self.defaults.find(place.rel, collection.label, "draft")) or place.kind == "draft"
        special = "_drafts" if is_draft else collection.folder
        data: dict[str, Any] = {"categories": self._path_categories(place.rel, special)}
        merge_data(data, self.defaults.all(place.rel, collection.label))
        merge_data(data, front)
        explicit = "date" in data  # Document#merge_date!: even an empty date is parsed (and fails)
        date = self._time(data["date"]) if explicit else None
        match = DATE_NAME.match(place.rel)
        if match:
            text, slug, ext = match.groups()
            if date is None or int(date.timestamp()) == int(site_time.timestamp()):
                date = self._date_of_name(text)
        else:
            match = DATELESS_NAME.match(place.rel)
            slug, ext = match.groups() if match else (posixpath.splitext(place.rel.rsplit("/", 1)[-1])[0], "")
        slug = slug.rstrip(".")
        title = None if truthy(data.get("title")) else titleize_slug(slug)
        if not truthy(data.get("slug")):
            data["slug"] = slug
        data.setdefault("ext", ext)
        # populate_categories: Array(categories) + (category || categories), each to_s, unique.
        cats = flat_array(data.get("categories")) + pluralized(data, "category", "categories")
        data["categories"] = _facet_values(cats)
        data["tags"] = pluralized(data, "tag", "tags")
        if date is None and is_draft:
            mtime = os.stat(self.root / self._site_rel(place.rel)).st_mtime
            date = local_time(dt.datetime.fromtimestamp(mtime), self.tz)
        if not truthy(data.get("published", True)) and not self.unpublished:
            raise Skip(UNPUBLISHED, f"published: {ruby_str(data['published']) or 'null'}")
        when = date or site_time.astimezone(self.tz)  # Document#date: the build time when nothing else
        if not self.future and int(when.timestamp()) > int(site_time.timestamp()):
            raise Skip(UNPUBLISHED, f"dated {when.isoformat()}, in the future (published only with future: true)")
        data["date"] = when
        permalink = data.get("permalink")
        output_ext = self._output_ext(posixpath.splitext(place.rel)[1], permalink)
        template = ruby_str(permalink) if truthy(permalink) else collection.permalink
        try:
            url = document_url(template, place.rel, collection.folder, collection.label, data, when, output_ext)
        except PlaceholderError as exc:
            raise PostError(str(exc)) from None
        except ValueError as exc:
            raise PostError(f"its URL cannot be built: {exc}") from None
        return self._finish(place, data, url, date, title, output_ext)

    def _date_of_name(self, text: str) -> dt.datetime:
        try:
            return name_date(text, self.tz)
        except ValueError as exc:
            raise PostError(str(exc)) from None

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
