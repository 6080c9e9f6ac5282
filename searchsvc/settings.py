"""The one registry of searchsvc's settings.

Every setting has a name, a default and a help line; each can be set through
an environment variable ``SEARCHSVC_<NAME>`` (upper case) or, for the Flask
app, a ``config`` mapping passed to ``create_app``.  Limits carry their unit in
their name (``max_query_chars``) and every limit error names its setting.
README.md's configuration table is checked against this registry by a test.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

PACKAGE_DIR = Path(__file__).resolve().parent
SAMPLE_CONTENT_DIR = PACKAGE_DIR / "sample_content"


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


def _bool(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _list(value: str | list | tuple) -> tuple[str, ...]:
    if isinstance(value, (list, tuple)):
        items = value
    else:
        items = str(value).split(",")
    return tuple(item.strip() for item in items if item.strip())


SETTINGS: tuple[Setting, ...] = (
    Setting("content_dir", "", "Folder of Markdown posts to index. Empty: the sample content shipped in the package."),
    Setting("index_dir", "index", "Folder holding the index generations (created if missing; must not be writable by others)."),
    Setting("facets", ("tags", "categories", "authors", "topics"), "Comma-separated taxonomies to extract, index and facet on; add your own (e.g. tags,categories,authors,topics,series)."),
    Setting("site_url", "", "Absolute URL of the site the results link to (e.g. https://www.example.gov/); overrides Hugo's baseURL and Jekyll's url + baseurl. Empty: the site's own config."),
    Setting("exclude", (), "Comma-separated glob patterns of content paths never indexed (e.g. drafts/*,*/private/*), for any generator."),
    Setting("url_pattern", "/{year}/{month}/{day}/{slug}/", "URL of a post without `url`/`permalink` front matter; fields: {year} {month} {day} {slug} {section}."),
    Setting("index_drafts", False, "Index posts marked `draft: true`."),
    Setting("index_expired", False, "Index posts whose `expirydate`/`expiryDate` has passed."),
    Setting("site_name", "Site search", "Name shown in the search page's header and title, and in the OpenSearch description browsers offer."),
    Setting("cors_origins", ("*",), "Comma-separated origins allowed to read the JSON endpoints; `*` for any."),
    Setting("max_post_bytes", 2 * 1024 * 1024, "Posts larger than this many bytes are skipped with a message."),
    Setting("max_query_chars", 500, "Longest `q` accepted, in characters (longer: 400)."),
    Setting("max_query_terms", 32, "Most words and operators a query may hold (more: 400)."),
    Setting("max_per_page", 100, "Largest `per_page` accepted."),
    Setting("max_page", 1000, "Largest `page` accepted (deep pages cost time and nobody reads them)."),
    Setting("max_facet_values", 30, "Most values listed per facet in a search response (selected values are always listed); /facets/<facet>.json lists all."),
    Setting("max_prefix_expansions", 64, "Most index terms a `prefix*` word expands to."),
    Setting("max_expanded_terms", 128, "Most index terms a whole query may read, its words, `prefix*` expansions, typo corrections and synonyms together; several `prefix*` words share it equally."),
    Setting("max_phrase_words", 12, "Most words a quoted phrase may hold (more: 400)."),
    Setting("max_concurrent_searches", 4, "Most searches one worker process runs at once; more wait up to `search_queue_ms`, then answer 503 with `Retry-After`. 0: no limit. Also the most index searchers a worker opens per generation (each search has its own; one file descriptor per segment file each)."),
    Setting("search_queue_ms", 100, "Milliseconds a search waits for one of the `max_concurrent_searches` places before answering 503."),
    Setting("client_cpu_ms", 0, "CPU milliseconds a second one client address's searches may use, on average, in each worker process (a normal search costs 8-20 ms, the most expensive 200-300); saved up to `client_cpu_burst_ms`. A client past its share is answered 429 with `Retry-After` before anything is searched. 0 (the default): no limit. The systemd unit sets 50; behind a proxy set `trusted_proxy_hops` too, or every client is the proxy's address and shares one share."),
    Setting("client_cpu_burst_ms", 200, "CPU milliseconds a client address may save up and spend at once, beyond `client_cpu_ms` a second (a new address starts with them)."),
    Setting("query_time_limit_ms", 200, "CPU milliseconds a search may spend matching and scoring; past it the answer is what was found so far, marked `\"truncated\": true` (nothing found yet: 400). 0: no limit."),
    Setting("synonyms_file", "", "Synonym and acronym groups, one per line (`OMB, Office of Management and Budget`); read at query time, so edits need no reindex. Empty: the list shipped in the package."),
    Setting("search_settings_dir", "", "Folder of the editors' search settings files (`best-bets.yml`, `routes.yml`); read at query time, so edits need no reindex. Empty: `search/` in the content folder."),
    Setting("summary_keys", ("summary", "excerpt", "deck", "description"), "Comma-separated front-matter keys read as a post's summary, the first usable one wins (else the body's first 40 words); add your generator's (e.g. Eleventy's `excerpt`, Hugo's `description`)."),
    Setting("sub_results_min_words", 1000, "A matching page of at least this many words (a guide, a handbook: ~4 minutes of reading) lists up to 3 sub-results, its best-matching sections with links to their headings; shorter pages are read whole, their snippet is enough. 0: every page with headings."),
    Setting("recency_half_life_days", 0, "Multiply relevance by a freshness decay that halves every this many days (news sites); 0 turns it off."),
    Setting("admin_token", "", "Bearer token for `POST /admin/reindex`, `POST /admin/generations` and `/healthz?deep=1` (sent as its UTF-8 bytes); empty (the default) leaves the endpoints off (404)."),
    Setting("analytics", True, "Count searches and result clicks (aggregate counts per query and day, nothing about the visitor) in the index folder's analytics.sqlite3, for `searchsvc stats` and /admin/stats; false turns it off."),
    Setting("analytics_retention_days", 90, "Days of search counts kept; older days are deleted when a server process starts."),
    Setting("analytics_queue_size", 10000, "Searches and clicks waiting to be written, per server process; when full, counts are dropped (and the drops counted), never the search."),
    Setting("max_request_bytes", 16 * 1024, "Largest request body accepted (larger: 413); search needs none."),
    Setting("max_generation_upload_bytes", 2 * 1024 * 1024 * 1024, "Largest packed generation `POST /admin/generations` accepts, in bytes (larger: 413, nothing installed)."),
    Setting("trusted_proxy_hops", 0, "Reverse proxies in front of the service whose X-Forwarded-For/-Proto/-Host/-Prefix headers are believed (Werkzeug's ProxyFix); 1 behind one nginx. 0 (the default): those headers are ignored."),
    Setting("service_url", "", "Absolute URL visitors reach the service at (e.g. https://www.example.gov/search/); the OpenSearch description and every absolute URL are built from it. Empty: from the request's host, but only when it is one of `trusted_hosts` (neither set: /opensearch.xml answers 404 saying so)."),
    Setting("trusted_hosts", (), "Comma-separated host names the service answers for (Werkzeug's trusted hosts; `.example.gov` matches its subdomains); a request for any other Host is 400. Empty: any host, and the Host header is never used to build a URL."),
    Setting("relevance_gate_margin", 0.02, "How much a judged figure (MRR or nDCG@10 of a group or kind) may drop under `searchsvc reindex --gate` before the new generation is refused."),
    Setting("replica", False, "Serve only generations published to this index folder (`searchsvc publish`, `POST /admin/generations`); never build one. Nothing published yet: 503 saying so."),
)

# The fields SEARCHSVC_URL_PATTERN may use (ingest.urls fills them in).
URL_FIELDS = frozenset({"year", "month", "day", "slug", "section"})
DEFAULTS = {s.name: s.default for s in SETTINGS}
_CONVERTERS = {
    bool: _bool,
    int: int,
    float: float,
    tuple: _list,
    str: str,
}


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names it."""


