"""The Whoosh writer the indexer uses: Whoosh's own, with one cost taken out.

When a segment is written, Whoosh looks up the field length of the
document of every posting, one column read (seek, unpack, check) at a time:
about a sixth of building the real corpus's index (profiled).  Here each
field's lengths column is read once, when its first posting is written, and
looked up in a list after that.  The values are the ones Whoosh would read
(the stored one-byte approximation, ``None`` for an empty field), so the
segment holds the same postings (tests/test_schema.py compares every term's
postings, the lengths and the stored fields).
"""

from __future__ import annotations

from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter


class _FieldLengths:
    """A per-document reader whose ``doc_field_length`` reads each column once."""

    def __init__(self, reader):
        self._reader = reader
        self._tables: dict[str, list | None] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default=0):
        try:
            table = self._tables[fieldname]
        except KeyError:
            table = self._tables[fieldname] = self._load(fieldname)
        if table is None:
            return default
        return table[docnum]

    def _load(self, fieldname: str) -> list | None:
        column = f"_{fieldname}_len"  # the W3 codec's name for it
        if not self._reader.has_column(column):
            return None
        return [byte_to_length(b) if b else None for b in self._reader.column_reader(column, LENGTHS_COLUMN)]

    def __getattr__(self, name):
        return getattr(self._reader, name)


class IndexWriter(SegmentWriter):
    def per_document_reader(self):
        return _FieldLengths(super().per_document_reader())

    # A full build in several processes (indexer._build_segments) is what
    # Whoosh's MultiSegmentWriter does, with the parsing moved into the
    # processes too: each writes a segment (``finish_segment``), and one
    # writer then publishes them all in a new table of contents.

    def finish_segment(self):
        """Write this writer's documents as a segment, not yet listed in any TOC; None if empty."""
        if not self.docnum:
            self._close_segment()
            return None
        return self._finalize_segment()

    def commit_segments(self, segments: list) -> None:
        """Publish ``segments`` (in document order) as the whole index; this writer adds nothing."""
        if self.segments or self.docnum:
            raise ValueError("commit_segments() is for a new, empty index")
        self._close_segment()
        self._commit_toc(list(segments))
        self._finish()


def open_writer(ix, **kwargs) -> IndexWriter:
    """``ix.writer(**kwargs)``, with field lengths read once per field."""
    return IndexWriter(ix, **kwargs)
