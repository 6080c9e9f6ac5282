"""The ``searchsvc`` command: reindex, serve, search, evaluate.

Exit codes of ``reindex``: 0 every page indexed (pages the site does not
publish are counted, never failures); 1 some pages failed (listed); 2 usage
error (a setting or the site's config cannot work; nothing was written); 3
nothing published (disk full, unwritable index: the served index is
unchanged); 4 the new generation would drop more than half the live
documents (``--allow-shrink`` publishes it); 5 the relevance gate
(``--gate``) refused the new generation (the live one stays); 75 another
reindex is running.

Exit codes of ``check-settings``: 0 every entry of the search settings files
is valid (or there are none); 1 some entries are invalid (each listed as
file:line: reason; the rest would apply); 2 usage error.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from . import settings as settings_mod
from .index import store
from .ingest.sites.base import SiteConfigError
from .ingest.sites.detect import open_site
from .settings import SettingsError

EXIT_FAILED_POSTS = 1
EXIT_USAGE = 2
EXIT_NOT_PUBLISHED = 3
EXIT_SHRINK = 4
EXIT_GATE = 5
EXIT_BUSY = 75


def _settings(**overrides) -> dict:
    try:
        return settings_mod.load({k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        refuse(str(exc))


def refuse(message: str, code: int = EXIT_USAGE):
    """A refusal to start: one line naming the command, no usage text, no traceback."""
    name = click.get_current_context(silent=True)
    click.echo(f"{name.command_path if name else 'searchsvc'}: {message}", err=True)
    sys.exit(code)


def _content_dir(conf: dict) -> Path:
    path = settings_mod.content_dir(conf)
    if not path.is_dir():
        raise click.UsageError(
            f"content directory '{path}' does not exist or is not a directory; "
            f"pass CONTENT_DIR or set SEARCHSVC_CONTENT_DIR"
        )
    if path.resolve() == Path("/"):
        raise click.UsageError("refusing to index the whole filesystem ('/'); pass your site's content folder")
    return path


def _gate(conf: dict, judged_path: Path | None):
    """The relevance gate's check, its judged set read before anything is built."""
    if judged_path is None:
        return None
    from .evaluation.gate import gate
    from .evaluation.judged import JudgedSetError, load

    try:
        judged = load(judged_path)
    except (OSError, JudgedSetError) as exc:
        raise click.UsageError(f"--gate: {exc}") from None
    return gate(judged, conf, float(conf["relevance_gate_margin"]), lambda text: click.echo(text, err=True))


def run_reindex(conf: dict, full: bool, quiet: bool, verbose: bool = False, allow_shrink: bool = False, gate_path: Path | None = None) -> int:
    from .index.build import ReindexFailed, ShrinkRefused, reindex

    content = _content_dir(conf)
    index_dir = Path(conf["index_dir"])
    try:
        site = open_site(content, conf)
    except SiteConfigError as exc:
        click.echo(f"searchsvc reindex: {exc}", err=True)
        return EXIT_USAGE
    if not quiet:
        click.echo(f"Reading {site.describe()}", err=True)
    show_bar = not quiet and sys.stderr.isatty()
    bar_holder = {}

    def progress_start(total: int):
        if not show_bar or total == 0:
            return None
        bar = click.progressbar(length=total, label=f"Indexing {total} posts", file=sys.stderr)
        bar.__enter__()
        bar_holder["bar"] = bar
        return bar.update

    try:
        report = reindex(content, index_dir, conf, full=full, progress_start=progress_start, site=site, allow_shrink=allow_shrink, before_publish=_gate(conf, gate_path))
    except store.ReindexRunning as exc:
        click.echo(f"searchsvc reindex: {exc}", err=True)
        return EXIT_BUSY
    except ShrinkRefused as exc:
        click.echo(f"searchsvc reindex: {exc}", err=True)
        return EXIT_SHRINK
    except (ReindexFailed, store.UnsafeIndexDir) as exc:
        click.echo(f"searchsvc reindex: {exc}", err=True)
        # evaluation.gate.GateRefused, by name: importing it would load the query side on every reindex
        return EXIT_GATE if type(exc).__name__ == "GateRefused" else EXIT_NOT_PUBLISHED
    finally:
        if "bar" in bar_holder:
            bar_holder["bar"].__exit__(None, None, None)
    for notice in report.notices:
        click.echo(notice, err=True)
    if not quiet:
        for warning in report.warnings:
            click.echo(f"warning: {warning}", err=True)
    for rel, reason in report.failed:
        click.echo(f"skipped {rel}: {reason}", err=True)
    published = report.full or report.added or report.updated or report.removed
    _report_settings_problems(Path(conf.get("search_settings_dir") or Path(site.root) / "search"), index_dir if published else None)
    if verbose:
        for rel, kind, reason in report.skipped:
            click.echo(f"{kind}: {rel}: {reason}", err=True)
    if not quiet or report.failed:
        click.echo(report.summary())
    return EXIT_FAILED_POSTS if report.failed else 0


