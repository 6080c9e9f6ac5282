"""A Jekyll site's configuration, read once: ``_config.yml|yaml|toml`` over Jekyll 4.3's defaults.

Also the two rule sets the configuration drives that do not depend on one
page: which paths Jekyll reads (``EntryFilter``: exclude/include, special
names) and the front-matter ``defaults:`` (``FrontMatterDefaults``).
"""

from __future__ import annotations

import copy
import datetime as dt
import glob
import json
import logging
import os
import re
import tomllib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .base import SiteConfigError
from .config_files import jekyll_config as find_config
from .jekyll_permalinks import add_permalink_suffix, style_to_permalink, unknown_placeholders

logger = logging.getLogger(__name__)


# Jekyll::Configuration::DEFAULTS, the keys these rules read.
DEFAULTS: dict[str, Any] = {
    "destination": "_site",
    "collections_dir": "",
    "layouts_dir": "_layouts",
    "data_dir": "_data",
    "includes_dir": "_includes",
    "collections": {},
    "include": [".htaccess"],
    "exclude": [],
    "markdown_ext": "markdown,mkdown,mkdn,mkd,md",
    "show_drafts": None,
    "future": False,
    "unpublished": False,
    "baseurl": None,
    "url": None,
    "permalink": "date",
    "timezone": None,
    "defaults": [],
    "time": None,
}
# Configuration::DEFAULT_EXCLUDES, always added to the site's own list.
DEFAULT_EXCLUDES = ".sass-cache .jekyll-cache gemfiles Gemfile Gemfile.lock node_modules".split() + [
    "vendor/bundle/", "vendor/cache/", "vendor/gems/", "vendor/ruby/",
]
AUTHOR_FILES = ("authors.yml", "authors.yaml", "authors.json")
NAME_KEYS = ("name", "display_name")  # what themes and jekyll-seo-tag read from _data/authors


def truthy(value: Any) -> bool:
    """Ruby's truth: everything but nil and false (so "false" and 0 are true)."""
    return value is not None and value is not False


def deep_merge(target: dict, overwrite: dict) -> dict:
    """Utils.deep_merge_hashes!: a nil in ``overwrite`` keeps the old value; hashes merge."""
    for key, new in overwrite.items():
        if key in target:
            old = target[key]
            if new is None:
                continue
            if isinstance(old, dict) and isinstance(new, dict):
                target[key] = deep_merge(copy.copy(old), new)
                continue
        target[key] = new
    return target


# ---------------------------------------------------------------------------
# A document's data (Document#merge_data!, Utils.pluralized_array_from_hash)


def flat_array(value: Any) -> list:
    """Ruby's Array(value), except that a mapping stays one item ({name: ...} is one author)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def union(*lists: list) -> list:
    """Ruby's Array#|: first occurrences, 1 and "1" kept apart."""
    seen, out = set(), []
    for item in (i for lst in lists for i in lst):
        key = (type(item).__name__, repr(item))
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def merge_data(data: dict, other: dict) -> None:
    """Document#merge_data!: categories are split and added to, everything else deep-merged."""
    other = dict(other)
    cats = other.get("categories")
    if cats is not None:
        if isinstance(cats, str):
            cats = cats.split()
        elif isinstance(cats, dict):
            cats = []
        elif not isinstance(cats, list):
            cats = [cats]  # Jekyll: a TypeError that drops the file's whole front matter
        other["categories"] = union(data.get("categories") or [], cats)
    deep_merge(data, other)


def pluralized(data: dict, singular: str, plural: str) -> list:
    """Utils.pluralized_array_from_hash: the singular key wins; a plural string is split on spaces."""
    value = data.get(singular)
    if not truthy(value):
        value = data.get(plural)
        if isinstance(value, str):
            value = value.split()
        elif isinstance(value, list):
            value = [v for v in value if v is not None]
        else:
            value = None
    flat: list = []
    stack = [value]
    while stack:
        item = stack.pop(0)
        if isinstance(item, list):
            stack[0:0] = item
        elif item is not None:
            flat.append(item)
    return flat


