"""Reading a post file: bytes within the size limit, decoded text, front matter.

Front matter is YAML between ``---`` lines or TOML between ``+++`` lines
(split by python-frontmatter's handlers; TOML loaded with the stdlib
``tomllib`` because frontmatter's TOML handler needs the ``toml`` package).
Leading blank lines, CRLF/CR line ends, a UTF-8 BOM and UTF-16/32 with a BOM
are accepted.  YAML is composed with the safe (libyaml) loader and rejected
when it uses any alias (``*name``): Hugo/Jekyll front matter never needs one
and an alias bomb is then impossible.  Front matter must be a mapping of at
most the post size limit (``max_post_bytes``).
"""

from __future__ import annotations

import json
import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any

import yaml
from frontmatter.default_handlers import BaseHandler, SafeLoader, YAMLHandler

from .document import PostError, Vanished

class _TOMLHandler(BaseHandler):
    """``+++`` front matter loaded with the stdlib (frontmatter's own needs ``toml``)."""

    FM_BOUNDARY = re.compile(r"^\+{3,}[ \t]*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"

    def load(self, fm: str, **kwargs: object) -> Any:
        return tomllib.loads(fm)


class _YAMLHandler(YAMLHandler):
    # frontmatter's pattern ends in \s*$, which lets a delimiter swallow the
    # blank lines after it; [ \t]* keeps line numbers exact.
    FM_BOUNDARY = re.compile(r"^-{3,}[ \t]*$", re.MULTILINE)


class _Loader(SafeLoader):
    """The safe loader, but a timestamp no datetime can hold stays its text.

    ``expirydate: 0000-00-00`` (WordPress's empty date) or a year past 9999
    made the YAML constructor raise, and the whole post was skipped; as text
    it reaches parse_date, which finds no usable date (a warning, the post kept).
    """

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)

_YAML = _YAMLHandler()
_TOML = _TOMLHandler()


def read_post_file(path: Path, limit: int) -> tuple[bytes, float]:
    """The file's bytes and mtime; the size is checked before reading."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise Vanished("file vanished (deleted after it was listed)") from None
    except PermissionError:
        raise PostError("permission denied") from None
    except IsADirectoryError:
        raise PostError("not a regular file") from None
    except OSError as exc:
        raise PostError(f"cannot be opened: {exc.strerror or type(exc).__name__}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise PostError("not a regular file")
        if info.st_size > limit:
            raise PostError(f"file is {info.st_size} bytes, over the limit of {limit} bytes (setting max_post_bytes)")
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise PostError(f"cannot be read: {exc.strerror or type(exc).__name__}") from None
        if len(data) > limit:  # grew after the check
            raise PostError(f"file grew past the limit of {limit} bytes (setting max_post_bytes)")
        return data, info.st_mtime


def decode(data: bytes) -> str:
    if not data:
        raise PostError("empty file")
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        encoding = "utf-32"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        if b"\x00" in data:
            raise PostError("binary file (contains NUL bytes)")
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding == "utf-8-sig":
            line = data.count(b"\n", 0, exc.start) + 1
            raise PostError(f"not valid UTF-8 (line {line})") from None
        raise PostError(f"not valid {encoding.upper()}") from None
    if "\x00" in text:
        raise PostError("binary file (contains NUL characters)")
    if not text.strip():
        raise PostError("empty file")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_front_matter(text: str) -> tuple[dict | None, str]:
    """Front matter (loaded) and the body text; (None, text) when the file has none.

    Front matter is read whatever its size: the file itself is within the
    post size limit (a real Hugo site's redirects page has 114 KB of it).
    """
    start = len(text) - len(text.lstrip())
    lines_before = text.count("\n", 0, start)
    stripped = text[start:]
    first = stripped.split("\n", 1)[0].rstrip()
    if re.fullmatch(r"-{3,}", first):
        handler, kind = _YAML, "YAML"
    elif re.fullmatch(r"\+{3,}", first):
        handler, kind = _TOML, "TOML"
    elif stripped.startswith("{"):
        return _split_json(stripped, lines_before)
    else:
        return None, text
    text = stripped
    try:
        fm, body = handler.split(text)
    except ValueError:
        raise PostError(f"front matter is not closed (no second '{first[:3]}' line)") from None
    if kind == "YAML":
        data = _load_yaml(fm, lines_before)
    else:
        data = _load_toml(fm, lines_before)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PostError(f"front matter is a {kind_of(data)}, not a mapping of fields")
    return data, body


def _split_json(text: str, lines_before: int) -> tuple[dict, str]:
    """Hugo's JSON front matter: one JSON object at the top of the file, the body after it."""
    try:
        data, end = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError as exc:
        raise PostError(f"front matter is not valid JSON (line {lines_before + exc.lineno})") from None
    if not isinstance(data, dict):
        raise PostError(f"front matter is a {kind_of(data)}, not a mapping of fields")
    return data, text[end:]


def _load_yaml(fm: str, lines_before: int) -> Any:
    loader = _Loader(fm)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if "*" in fm:  # an alias is "*name": without a "*" there is none to find
            _reject_aliases(node)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {lines_before + mark.line + 1})" if mark is not None else ""
        if "constructor for the tag" in (exc.problem or ""):
            raise PostError(f"front matter uses a YAML tag that is not allowed{where}") from None
        raise PostError(f"front matter is not valid YAML{where}") from None
    except yaml.YAMLError:
        raise PostError("front matter is not valid YAML") from None
    finally:
        loader.dispose()


def _reject_aliases(root: yaml.Node) -> None:
    """A node reached twice is an alias: refuse it before anything is built."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            line = node.start_mark.line + 1 if node.start_mark else "?"
            raise PostError(f"front matter uses a YAML alias (*name, near line {line}); aliases are not allowed")
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append(key)
                stack.append(value)


def _load_toml(fm: str, lines_before: int) -> Any:
    try:
        return tomllib.loads(fm)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+)", str(exc))
        where = f" (line {lines_before + int(match.group(1))})" if match else ""
        raise PostError(f"front matter is not valid TOML{where}") from None
    except RecursionError:
        raise PostError("front matter is nested too deeply") from None


def kind_of(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return f"single value ({type(value).__name__})"
