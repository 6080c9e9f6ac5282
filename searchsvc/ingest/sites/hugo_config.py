"""A Hugo site's configuration, found and merged as Hugo 0.111 does.

The first of ``hugo.toml|yaml|yml|json``, ``config.toml|yaml|yml|json`` at
the site root, then every file of ``config/_default/``, then of
``config/<environment>/`` (``production`` for ``hugo`` builds), each merged
over the previous (a file ``params.toml`` becomes the key ``params``,
``menus.en.toml`` the key ``languages.en.menus``).  Keys are case-insensitive
(lower-cased here, as Hugo does).  Themes' own config files are not read.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .base import SiteConfigError
from .config_files import hugo_config_files as find_config_files
from .hugo_permalinks import PatternError, check_pattern

KINDS = ("page", "section", "taxonomy", "term")

# frontmatter: [":default"] for each date, as in Hugo 0.111's pagemeta.
DEFAULT_DATES = {
    "date": ["date", "publishdate", "pubdate", "published", "lastmod", "modified"],
    "publishdate": ["publishdate", "pubdate", "published", "date"],
    "lastmod": [":git", "lastmod", "modified", "date", "publishdate", "pubdate", "published"],
    "expirydate": ["expirydate", "unpublishdate"],
}

# A date key named in frontmatter: brings its aliases along ("lastmod" reads "modified" too).
_ALIASES = {"publishdate": ("pubdate", "published"), "lastmod": ("modified",), "expirydate": ("unpublishdate",)}


@dataclass(frozen=True)
class Language:
    code: str
    weight: int
    content_dir: str | None  # None: the site's contentDir
    base_url: str | None
    title: str | None


@dataclass
class HugoConfig:
    files: list[Path]
    raw: dict[str, Any]
    base_url: str = ""
    content_dir: str = "content"
    ugly_urls: bool = False
    section_permalinks: dict[str, str] = field(default_factory=dict)  # section or taxonomy plural -> pattern
    kind_permalinks: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> section -> pattern
    taxonomies: dict[str, str] = field(default_factory=dict)  # singular -> plural
    disable_kinds: frozenset[str] = frozenset()
    lower_paths: bool = True
    remove_accents: bool = False
    build_drafts: bool = False
    build_future: bool = False
    build_expired: bool = False
    dates: dict[str, list[str]] = field(default_factory=dict)  # date name -> lower-cased handlers
    languages: dict[str, Language] = field(default_factory=dict)  # enabled languages only
    disabled_languages: frozenset[str] = frozenset()
    default_language: str = "en"
    default_in_subdir: bool = False
    time_zone: dt.tzinfo = dt.timezone.utc
    cascade: Any = None
    ignore_files: list[re.Pattern] = field(default_factory=list)
    git_info: bool = False


def _parse(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SiteConfigError(f"{path}: cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        elif path.suffix == ".json":
            data = json.loads(text) if text.strip() else {}
        else:
            data = yaml.safe_load(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"\(at line (\d+)", str(exc))
        raise SiteConfigError(f"{path}" + (f", line {line.group(1)}" if line else "") + f": not valid TOML ({exc})") from None
    except json.JSONDecodeError as exc:
        raise SiteConfigError(f"{path}, line {exc.lineno}: not valid JSON ({exc.msg})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise SiteConfigError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SiteConfigError(f"{path}: the configuration is a {type(data).__name__}, not a mapping of settings")
    return data


def lower_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k).lower(): lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [lower_keys(v) for v in value]
    return value


def _merge(into: dict, new: dict) -> None:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _placed(path: Path, root_file: bool, data: dict) -> dict:
    """A config/ file's data at its place in the tree (``params.toml`` -> {"params": ...})."""
    parts = path.stem.lower().split(".")
    if root_file or parts[0] in ("hugo", "config"):
        return data
    if len(parts) == 2 and parts[0] in ("params", "menus", "menu"):
        return {"languages": {parts[1]: {parts[0]: data}}}
    return {parts[0]: data}


def load_config(root: Path, environment: str = "production") -> HugoConfig | None:
    files = find_config_files(root, environment)
    if not files:
        return None
    merged: dict[str, Any] = {}
    for index, path in enumerate(files):
        root_file = index == 0 and path.parent == root
        _merge(merged, lower_keys(_placed(path, root_file, _parse(path))))
    return _typed(HugoConfig(files=files, raw=merged), merged, files[0])