# ---------------------------------------------------------------------------
# Which paths Jekyll reads


def _fnmatch_regex(pattern: str) -> str:
    """Ruby File.fnmatch without flags: "*" matches "/" too, no braces."""
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        elif char == "[" and "]" in pattern[i + 2 :]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end]
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


class _Globs:
    """EntryFilter#glob_include? for one list of patterns, paths relative to the source."""

    def __init__(self, patterns: list[str], root: Path):
        self.root = root
        joined = ["/" + p.lstrip("/") for p in patterns if isinstance(p, str)]
        self.prefixes = tuple(joined)
        self.dir_forms = {p for p in joined if p.endswith("/")}
        self.regex = re.compile("|".join(f"(?:{_fnmatch_regex(p)})" for p in joined) or r"(?!)", re.DOTALL)

    def match(self, rel: str) -> bool:
        entry = "/" + rel.lstrip("/")
        if self.regex.fullmatch(entry) or entry.startswith(self.prefixes):
            return True
        return entry + "/" in self.dir_forms and (self.root / rel.lstrip("/")).is_dir()


class EntryFilter:
    """Jekyll::EntryFilter: what a folder listing keeps (exclude, include, special names)."""

    def __init__(self, exclude: list[str], include: list[str], root: Path):
        self.include = _Globs(include, root)
        self.exclude = _Globs([p for p in exclude if p not in include], root)

    def rejects(self, entry: str, rel_to_source: str) -> str | None:
        """Why ``entry`` (as listed) is left out, or None; ``rel_to_source`` is its site path."""
        if entry.endswith("."):
            return "a name ending in '.'"
        base = entry.rsplit("/", 1)[-1]
        included = self.include.match(entry) or self.include.match(base)
        if not included and self.exclude.match(rel_to_source):
            return "excluded by exclude: in the config"
        if included:
            return None
        if entry[:1] in "._#~" or base[:1] in "._#~":
            return f"a name starting with {entry[0] if entry[:1] in '._#~' else base[0]!r}"
        if entry.endswith("~"):
            return "a backup file (name ending in '~')"
        return None


# ---------------------------------------------------------------------------
# Front matter defaults


def _sanitize_scope_path(path: Any) -> str:
    if not isinstance(path, str) or not path:
        return ""
    return path[1:] if path.startswith("/") else path


class FrontMatterDefaults:
    """Jekyll::FrontmatterDefaults: ``defaults:`` sets by scope path and type, with precedence."""

    def __init__(self, sets: Any, root: Path, collections_dir: str, source_name: str):
        self.collections_dir = collections_dir
        self.sets: list[dict] = []
        self.globs: dict[str, list[str]] = {}
        if not isinstance(sets, list):
            if sets not in (None, []):
                logger.warning("%s: defaults is not a list; ignored (as Jekyll does)", source_name)
            return
        for index, item in enumerate(sets):
            if not isinstance(item, dict) or not isinstance(item.get("values"), dict):
                logger.warning("%s: defaults[%d] has no values mapping; ignored (as Jekyll does)", source_name, index)
                continue
            scope = item.get("scope")
            if isinstance(scope, dict) and "type" in scope:
                kind = str(scope["type"])
                scope = dict(scope, type={"page": "pages", "post": "posts", "draft": "drafts"}.get(kind, kind))
            self.sets.append({"scope": scope, "values": item["values"]})
            path = scope.get("path") if isinstance(scope, dict) else None
            if isinstance(path, str) and "*" in path and path not in self.globs:
                found = glob.glob(str(root / path))
                self.globs[path] = [self._strip(os.path.relpath(p, root).replace(os.sep, "/")) for p in found]

    def _strip(self, path: str) -> str:
        prefix = self.collections_dir + "/"
        if self.collections_dir and path.startswith(prefix):
            return path[len(prefix) :]
        return path

    def _applies(self, scope: Any, path: str, kind: str) -> bool:
        if not isinstance(scope, dict):
            return True
        if "type" in scope and scope["type"] != kind:
            return False
        scope_path = scope.get("path")
        if not isinstance(scope_path, str) or not scope_path:
            return True
        path = _sanitize_scope_path(path)
        if "*" in scope_path:
            return any(path.startswith(found) for found in self.globs.get(scope_path, ()))
        return path.startswith(self._strip(scope_path))  # Jekyll does not strip a leading "/" here

    @staticmethod
    def _precedes(old: Any, new: Any) -> bool:
        if not isinstance(old, dict):
            return True
        new = new if isinstance(new, dict) else {}
        new_path, old_path = _sanitize_scope_path(new.get("path")), _sanitize_scope_path(old.get("path"))
        if len(new_path) != len(old_path):
            return len(new_path) >= len(old_path)
        return True if "type" in new else "type" not in old

    def all(self, path: str, kind: str) -> dict:
        """Every default for a file, merged by precedence (Document#merge_defaults)."""
        merged: dict = {}
        old = None
        for item in self.sets:
            if not self._applies(item["scope"], path, kind):
                continue
            if self._precedes(old, item["scope"]):
                merged = deep_merge(merged, copy.deepcopy(item["values"]))
                old = item["scope"]
            else:
                merged = deep_merge(copy.deepcopy(item["values"]), merged)
        return merged

    def find(self, path: str, kind: str, key: str) -> Any:
        """The one default value Jekyll's data hash falls back to for ``key``."""
        value, old = None, None
        for item in self.sets:
            if key not in item["values"] or not self._applies(item["scope"], path, kind):
                continue
            if self._precedes(old, item["scope"]):
                value, old = item["values"][key], item["scope"]
        return value


