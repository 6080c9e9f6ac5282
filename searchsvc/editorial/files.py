"""Read ``best-bets.yml``, ``routes.yml`` and ``synonyms.yml`` from the search settings folder.

Every entry is checked on its own: an invalid one becomes a ``Problem``
(file, line, reason) and the rest still apply.  Lines are 1-based and point
at the entry (or the key) that is wrong.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..words import WORD

BEST_BETS = "best-bets.yml"
ROUTES = "routes.yml"
SYNONYMS = "synonyms.yml"
FILES = (BEST_BETS, ROUTES, SYNONYMS)
_SPACES = re.compile(r"\s+")
_BAD_URL_CHARS = re.compile(r"[\x00-\x20\x7f]")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass(frozen=True)
class BestBet:
    queries: tuple[str, ...]
    pages: tuple[str, ...]
    links: tuple[dict, ...]
    start: dt.date | None
    end: dt.date | None
    line: int

    def live_on(self, day: dt.date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day < self.end)


@dataclass(frozen=True)
class SynonymRule:
    """``sources`` also find ``targets``; a group written as a list works both ways (sources == targets)."""

    sources: tuple[str, ...]
    targets: tuple[str, ...]
    line: int


@dataclass
class EditorialSettings:
    best_bets: list[BestBet] = field(default_factory=list)
    routes: dict[str, str] = field(default_factory=dict)
    synonyms: list[SynonymRule] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def folder_for(conf, built_from: str | None = None) -> Path:
    """SEARCHSVC_SEARCH_SETTINGS_DIR, else ``search/`` in the folder the live
    generation was built from, else in the configured content folder."""
    from .. import settings as settings_mod

    if conf.get("search_settings_dir"):
        return Path(conf["search_settings_dir"])
    return Path(built_from if built_from else settings_mod.content_dir(conf)) / "search"


def normalise(query: str) -> str:
    """Case and spaces do not matter when matching a query."""
    return _SPACES.sub(" ", query).strip().casefold()


def safe_link(url: object) -> bool:
    """The rule result links follow: a site path or an http(s) URL
    (no ``javascript:``, no protocol-relative ``//host``, no spaces or controls)."""
    if not isinstance(url, str) or not url or _BAD_URL_CHARS.search(url):
        return False
    if url.startswith("/"):
        return not url.startswith("//") and "\\" not in url
    lower = url.lower()
    return (lower.startswith("https://") or lower.startswith("http://")) and len(url.split("/", 3)[2]) > 0


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _compose(path: Path, name: str, problems: list[Problem]) -> yaml.Node | None:
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except UnicodeDecodeError:
        problems.append(Problem(name, 1, "not UTF-8 text"))
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(Problem(name, mark.line + 1 if mark else 1, f"not valid YAML: {getattr(exc, 'problem', exc)}"))
        return None
    if node is None:
        return None
    if not isinstance(node, yaml.SequenceNode):
        problems.append(Problem(name, _line(node), "the file must be a list of entries (each starting with '- ')"))
        return None
    return node


def _mapping(node: yaml.Node, name: str, problems: list[Problem]) -> dict[str, tuple[yaml.Node, object]] | None:
    if not isinstance(node, yaml.MappingNode):
        problems.append(Problem(name, _line(node), "an entry must be a mapping such as 'query: ...'"))
        return None
    loader = yaml.SafeLoader("")
    out = {}
    for key_node, value_node in node.value:
        out[str(key_node.value)] = (value_node, loader.construct_object(value_node, deep=True))
    return out


def _queries(entry: dict, node: yaml.Node, name: str, problems: list[Problem]) -> tuple[str, ...] | None:
    if "query" in entry and "queries" in entry:
        problems.append(Problem(name, _line(node), "give either 'query' or 'queries', not both"))
        return None
    key = "query" if "query" in entry else "queries" if "queries" in entry else None
    if key is None:
        problems.append(Problem(name, _line(node), "missing 'query' (or 'queries')"))
        return None
    value_node, value = entry[key]
    values = [value] if key == "query" else value
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and normalise(v) for v in values):
        problems.append(Problem(name, _line(value_node), f"'{key}' must be {'a non-empty text' if key == 'query' else 'a list of non-empty texts'}"))
        return None
    return tuple(dict.fromkeys(normalise(v) for v in values))