def go_bool(value: Any) -> bool:
    """spf13/cast ToBool: bools, non-zero numbers, and strconv.ParseBool strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        return value.strip() in ("1", "t", "T", "TRUE", "true", "True")
    return False


def _typed(cfg: HugoConfig, raw: dict, first: Path) -> HugoConfig:
    cfg.base_url = str(raw.get("baseurl") or "")
    cfg.content_dir = str(raw.get("contentdir") or "content")
    cfg.ugly_urls = go_bool(raw.get("uglyurls"))
    cfg.lower_paths = not go_bool(raw.get("disablepathtolower"))
    cfg.remove_accents = go_bool(raw.get("removepathaccents"))
    cfg.build_drafts = go_bool(raw.get("builddrafts"))
    cfg.build_future = go_bool(raw.get("buildfuture"))
    cfg.build_expired = go_bool(raw.get("buildexpired"))
    cfg.git_info = go_bool(raw.get("enablegitinfo"))
    cfg.disable_kinds = frozenset(str(k).lower() for k in raw.get("disablekinds") or [])
    cfg.cascade = raw.get("cascade")
    taxonomies = raw.get("taxonomies")
    if taxonomies is None:
        taxonomies = {"tag": "tags", "category": "categories"}
    if not isinstance(taxonomies, dict):
        raise SiteConfigError(f"{first}: taxonomies must be a mapping of singular: plural names")
    cfg.taxonomies = {str(k): str(v).lower() for k, v in taxonomies.items() if v}
    _permalinks(cfg, raw.get("permalinks") or {}, first)
    _dates(cfg, raw.get("frontmatter") or {})
    _languages(cfg, raw, first)
    zone = raw.get("timezone")
    if zone:
        try:
            cfg.time_zone = zoneinfo.ZoneInfo(str(zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise SiteConfigError(f"{first}: timeZone {zone!r} is not a known time zone") from None
    for pattern in raw.get("ignorefiles") or []:
        try:
            cfg.ignore_files.append(re.compile(str(pattern)))
        except re.error as exc:
            raise SiteConfigError(f"{first}: ignoreFiles {pattern!r} is not a regular expression ({exc})") from None
    return cfg


def _permalinks(cfg: HugoConfig, raw: Any, first: Path) -> None:
    if not isinstance(raw, dict):
        raise SiteConfigError(f"{first}: permalinks must be a mapping")
    for key, value in raw.items():
        if isinstance(value, dict) and key in KINDS:
            # The per-kind form of Hugo >= 0.112 (0.111 crashes on it).
            cfg.kind_permalinks[key] = {str(k).strip("/"): str(v) for k, v in value.items()}
        elif isinstance(value, str) and value:
            cfg.section_permalinks[str(key).strip("/")] = value
        else:
            raise SiteConfigError(f"{first}: permalinks.{key} must be a pattern such as '/:year/:slug/'")
    patterns = list(cfg.section_permalinks.values()) + [p for m in cfg.kind_permalinks.values() for p in m.values()]
    for pattern in patterns:
        try:
            check_pattern(pattern)
        except PatternError as exc:
            raise SiteConfigError(f"{first}: {exc}") from None


def _dates(cfg: HugoConfig, raw: Any) -> None:
    raw = raw if isinstance(raw, dict) else {}
    for name, default in DEFAULT_DATES.items():
        handlers = raw.get(name)
        if handlers is None:
            cfg.dates[name] = list(default)
            continue
        handlers = [handlers] if isinstance(handlers, str) else list(handlers)
        out: list[str] = []
        for handler in handlers:
            handler = str(handler).lower()
            for one in default if handler == ":default" else [handler, *_ALIASES.get(handler, ())]:
                if one not in out:
                    out.append(one)
        cfg.dates[name] = out


def _languages(cfg: HugoConfig, raw: dict, first: Path) -> None:
    cfg.default_language = str(raw.get("defaultcontentlanguage") or "en").lower()
    cfg.default_in_subdir = go_bool(raw.get("defaultcontentlanguageinsubdir"))
    disabled = {str(x).lower() for x in raw.get("disablelanguages") or []}
    languages = raw.get("languages") or {}
    if not isinstance(languages, dict):
        raise SiteConfigError(f"{first}: languages must be a mapping of language code: settings")
    for code, spec in languages.items():
        spec = spec if isinstance(spec, dict) else {}
        if code in disabled or go_bool(spec.get("disabled")):
            disabled.add(code)
            continue
        weight = spec.get("weight")
        cfg.languages[code] = Language(
            code=code,
            weight=weight if isinstance(weight, int) else 0,
            content_dir=str(spec["contentdir"]) if spec.get("contentdir") else None,
            base_url=str(spec["baseurl"]) if spec.get("baseurl") else None,
            title=str(spec["title"]) if spec.get("title") is not None else None,
        )
    cfg.disabled_languages = frozenset(disabled - set(cfg.languages))
    if not cfg.languages:
        cfg.languages[cfg.default_language] = Language(cfg.default_language, 0, None, None, None)
    if cfg.default_language not in cfg.languages:
        raise SiteConfigError(f"{first}: defaultContentLanguage {cfg.default_language!r} is not one of the languages")
    with_url = [lang for lang in cfg.languages.values() if lang.base_url]
    if with_url and len(with_url) != len(cfg.languages):
        raise SiteConfigError(f"{first}: baseURL must be set on all or none of the languages (as Hugo requires)")
