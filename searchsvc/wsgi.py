"""The WSGI entry point for production servers: ``gunicorn searchsvc.wsgi:app``.

It lives in the package so that it works from any folder once searchsvc is
installed (the checkout's top-level wsgi.py only re-exports it).
Configuration comes from SEARCHSVC_* environment variables (README.md).
"""

import sys

from searchsvc import create_app
from searchsvc.index.store import UnsafeIndexDir
from searchsvc.settings import SettingsError

# Exit status 4 is gunicorn's "the app failed to load": its master stops
# instead of starting workers that would be refused again and again.
APP_LOAD_ERROR = 4

try:
    app = create_app()
except (UnsafeIndexDir, SettingsError) as exc:
    # A refusal to start is one line naming the fix, not a traceback (issue 16 F12).
    print(f"searchsvc: {exc}", file=sys.stderr, flush=True)
    sys.exit(APP_LOAD_ERROR)
