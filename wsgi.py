"""``gunicorn wsgi:app`` from inside the checkout; anywhere else use ``gunicorn searchsvc.wsgi:app``."""

from searchsvc.wsgi import app

__all__ = ["app"]