def setting(values: Mapping[str, Any], name: str) -> Any:
    """``values[name]``, or the setting's default when a partial dict leaves it out."""
    return values[name] if name in values else DEFAULTS[name]


def convert(name: str, value: Any) -> Any:
    default = DEFAULTS[name]
    converter = _CONVERTERS[type(default)]
    try:
        return converter(value)
    except (TypeError, ValueError) as exc:
        reason = f"expected a whole number, got {value!r}" if converter is int else str(exc)
        raise SettingsError(f"SEARCHSVC_{name.upper()} (setting {name}): {reason}") from None


def load(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Defaults, then ``SEARCHSVC_*`` environment variables, then overrides.

    Keys of ``overrides`` may be given in either case (``index_dir`` or
    ``INDEX_DIR``) so a Flask-style config mapping works too; unknown keys are
    kept as they are (Flask's own settings such as TESTING).
    """
    environ = os.environ if environ is None else environ
    values = dict(DEFAULTS)
    for name in DEFAULTS:
        env_name = f"SEARCHSVC_{name.upper()}"
        if env_name in environ:
            values[name] = convert(name, environ[env_name])
    for key, value in (overrides or {}).items():
        name = key.lower()
        if name in DEFAULTS:
            if value is not None:
                values[name] = convert(name, value)
        else:
            values[key] = value
    return values


def content_dir(values: Mapping[str, Any]) -> Path:
    configured = values.get("content_dir") or ""
    return Path(configured) if configured else SAMPLE_CONTENT_DIR
