"""Which generator a folder belongs to, from its config files.

Hugo (``hugo.toml|yaml|json``, ``config.toml|yaml|yml|json``,
``config/_default/``) first, then Jekyll (``_config.yml|yaml|toml``); any
other folder is a plain folder of posts, read with the settings
(``url_pattern``, ``facets``...).  A generator's module (its YAML, TOML and
rules) is imported only when its config is there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from ...settings import setting
from . import config_files
from .base import Site
from .plain import PlainSite


def open_site(root: Path | str, settings: Mapping[str, Any]) -> Site:
    """The site in ``root``: a generator's when its config is there, else a plain folder.

    Raises SiteConfigError (naming the file and line) for a config that cannot be read.
    """
    root = Path(root)
    site_url = str(setting(settings, "site_url") or "") or None
    if config_files.hugo_config_files(root, "production"):
        from .hugo import HugoSite

        return HugoSite(root, site_url=site_url)
    config = config_files.jekyll_config(root)
    if config is not None:
        from .jekyll import JekyllSite

        return JekyllSite(root, config, site_url=site_url)
    return PlainSite(root, settings)
