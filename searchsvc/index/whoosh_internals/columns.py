"""Whole columns of a Whoosh index in one read each (part of the fence: see __init__, section 8)."""

from __future__ import annotations

import numpy as np
from whoosh import columns
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.util.numeric import byte_to_length


# byte_to_length of each byte; 0 for "no length" (Whoosh: None, an empty field)
_LENGTH_OF_BYTE = np.array([0] + [byte_to_length(b) for b in range(1, 256)], dtype=np.int64)


def length_column(reader, fieldname: str) -> np.ndarray:
    """Every document's length of ``fieldname``, 0 when empty or absent:
    = ``[reader.doc_field_length(d, fieldname, 0) or 0 for d in range(reader.doc_count_all())]``."""
    name = f"_{fieldname}_len"  # the W3 codec's name for it
    parts = []
    for leaf, _offset in reader.leaf_readers():
        size = leaf.doc_count_all()
        perdoc = getattr(leaf, "_perdoc", None)  # (none in an EmptyReader: an index without posts)
        if perdoc is None or not perdoc.has_column(name):
            parts.append(np.zeros(size, dtype=np.int64))
            continue
        parts.append(_LENGTH_OF_BYTE[_numeric_values(perdoc.column_reader(name, LENGTHS_COLUMN), size)])
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def numeric_column(reader, fieldname: str) -> np.ndarray | None:
    """A NUMERIC or DATETIME field's stored column values, untranslated (their order is the values' order):
    = ``list(reader.column_reader(fieldname, translate=False))``; None without the column."""
    if not reader.has_column(fieldname):
        return None
    parts = [_numeric_values(leaf.column_reader(fieldname, translate=False), leaf.doc_count_all()) for leaf, _ in reader.leaf_readers()]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def text_column(reader, fieldname: str) -> list[str]:
    """An ID field's column as texts: = ``list(reader.column_reader(fieldname))``; [] without the column."""
    if not reader.has_column(fieldname):
        return []
    found: list[str] = []
    for leaf, _ in reader.leaf_readers():
        column = leaf.column_reader(fieldname, translate=False)
        if type(column) is not columns.VarBytesColumn.Reader:
            found += list(leaf.column_reader(fieldname))
            continue
        offsets, lengths = column._offsets, column._lengths
        end = max((o + n for o, n in zip(offsets, lengths)), default=0)
        data = column._dbfile.get(column._basepos, end) if end else b""
        found += [data[o : o + n].decode("utf-8") if n else "" for o, n in zip(offsets, lengths)]
        found += [""] * (leaf.doc_count_all() - len(offsets))
    return found


def _numeric_values(column, size: int) -> np.ndarray:
    """A segment's numeric column as an array of ``size`` values (the column's default past its last one)."""
    if type(column) is not columns.NumericColumn.Reader:
        return np.array(list(column), dtype=np.int64)
    stored = np.frombuffer(column._dbfile.get(column._basepos, column._count * column._fixedlen), dtype=">" + column._typecode)
    values = np.full(size, column._default, dtype=stored.dtype.newbyteorder("="))
    values[: min(size, len(stored))] = stored[:size]
    return values