def _report_settings_problems(folder: Path, published_to: Path | None) -> None:
    """The editors' settings files' invalid entries, as check-settings lists them
    (they never fail the reindex: the rest of the settings apply); after a
    publish, also the pages best bets name that the new generation lacks."""
    if not folder.is_dir():
        return  # nothing configured; and the YAML parser is not imported
    from .editorial.files import load

    found = load(folder)
    if published_to is not None and any(bet.pages for bet in found.best_bets):
        found.problems += _pages_not_indexed(published_to, found.best_bets)
    for problem in found.problems:
        click.echo(f"search settings: {folder / problem.file}:{problem.line}: {problem.reason}", err=True)


def _indexed_content(index_dir: Path) -> str | None:
    """The content folder the live generation was built from (None: no index)."""
    number = store.current_generation(index_dir)
    if number is None:
        return None
    meta = store.read_json(index_dir / store.gen_name(number) / store.META, {}) or {}
    return meta.get("content_dir") or ""


@click.group()
@click.version_option(package_name="searchsvc")
def main():
    """Full-text search for Markdown content sites."""


@main.command("reindex", short_help="Index the content folder (incremental).")
@click.argument("content_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--index", "index_dir", type=click.Path(file_okay=False, path_type=Path), help="Index folder (default: SEARCHSVC_INDEX_DIR or ./index).")
@click.option("--full", is_flag=True, help="Rebuild everything instead of only what changed.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar; print only failures.")
@click.option("--verbose", "-v", is_flag=True, help="Also list every file that is not a page, unpublished or excluded, and why.")
@click.option("--allow-shrink", is_flag=True, help="Publish even if the new generation loses more than half the live documents.")
@click.option("--gate", "gate_path", type=click.Path(dir_okay=False, path_type=Path), help="A judged query set (searchsvc evaluate's format): publish only if no figure drops by more than SEARCHSVC_RELEVANCE_GATE_MARGIN.")
def reindex_command(content_dir, index_dir, full, quiet, verbose, allow_shrink, gate_path):
    """Index CONTENT_DIR: a Hugo or Jekyll site's root, or a folder of posts
    (default: SEARCHSVC_CONTENT_DIR, else the sample site).

    Only new, changed and deleted pages are processed unless --full is given.
    Searchers keep answering from the previous generation until the new one
    is complete.

    \b
    Example:
        searchsvc reindex ../my-hugo-site --index /var/lib/searchsvc
    """
    # The vocabulary's NumPy does no linear algebra here: OpenBLAS starting a
    # thread per core was ~70 ms of CPU of a run of one new post (issue 15).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    conf = _settings(content_dir=str(content_dir) if content_dir else None, index_dir=str(index_dir) if index_dir else None)
    sys.exit(run_reindex(conf, full, quiet, verbose, allow_shrink, gate_path))


