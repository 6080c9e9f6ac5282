"""The site generators' rules: which files a site publishes, and how.

One module per generator (``hugo``, ``jekyll``, ``plain``), each a ``Site``
as described in ``base``; ``detect`` picks one from the folder's config.
"""