def _date(entry: dict, key: str, name: str, problems: list[Problem]) -> tuple[bool, dt.date | None]:
    if key not in entry:
        return True, None
    value_node, value = entry[key]
    if isinstance(value, dt.datetime):
        return True, value.date()
    if isinstance(value, dt.date):
        return True, value
    problems.append(Problem(name, _line(value_node), f"'{key}' must be a date such as 2026-01-01"))
    return False, None


def _links(entry: dict, name: str, problems: list[Problem]) -> tuple[dict, ...]:
    if "links" not in entry:
        return ()
    value_node, value = entry["links"]
    if not isinstance(value, list):
        problems.append(Problem(name, _line(value_node), "'links' must be a list of {title, url, description}"))
        return ()
    kept = []
    for item_node, item in zip(value_node.value, value):
        if not isinstance(item, dict) or not isinstance(item.get("title"), str) or not item["title"].strip():
            problems.append(Problem(name, _line(item_node), "a link needs a 'title'"))
        elif not safe_link(item.get("url")):
            problems.append(Problem(name, _line(item_node), f"link url {item.get('url')!r} is not a site path or http(s) URL"))
        else:
            description = item.get("description")
            kept.append({"title": item["title"].strip(), "url": item["url"], "description": description.strip() if isinstance(description, str) else ""})
    return tuple(kept)


def _pages(entry: dict, name: str, problems: list[Problem]) -> tuple[str, ...]:
    if "pages" not in entry:
        return ()
    value_node, value = entry["pages"]
    if not isinstance(value, list):
        problems.append(Problem(name, _line(value_node), "'pages' must be a list of document ids or site URLs"))
        return ()
    kept = []
    for item_node, item in zip(value_node.value, value):
        if not isinstance(item, str) or not item.strip():
            problems.append(Problem(name, _line(item_node), "a page must be a document id or a site URL"))
        elif item.startswith(("/", "http:", "https:", "HTTP:", "HTTPS:")) and not safe_link(item):
            problems.append(Problem(name, _line(item_node), f"page {item!r} is not a site path or http(s) URL"))
        elif ":" in item.split("/", 1)[0] and not safe_link(item):
            problems.append(Problem(name, _line(item_node), f"page {item!r} is not a site path or http(s) URL"))
        else:
            kept.append(item.strip())
    return tuple(kept)


def _best_bet(node: yaml.Node, name: str, problems: list[Problem]) -> BestBet | None:
    entry = _mapping(node, name, problems)
    if entry is None:
        return None
    for key in sorted(set(entry) - {"query", "queries", "pages", "links", "start", "end"}):
        problems.append(Problem(name, _line(entry[key][0]), f"unknown key '{key}' (ignored)"))
    queries = _queries(entry, node, name, problems)
    start_ok, start = _date(entry, "start", name, problems)
    end_ok, end = _date(entry, "end", name, problems)
    pages = _pages(entry, name, problems)
    links = _links(entry, name, problems)
    if queries is None or not start_ok or not end_ok:
        return None
    if start and end and end <= start:
        problems.append(Problem(name, _line(entry["end"][0]), "'end' must be after 'start'"))
        return None
    if not pages and not links:
        problems.append(Problem(name, _line(node), "an entry needs 'pages' or 'links'"))
        return None
    return BestBet(queries, pages, links, start, end, _line(node))


