"""Which generator a folder belongs to, from its config files.

Hugo (``hugo.toml|yaml|json``, ``config.toml|yaml|yml|json``,
``config/_default/``) first, then Jekyll (``_config.yml|yaml|toml``); any
other folder is a plain folder of posts, read with the settings
(``url_pattern``, ``facets``...).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from ..fields import setting
from .base import Site
from .hugo import HugoSite
from .jekyll import JekyllSite
from .plain import PlainSite


def open_site(root: Path | str, settings: Mapping[str, Any]) -> Site:
    """The site in ``root``: a generator's when its config is there, else a plain folder.

    Raises SiteConfigError (naming the file and line) for a config that cannot be read.
    """
    root = Path(root)
    site_url = str(setting(settings, "site_url") or "") or None
    for generator in (HugoSite, JekyllSite):
        site = generator.detect(root, site_url=site_url)
        if site is not None:
            return site
    return PlainSite(root, settings)
