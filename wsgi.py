"""Entry point for production servers: ``gunicorn wsgi:app``.

Configuration comes from SEARCHSVC_* environment variables (see README.md).
"""

from searchsvc import create_app

app = create_app()