@main.command("serve", short_help="Serve search over HTTP (builds the index if there is none).")
@click.option("--index", "index_dir", type=click.Path(file_okay=False, path_type=Path), help="Index folder.")
@click.option("--content", "content_dir", type=click.Path(file_okay=False, path_type=Path), help="Site or content folder to serve (indexed first when the index holds another or none).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--replica", is_flag=True, default=None, help="Never build: serve only what 'searchsvc publish' or POST /admin/generations put in the index folder (503 until then).")
def serve_command(index_dir, content_dir, host, port, replica):
    """Serve /search.json and /search; for production use gunicorn wsgi:app."""
    conf = _settings(content_dir=str(content_dir) if content_dir else None, index_dir=str(index_dir) if index_dir else None, replica=replica or None)
    index = Path(conf["index_dir"])
    built_from = _indexed_content(index)
    wanted = settings_mod.content_dir(conf)
    if conf["replica"]:
        if built_from is None:
            click.echo(f"Replica: nothing published to {index} yet; answering 503 until a generation is published.", err=True)
    elif built_from is None:
        click.echo(f"No index in {index} yet; indexing {wanted} first.", err=True)
        code = run_reindex(conf, full=True, quiet=False)
        if code not in (0, EXIT_FAILED_POSTS):
            sys.exit(code)
    elif (content_dir or conf.get("content_dir")) and Path(built_from).resolve() != wanted.resolve():
        # Serving A's index for `--content B` would answer with the wrong site.
        click.echo(f"The index in {index} was built from {built_from}; indexing {wanted} instead.", err=True)
        code = run_reindex(conf, full=True, quiet=False, allow_shrink=True)
        if code not in (0, EXIT_FAILED_POSTS):
            sys.exit(code)
    from . import create_app

    try:
        app = create_app(conf)
    except (store.UnsafeIndexDir, SettingsError, OSError) as exc:
        refuse(str(exc))
    click.echo(f"Serving on http://{host}:{port}/  (try http://{host}:{port}/search.json?q=customer+experience)", err=True)
    app.run(host=host, port=port, threaded=True, use_reloader=False)


@main.command("publish", short_help="Copy the live generation to replicas' index folders and switch it live there.")
@click.option("--index", "index_dir", type=click.Path(file_okay=False, path_type=Path), help="Index folder of the build host.")
@click.option("--to", "dests", required=True, multiple=True, type=click.Path(file_okay=False, path_type=Path), help="A replica's index folder (repeat for several).")
def publish_command(index_dir, dests):
    """Install the live generation of --index in each --to folder: only the
    files it lacks (hard links on the same filesystem), every file checked
    against the size and SHA-256 recorded at build, then switched atomically.
    Exit 3 if any replica was not switched (it serves what it served before)."""
    from .index.publish import PublishError, install, live_generation_dir

    conf = _settings(index_dir=str(index_dir) if index_dir else None)
    try:
        source = live_generation_dir(Path(conf["index_dir"]))
    except PublishError as exc:
        click.echo(f"searchsvc publish: {exc}", err=True)
        sys.exit(EXIT_NOT_PUBLISHED)
    code = 0
    for dest in dests:
        try:
            done = install(source, dest)
        except store.ReindexRunning as exc:
            click.echo(f"searchsvc publish: {dest}: {exc}", err=True)
            code = code or EXIT_BUSY
            continue
        except (PublishError, OSError, store.UnsafeIndexDir) as exc:
            click.echo(f"searchsvc publish: {dest}: {exc}; it serves what it served before", err=True)
            code = EXIT_NOT_PUBLISHED
            continue
        state = "already live" if done["already_live"] else f"{done['reused']} kept, {done['linked']} linked, {done['copied']} copied"
        click.echo(f"{dest}: generation {done['generation']} live ({state})")
    sys.exit(code)


@main.command("search", short_help="Search the index from the shell.")
@click.argument("q", required=False, default="")
@click.option("--index", "index_dir", type=click.Path(file_okay=False, path_type=Path), help="Index folder.")
@click.option("--tags", multiple=True, help="Only posts with this tag (repeat for any of several).")
@click.option("--authors", multiple=True, help="Only posts by this author (repeatable).")
@click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]), help="Order of results.")
@click.option("--per-page", default=10, show_default=True, type=int, help="How many results.")
@click.option("--json", "as_json", is_flag=True, help="Print the same JSON as /search.json.")
def search_command(q, index_dir, tags, authors, sort, per_page, as_json):
    """Search for Q and print the results."""
    from . import create_app

    # A staff search from the shell is not a visitor's: not counted.
    conf = _settings(index_dir=str(index_dir) if index_dir else None, analytics=False)
    app = create_app(conf)
    params = [("q", q), ("per_page", str(per_page))] + [("tags", t) for t in tags] + [("authors", a) for a in authors]
    if sort:
        params.append(("sort", sort))
    with app.test_client() as client:
        response = client.get("/search.json", query_string=params)
    data = response.get_json()
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    elif not data.get("ok"):
        click.echo(f"error: {data.get('error')}", err=True)
    else:
        click.echo(f"{data['total']} results for {q!r}" if q else f"{data['total']} documents")
        for number, hit in enumerate(data["results"], start=(data["page"] - 1) * data["per_page"] + 1):
            click.echo(f"{number:3}. {hit['title']}  ({hit['date'][:10]})  {hit['url']}")
    sys.exit(0 if data.get("ok") else 2 if response.status_code == 400 else 1)


