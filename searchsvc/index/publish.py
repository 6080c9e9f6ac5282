"""Build once, serve many: install a finished generation in another index folder.

A generation is immutable once published, so a replica needs only its files
and meta.json (which records each file's size and SHA-256 at build).
``install`` puts a generation into a replica's index folder the way a reindex
publishes one: into ``gen-N.building`` beside the live generation, every file
verified against the record, then the same durable rename + ``current``
symlink switch (``store.publish``).  A replica therefore never serves a
partial generation: until the switch, ``current`` names the old one.

Files the replica already holds with the same name, size and checksum (a
segment an incremental reindex kept) are hard-linked from its own
generations; the rest are hard-linked from the source when it is on the same
filesystem, else copied.  The generation keeps its number, so every host
reports the same one in ``/healthz``.

``pack``/``receive_tar`` carry a generation over HTTP (``POST
/admin/generations``) as an uncompressed tar of plain files; the upload is
unpacked into a ``.building`` folder (removed by any later run if the
process dies) and installed from there, so a partial or corrupt upload is
refused by the same verification and never becomes live.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import uuid
from pathlib import Path
from typing import IO, Iterable

from . import integrity, store


class PublishError(Exception):
    """The generation was not installed; the replica serves what it served before."""


def live_generation_dir(index_dir: Path) -> Path:
    number = store.current_generation(index_dir)
    if number is None:
        raise PublishError(f"there is no live generation in {index_dir}; run 'searchsvc reindex' first")
    return index_dir / store.gen_name(number)


def _source_record(source: Path) -> tuple[int, dict[str, dict]]:
    meta = store.read_json(source / store.META)
    if not isinstance(meta, dict):
        raise PublishError(f"{source.name}: meta.json is missing or unreadable; not a complete generation")
    number, checksums = meta.get("generation"), integrity.recorded(source)
    if not isinstance(number, int) or number < 1:
        raise PublishError(f"{source.name}: meta.json names no generation number")
    if checksums is None:
        raise PublishError(f"{source.name}: no checksums recorded (built by an older searchsvc); run 'searchsvc reindex --full' on the build host")
    for name in checksums:
        if not _plain_name(name):
            raise PublishError(f"{source.name}: meta.json lists a file name that is not a plain name: {name[:80]!r}")
    return number, checksums


def _plain_name(name: str) -> bool:
    return bool(name) and "/" not in name and "\x00" not in name and name not in (".", "..")


def _known_files(dest: Path) -> dict[tuple[str, int, str], Path]:
    """(name, size, sha256) -> path of every file the replica's complete generations hold."""
    known = {}
    for number in store.generations(dest):
        gen_dir = dest / store.gen_name(number)
        for name, want in (integrity.recorded(gen_dir) or {}).items():
            known[(name, want.get("size"), want.get("sha256"))] = gen_dir / name
    return known


def _link(existing: Path, target: Path) -> bool:
    try:
        os.link(existing, target)
        return True
    except OSError:
        return False


def _place(source_file: Path, target: Path, same_fs: bool) -> str:
    if same_fs:
        try:
            os.link(source_file, target)
            return "linked"
        except OSError:
            pass  # another owner's file under protected_hardlinks, a filesystem without links
    shutil.copyfile(source_file, target)
    return "copied"


def install(source: Path, dest: Path) -> dict:
    """Put generation folder ``source`` into index folder ``dest`` and make it live there.

    Returns {"generation", "linked", "copied", "reused", "already_live"}.
    Holds ``dest``'s reindex lock: a replica receives one generation at a time.
    """
    source, dest = Path(source), Path(dest)
    number, checksums = _source_record(source)
    store.ensure_index_dir(dest)
    with store.ReindexLock(dest):
        return _install_locked(source, dest, number, checksums)


