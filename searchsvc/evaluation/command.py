"""The evaluate command's body, shared by ``searchsvc evaluate`` and ``python -m searchsvc.evaluate``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Mapping

from .. import settings as settings_mod
from ..index.build import ReindexFailed
from .judged import JudgedSetError, load
from .report import as_dict, as_text
from .run import evaluate

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CONTENT = REPO.parent / "shared" / "corpus" / "digitalgov-2017"
DEFAULT_JUDGMENTS = REPO / "tests" / "relevance" / "digitalgov-2017.json"
EXIT_USAGE = 2


class EvaluateError(Exception):
    """A user error: the message says what to fix."""


def run_command(content: Path, judgments: Path, settings: Mapping[str, Any], as_json: bool = False) -> str:
    """The printout of one run; EvaluateError for a missing folder, a bad judged set or a failed index."""
    if not Path(content).is_dir():
        raise EvaluateError(f"content folder '{content}' does not exist or is not a directory")
    try:
        judged = load(judgments)
    except JudgedSetError as exc:
        raise EvaluateError(f"judged set: {exc}") from None
    try:
        run = evaluate(Path(content), judged, settings)
    except ReindexFailed as exc:
        raise EvaluateError(f"could not index {content}: {exc}") from None
    return json.dumps(as_dict(run), indent=1) if as_json else as_text(run)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m searchsvc.evaluate", description="Same as `searchsvc evaluate`, with the 2017 corpus as default.")
    parser.add_argument("--content", type=Path, default=DEFAULT_CONTENT)
    parser.add_argument("--judgments", type=Path, default=DEFAULT_JUDGMENTS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        print(run_command(args.content, args.judgments, settings_mod.load(), args.json))
    except (EvaluateError, settings_mod.SettingsError) as exc:
        print(f"searchsvc evaluate: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return 0
