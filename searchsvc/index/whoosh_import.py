"""Whoosh imported without urllib.request (whoosh_internals' 7.).

``whoosh.compat`` imports ``urllib.request`` (with it http.client, ssl and
email: ~40 ms of a reindex of one post) for a ``urlretrieve`` that searchsvc
never calls.  Modules of this package that import Whoosh import
whoosh_internals (which calls this) first.  During that one import it gets a stand-in whose
``urlretrieve`` imports the real one when called; the stand-in is gone
from ``sys.modules`` afterwards, so any later import gets the real module.
"""

from __future__ import annotations

import sys
import types


def import_whoosh() -> None:
    if "whoosh.compat" in sys.modules or "urllib.request" in sys.modules:
        return
    stand_in = types.ModuleType("urllib.request")

    def urlretrieve(*args, **kwargs):
        from urllib.request import urlretrieve as real

        return real(*args, **kwargs)

    stand_in.urlretrieve = urlretrieve
    sys.modules["urllib.request"] = stand_in
    try:
        import whoosh.compat  # noqa: F401
    finally:
        if sys.modules.get("urllib.request") is stand_in:
            del sys.modules["urllib.request"]

