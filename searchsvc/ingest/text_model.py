"""The result of rendering a body: its plain text and its headings (re-exported by ingest.text)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Heading:
    level: int
    text: str  # plain text of the heading
    anchor: str  # the id the generator gives the heading in its HTML ("" when it gives none)
    offset: int  # index in Text.body where the heading's own line starts


@dataclass
class Text:
    body: str  # plain text; blocks separated by "\n", other whitespace one space
    headings: list[Heading] = field(default_factory=list)
