"""Files -> documents: everything between a site's files and a Document.

Owns: the safe walk of a site, reading and decoding files, front matter,
the generators' rules (which files a site publishes, at which URL, with which
date and taxonomies: ``sites/``), and Markdown/HTML -> plain text.

May import: the standard library, the parsing libraries, and the top-level
``searchsvc.settings``/``searchsvc.words``/``searchsvc.links``.  Never Whoosh,
Flask, or ``searchsvc.index``/``query``/``web`` (tests/test_layout.py).
"""
