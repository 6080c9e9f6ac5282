"""Documents -> index generations on disk: the schema, building, the store.

Owns: the Whoosh schema and Document -> fields (``schema``), the generation
directories, the reindex lock and atomic publishing (``store``), building a
generation from a content folder (``build``, ``segments``, ``manifest``,
``report``), admin reindex tasks (``tasks``), and every private Whoosh hook
(``whoosh_internals``, the one fenced module).

May import: ``searchsvc.ingest`` (to read content), ``searchsvc.settings``,
``searchsvc.words``, Whoosh.  Never ``searchsvc.query`` or ``searchsvc.web``,
never Flask (tests/test_layout.py).  The read path (``query``) may import
``store``, ``schema`` and ``whoosh_internals`` but not the building modules.
"""