@main.command("evaluate", short_help="Measure ranking on a judged query set, beside SQLite FTS5.")
@click.option("--content", "content_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Content folder the judged set was written for.")
@click.option("--judgments", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Judged-set JSON file (format: README, Measuring ranking).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures, losses and every query's top 10 as JSON.")
def evaluate_command(content_dir, judgments, as_json):
    """Index CONTENT afresh (in a temporary folder) and rank every judged query.

    Prints MRR, success@1/@10 and nDCG@10 per query kind for the service and
    for SQLite FTS5 bm25 (any word) over the same documents, the queries the
    service loses, and the run's date and commit.
    """
    from .evaluation.command import EvaluateError, run_command

    try:
        click.echo(run_command(content_dir, judgments, _settings(), as_json))
    except EvaluateError as exc:
        raise click.UsageError(str(exc)) from None


@main.command("check-settings", short_help="Check the editors' search settings files (best bets, routes).")
@click.argument("settings_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--index", "index_dir", type=click.Path(file_okay=False, path_type=Path), help="Also check that every page a best bet names is in this index's live generation.")
def check_settings_command(settings_dir, index_dir):
    """Report every invalid entry of SETTINGS_DIR/best-bets.yml, routes.yml and
    synonyms.yml as file:line: reason; exit 1 if there is any."""
    from .editorial.files import load

    if not settings_dir.is_dir():
        raise click.UsageError(f"settings folder '{settings_dir}' does not exist or is not a directory")
    found = load(settings_dir)
    if index_dir is not None:
        found.problems += _pages_not_indexed(index_dir, found.best_bets)
    for problem in found.problems:
        click.echo(f"{settings_dir / problem.file}:{problem.line}: {problem.reason}", err=True)
    click.echo(f"{len(found.best_bets)} best bets, {len(found.routes)} routes, {len(found.synonyms)} synonyms, {len(found.problems)} problems")
    sys.exit(1 if found.problems else 0)


def _pages_not_indexed(index_dir: Path, best_bets) -> list:
    from .query import page_refs
    from .query.generation import IndexHandle, NoIndex

    handle = IndexHandle(index_dir, _settings(index_dir=str(index_dir))["facets"])
    try:
        try:
            generation = handle.acquire()
        except NoIndex as exc:
            raise click.UsageError(f"--index {index_dir}: {exc}") from None
        try:
            with generation.reading():
                return page_refs.unresolved(generation, best_bets)
        finally:
            handle.release(generation)
    finally:
        handle.close()


@main.command("stats", short_help="What visitors searched: top, zero-result, unclicked and rising queries.")
@click.option("--index", "index_dir", type=click.Path(file_okay=False, path_type=Path), help="Index folder (its analytics.sqlite3).")
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 3660), help="How many days back, today included.")
@click.option("--json", "as_json", is_flag=True, help='Print {"days", "top", "zero_results", "no_clicks", "rising"} as JSON.')
@click.option("--suggest", is_flag=True, help="Draft a fix (synonym, best bet or route) for each frequent zero-result or unclicked query, as YAML to review.")
def stats_command(index_dir, days, as_json, suggest):
    """Report the searches counted by the server (setting analytics).

    A query searched fewer than 5 times in a day is never shown.

    \b
    Example:
        searchsvc stats --index /var/lib/searchsvc --days 30
    """
    from .analytics import report

    conf = _settings(index_dir=str(index_dir) if index_dir else None)
    data = report.stats(Path(conf["index_dir"]), days)
    if suggest:
        click.echo(_draft_fixes(conf, data), nl=False)
        return
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    click.echo(report.as_text(data, report.dropped(Path(conf["index_dir"]), days)))


def _draft_fixes(conf: dict, data: dict) -> str:
    from . import create_app
    from .analytics.acronyms import expansions_in_index
    from .analytics.drafts import draft

    app = create_app({**conf, "analytics": False})  # the drafts' own searches are not visitors'
    try:
        with app.test_client() as client:
            return draft(
                data,
                lambda q: client.get("/search.json", query_string={"q": q}).get_json() or {},
                lambda acronyms: expansions_in_index(Path(conf["index_dir"]), tuple(conf["facets"]), acronyms),
            )
    finally:
        app.extensions["searchsvc"].close()


if __name__ == "__main__":
    main()