# ---------------------------------------------------------------------------
# The configuration


@dataclass
class Collection:
    label: str
    output: bool
    permalink: str  # the URL template of its documents
    folder: str  # "_label", relative to collections_dir
    own_permalink: bool = False  # set under collections:, not derived from the global permalink


@dataclass
class JekyllConfig:
    path: Path
    name: str
    raw: bytes
    data: dict[str, Any]
    key_lines: dict[str, int] = field(default_factory=dict)

    def where(self, key: str) -> str:
        line = self.key_lines.get(key)
        return f"{self.name} (line {line})" if line else self.name

    def str_setting(self, key: str) -> str:
        value = self.data.get(key)
        if value is None:
            return ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise SiteConfigError(f"{self.where(key)}: {key} must be text, not {type(value).__name__}")
        return str(value)


def _load_yaml(text: str, name: str) -> tuple[Any, dict[str, int]]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, {}
        lines = {}
        if isinstance(node, yaml.MappingNode):
            lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = f": {exc.problem}" if exc.problem else ""
        raise SiteConfigError(f"{name}: not valid YAML{where}{problem}") from None
    except yaml.YAMLError as exc:
        raise SiteConfigError(f"{name}: not valid YAML ({exc})") from None
    finally:
        loader.dispose()


def _load_toml(text: str, name: str) -> tuple[Any, dict[str, int]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+)", str(exc))
        where = f" (line {match.group(1)})" if match else ""
        raise SiteConfigError(f"{name}: not valid TOML{where}: {str(exc).split(' (at')[0]}") from None
    lines = {}
    for number, line in enumerate(text.splitlines(), 1):
        match = re.match(r"\s*\[*\s*([A-Za-z0-9_\-]+)", line)
        if match and match.group(1) not in lines:
            lines[match.group(1)] = number
    return data, lines


def load_config(path: Path) -> JekyllConfig:
    """Read and check a config file; SiteConfigError names the file and line."""
    name = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SiteConfigError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SiteConfigError(f"{name}: not valid UTF-8 (line {line})") from None
    loaded, lines = _load_toml(text, name) if name.endswith(".toml") else _load_yaml(text, name)
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, dict):
        raise SiteConfigError(f"{name}: must be a mapping of settings, not a {type(loaded).__name__} (line 1)")
    data = deep_merge(copy.deepcopy(DEFAULTS), {str(k): v for k, v in loaded.items()})
    config = JekyllConfig(path=path, name=name, raw=raw, data=data, key_lines=lines)
    _check(config)
    return config


