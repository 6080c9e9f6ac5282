"""HTTP: the JSON API, the HTML pages, the admin trigger, the OpenAPI document.

Owns: the app factory (``app``), the JSON endpoints (``api``), the pages
(``pages``), the optional admin endpoints (``admin``), the OpenAPI document
(``openapi``), the one error shape (``errors``), response headers
(``headers``) and what the blueprints share (``resources``).

May import: ``searchsvc.query``, ``searchsvc.index``'s ``store`` and
``tasks`` records (the admin trigger starts a reindex in another process;
it never builds one here), ``searchsvc.settings``, ``searchsvc.words``,
Flask.  Never ``searchsvc.ingest`` or the index's building modules
(tests/test_layout.py).
"""
