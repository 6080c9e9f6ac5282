"""Editors' search settings kept as files beside the content (issue 12).

Parsing and validation only: no whoosh, flask, index or query imports, so
``searchsvc check-settings`` and the server can both read them cheaply.
"""
