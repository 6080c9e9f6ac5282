"""Issue 16 F6: a file that vanished for a moment during a scan is not recorded
as failed; the next run indexes it (and a failed file is retried every run)."""

from __future__ import annotations

import os
from pathlib import Path

from searchsvc.index.build import reindex

from ..conftest import conf, write_post


def test_a_file_renamed_away_and_back_during_a_scan_is_indexed_next_run(tmp_path):
    content, index_dir = tmp_path / "content", tmp_path / "index"
    write_post(content, "a.md", "title: Aardvark\ndate: 2017-01-02", "aardvark")
    post = write_post(content, "z.md", "title: Zebra\ndate: 2017-01-03", "zebra")
    away = tmp_path / "away.md"
    settings = conf(index_dir=str(index_dir), content_dir=str(content))

    def progress_start(total):
        def progress(done):
            if post.exists():  # renamed away after the listing, before z.md is read
                os.rename(post, away)
        return progress

    first = reindex(content, index_dir, settings, progress_start=progress_start, workers=1)
    os.rename(away, post)  # back, with the same size and mtime
    assert first.failed == []
    second = reindex(content, index_dir, settings, workers=1)
    assert (second.added, second.failed, second.skipped) == (1, [], [])
    third = reindex(content, index_dir, settings, workers=1)
    assert (third.added, third.unchanged) == (0, 2)
