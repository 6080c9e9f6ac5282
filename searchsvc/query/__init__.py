"""The read path: a request -> the result dict, over the live index generation.

Owns: request validation (``request``), the query language (``language``),
plain-word planning (``plan``), ranking (``ranking``: every knob;
``sequence``: its words-in-sequence test), facets
(``facets``), hits and snippets (``hits``, ``snippets``), type-ahead and the
vocabulary (``suggest``), synonyms (``synonyms``), the per-generation state
and its opening (``generation``, ``cache``), and the orchestration
(``search``).  URLs are spelled by ``urls`` from a base the web layer gives.

May import: ``searchsvc.index``'s read side (``store``, ``schema``,
``whoosh_internals``), ``searchsvc.settings``, ``searchsvc.words``, the
editors' file parsers (``searchsvc.editorial.files``: synonyms.yml), Whoosh,
NumPy.  Never ``searchsvc.ingest``, the index's building modules, or
``searchsvc.web``/Flask (tests/test_layout.py).
"""