def _install_locked(source: Path, dest: Path, number: int, checksums: dict, keep_leftover: Path | None = None) -> dict:
    result = {"generation": number, "linked": 0, "copied": 0, "reused": 0, "already_live": False}
    final = dest / store.gen_name(number)
    if final.is_dir():
        if store.current_generation(dest) == number and integrity.recorded(final) == checksums and not integrity.verify(final):
            result["already_live"] = True
            return result
        doomed = dest / (final.name + store.DELETING)
        os.rename(final, doomed)  # another build's generation N, or a torn one: replaced whole
        shutil.rmtree(doomed, ignore_errors=True)
    for entry in os.scandir(dest):
        if entry.path != str(keep_leftover) and (entry.name.endswith((".building", store.DELETING)) or entry.name.startswith(f"{store.CURRENT}.tmp")):
            shutil.rmtree(entry.path, ignore_errors=True) if entry.is_dir(follow_symlinks=False) else os.unlink(entry.path)
    building = store.building_dir(dest, number)
    known = _known_files(dest)
    same_fs = os.stat(source).st_dev == os.stat(dest).st_dev
    building.mkdir()
    try:
        for name, want in sorted(checksums.items()):
            have = known.get((name, want.get("size"), want.get("sha256")))
            if have is not None and _link(have, building / name):
                result["reused"] += 1
            elif not (source / name).is_file():
                raise PublishError(f"{source.name}/{name}: missing from the generation sent")
            else:
                result[_place(source / name, building / name, same_fs)] += 1
        shutil.copyfile(source / store.META, building / store.META)
        problems = integrity.verify(building, checksums)
        if problems:
            raise PublishError("the generation does not match its recorded checksums, nothing was switched: " + "; ".join(problems[:5]))
        store.publish(dest, building, number)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    store.prune(dest)
    return result


def publish_to(index_dir: Path, dests: Iterable[Path]) -> list[dict]:
    """``searchsvc publish``: the live generation of ``index_dir`` into every folder of ``dests``."""
    source = live_generation_dir(Path(index_dir))
    problems = integrity.verify(source)
    if problems:
        raise PublishError(f"the live generation of {index_dir} is not as built ({'; '.join(problems[:3])}); run 'searchsvc reindex --full'")
    return [dict(install(source, Path(dest)), to=str(dest)) for dest in dests]


def pack(gen_dir: Path, out: IO[bytes]) -> None:
    """A generation as an uncompressed tar of its files, meta.json last
    (index files are mostly compressed postings already)."""
    number, checksums = _source_record(Path(gen_dir))
    with tarfile.open(fileobj=out, mode="w|") as tar:
        for name in sorted(checksums) + [store.META]:
            tar.add(Path(gen_dir) / name, arcname=name, recursive=False)


def receive_tar(stream: IO[bytes], dest: Path, max_bytes: int) -> dict:
    """Unpack an uploaded generation into ``dest`` and install it (see ``install``).

    Refuses anything but plain files with plain names, a total over
    ``max_bytes``, a truncated tar and any file whose bytes differ from meta.json's
    record; then nothing is switched and the unpacked files are removed.
    """
    dest = Path(dest)
    store.ensure_index_dir(dest)
    with store.ReindexLock(dest):
        staging = dest / f"upload-{uuid.uuid4().hex[:12]}.building"
        staging.mkdir(mode=0o755)
        try:
            _unpack(stream, staging, max_bytes)
            number, checksums = _source_record(staging)
            return _install_locked(staging, dest, number, checksums, keep_leftover=staging)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _unpack(stream: IO[bytes], staging: Path, max_bytes: int) -> None:
    total = 0
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                if not member.isfile() or not _plain_name(member.name):
                    raise PublishError(f"the upload holds {member.name[:80]!r}, which is not a plain file of a generation")
                total += member.size
                if total > max_bytes:
                    raise PublishError(f"the upload is larger than {max_bytes} bytes (setting max_generation_upload_bytes)")
                source = tar.extractfile(member)
                with open(staging / member.name, "wb") as handle:
                    shutil.copyfileobj(source, handle, 1 << 20)
    except (tarfile.TarError, EOFError) as exc:
        raise PublishError(f"the upload is not a complete tar of a generation ({exc})") from None
