"""Measuring ranking on a judged query set: ``searchsvc evaluate``.

A command for site owners and for us, never part of serving: it builds a
fresh index of a content folder with the service's own reindex, runs every
judged query through the service and, in the same run over the same
extracted documents, through SQLite FTS5 bm25 (the peer), and reports the
figures per query kind with the queries the service loses.

Owns: the judged-set format (``judged``), the metrics (``metrics``), the
peer (``peer``), one run (``run``), its printout (``report``) and the
cross-validation that chose the ranking's parameters (``tune``).

May import anything in searchsvc; nothing in ``searchsvc.web`` or
``searchsvc.query`` may import it (tests/test_layout.py).
"""
