"""What a reindex did, for the command line and the admin task record."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..ingest.document import EXCLUDED, NOT_A_PAGE, UNPUBLISHED


@dataclass
class ReindexReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # (id, kind, reason): not pages, never failures
    failed: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    full: bool = False
    generation: int | None = None
    documents: int = 0
    seconds: float = 0.0

    def skipped_count(self, kind: str) -> int:
        return sum(1 for _, k, _ in self.skipped if k == kind)

    @property
    def unpublished(self) -> int:
        return self.skipped_count(UNPUBLISHED)

    def summary(self) -> str:
        rate = ""
        parsed = self.added + self.updated
        if parsed and self.seconds > 0:
            rate = f" ({parsed / self.seconds:.0f} docs/s)"
        return (
            f"added {self.added}, updated {self.updated}, removed {self.removed}, "
            f"unchanged {self.unchanged}, failed {len(self.failed)}, "
            f"unpublished {self.unpublished}, not a page {self.skipped_count(NOT_A_PAGE)}, "
            f"excluded {self.skipped_count(EXCLUDED)}; {self.documents} documents in generation "
            f"{self.generation} ({'full' if self.full else 'incremental'}) "
            f"in {self.seconds:.2f} s{rate}"
        )