def _check(config: JekyllConfig) -> None:
    data = config.data
    for key in ("include", "exclude"):
        if not isinstance(data[key], list):
            raise SiteConfigError(f"{config.where(key)}: {key} must be a list (Jekyll stops here too)")
    data["exclude"] = data["exclude"] + [p for p in DEFAULT_EXCLUDES if p not in data["exclude"]]
    if not isinstance(data["collections"], (dict, list)):
        raise SiteConfigError(f"{config.where('collections')}: collections must be a mapping or a list")
    permalink = data["permalink"]
    if not isinstance(permalink, str) or not permalink:
        raise SiteConfigError(f"{config.where('permalink')}: permalink must be a style name or a pattern")
    for collection in collections(config).values():
        bad = unknown_placeholders(collection.permalink)
        if bad:
            where = config.where("collections" if collection.own_permalink else "permalink")
            raise SiteConfigError(
                f"{where}: permalink {collection.permalink!r} ({collection.label}) uses {', '.join(bad)}, "
                "which Jekyll does not have (it stops the build)"
            )
    for key in ("url", "baseurl", "collections_dir", "destination", "data_dir", "markdown_ext"):
        config.str_setting(key)


def collections(config: JekyllConfig) -> dict[str, Collection]:
    """Configuration#add_default_collections: ``posts`` always, with the global permalink."""
    raw = config.data["collections"]
    if isinstance(raw, list):
        raw = {str(label): {} for label in raw}
    style = config.data["permalink"]
    suffixed = add_permalink_suffix("/:collection/:path", style)
    found: dict[str, Collection] = {}
    for label, meta in {"posts": {}, **raw}.items():
        meta = meta if isinstance(meta, dict) else {}
        clean = re.sub(r"[^a-z0-9_\-.]", "", str(label), flags=re.IGNORECASE)
        permalink = meta.get("permalink")
        own = isinstance(permalink, str) and bool(permalink)
        if clean == "posts":
            permalink = permalink or style_to_permalink(style)
            output = True
        else:
            output = truthy(meta.get("output", False))
        if not isinstance(permalink, str) or not permalink:
            permalink = suffixed
        found[clean] = Collection(clean, output, permalink, folder="_" + clean, own_permalink=own)
    return found


def site_timezone(config: JekyllConfig) -> dt.tzinfo | None:
    """The ``timezone`` setting; None means the local zone (Jekyll leaves TZ alone)."""
    name = config.data.get("timezone")
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(str(name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        # Jekyll sets TZ to the name; the C library reads an unknown zone as UTC.
        where = config.where("timezone")
        logger.warning("%s: timezone %r is not a known zone; UTC is used, as Jekyll would", where, name)
        return dt.timezone.utc


def markdown_exts(config: JekyllConfig) -> frozenset[str]:
    # Jekyll's Markdown converter does not strip spaces around the commas either.
    return frozenset("." + ext.lower() for ext in config.str_setting("markdown_ext").split(","))


def read_authors(root: Path, config: JekyllConfig) -> tuple[Path | None, dict[str, str]]:
    """``_data/authors.yml|yaml|json``: the file read, and author key -> display name.

    A file that cannot be read is logged and gives no names (Jekyll would stop;
    names as written are a better search result than no search).
    """
    folder = root / (config.str_setting("data_dir") or "_data")
    path = next((folder / name for name in AUTHOR_FILES if (folder / name).is_file()), None)
    if path is None:
        return None, {}
    try:
        text = path.read_text("utf-8-sig")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        logger.warning("%s%s: cannot be read; author names are shown as written", path, line)
        return path, {}
    names: dict[str, str] = {}
    for key, value in data.items() if isinstance(data, dict) else ():
        label = value if isinstance(value, str) else None
        if isinstance(value, dict):
            label = next((str(value[k]) for k in NAME_KEYS if value.get(k) not in (None, "")), None)
        if label:
            names[str(key)] = label
    return path, names
