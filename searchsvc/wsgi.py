"""The WSGI entry point for production servers: ``gunicorn searchsvc.wsgi:app``.

It lives in the package so that it works from any folder once searchsvc is
installed (the checkout's top-level wsgi.py only re-exports it).
Configuration comes from SEARCHSVC_* environment variables (README.md).
"""

from searchsvc import create_app

app = create_app()