def _route(node: yaml.Node, name: str, problems: list[Problem], routes: dict[str, str], seen: dict[str, int]) -> None:
    entry = _mapping(node, name, problems)
    if entry is None:
        return
    for key in sorted(set(entry) - {"query", "url"}):
        problems.append(Problem(name, _line(entry[key][0]), f"unknown key '{key}' (ignored)"))
    queries = _queries(entry, node, name, problems) if "queries" not in entry else None
    if "queries" in entry:
        problems.append(Problem(name, _line(node), "a route takes one exact 'query'"))
    if "url" not in entry:
        problems.append(Problem(name, _line(node), "missing 'url'"))
        return
    url_node, url = entry["url"]
    if not safe_link(url):
        problems.append(Problem(name, _line(url_node), f"url {url!r} is not a site path or http(s) URL"))
        return
    if queries is None:
        return
    query = queries[0]
    if query in seen:
        problems.append(Problem(name, _line(node), f"query {query!r} is already routed on line {seen[query]} (ignored)"))
        return
    seen[query] = _line(node)
    routes[query] = url


# A synonym longer than this is a sentence, not a name (the shipped list's limit too).
MAX_SYNONYM_WORDS = 8


def _phrases(value_node: yaml.Node, value: object, name: str, problems: list[Problem], what: str) -> tuple[str, ...] | None:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or not all(isinstance(v, (str, int, float)) and normalise(str(v)) for v in values):
        problems.append(Problem(name, _line(value_node), f"{what} must be a text or a list of non-empty texts"))
        return None
    phrases = tuple(dict.fromkeys(normalise(str(v)) for v in values))
    for phrase in phrases:
        if not WORD.search(phrase):
            problems.append(Problem(name, _line(value_node), f"{phrase!r} has no word in it"))
            return None
        if len(WORD.findall(phrase)) > MAX_SYNONYM_WORDS:
            problems.append(Problem(name, _line(value_node), f"{phrase!r} is longer than {MAX_SYNONYM_WORDS} words"))
            return None
    return phrases


def _synonym(node: yaml.Node, name: str, problems: list[Problem]) -> SynonymRule | None:
    if isinstance(node, yaml.SequenceNode):  # - [OMB, Office of Management and Budget]
        phrases = _phrases(node, yaml.SafeLoader("").construct_object(node, deep=True), name, problems, "a group")
        if phrases is None:
            return None
        if len(phrases) < 2:
            problems.append(Problem(name, _line(node), "a group needs at least two different entries"))
            return None
        return SynonymRule(phrases, phrases, _line(node))
    entry = _mapping(node, name, problems)
    if entry is None:
        return None
    for key in sorted(set(entry) - {"from", "to"}):
        problems.append(Problem(name, _line(entry[key][0]), f"unknown key '{key}' (ignored)"))
    missing = [key for key in ("from", "to") if key not in entry]
    if missing:
        problems.append(Problem(name, _line(node), f"a one-way synonym needs 'from' and 'to' (missing '{missing[0]}'), or write a group as a list"))
        return None
    sources = _phrases(*entry["from"], name, problems, "'from'")
    targets = _phrases(*entry["to"], name, problems, "'to'")
    if sources is None or targets is None:
        return None
    return SynonymRule(sources, targets, _line(node))


def load_synonyms(path: Path, problems: list[Problem]) -> list[SynonymRule]:
    """The valid rules of a ``synonyms.yml``; each invalid one is a Problem."""
    node = _compose(path, path.name, problems)
    rules = []
    for item in node.value if node is not None else ():
        rule = _synonym(item, path.name, problems)
        if rule is not None:
            rules.append(rule)
    return rules


def load(folder: Path) -> EditorialSettings:
    """Every valid entry of the folder's files, and a Problem for each invalid one.
    A missing folder or file is no problem: nothing is configured."""
    found = EditorialSettings()
    bets = folder / BEST_BETS
    if bets.is_file():
        node = _compose(bets, BEST_BETS, found.problems)
        for item in node.value if node is not None else ():
            bet = _best_bet(item, BEST_BETS, found.problems)
            if bet is not None:
                found.best_bets.append(bet)
    routes = folder / ROUTES
    if routes.is_file():
        node = _compose(routes, ROUTES, found.problems)
        seen: dict[str, int] = {}
        for item in node.value if node is not None else ():
            _route(item, ROUTES, found.problems, found.routes, seen)
    if (folder / SYNONYMS).is_file():
        found.synonyms = load_synonyms(folder / SYNONYMS, found.problems)
    found.problems.sort(key=lambda p: (p.file, p.line))
    return found
