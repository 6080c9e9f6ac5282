"""Which config files make a folder a Hugo or a Jekyll site (no parsing).

Kept apart from ``hugo_config``/``jekyll_config`` (YAML, TOML, time zones,
the generators' rules) so that telling a plain folder of posts from a
generator's site imports none of them: ``searchsvc reindex`` of an
unchanged folder must start fast (issue 15).
"""

from __future__ import annotations

from pathlib import Path

HUGO_CONFIG_NAMES = tuple(f"{base}.{ext}" for base in ("hugo", "config") for ext in ("toml", "yaml", "yml", "json"))
HUGO_CONFIG_SUFFIXES = (".toml", ".yaml", ".yml", ".json")
JEKYLL_CONFIG_NAMES = ("_config.yml", "_config.yaml", "_config.toml")  # Jekyll looks in this order


def hugo_config_files(root: Path, environment: str) -> list[Path]:
    """The files Hugo reads for ``root``, in merge order; [] when there is none."""
    files: list[Path] = []
    for name in HUGO_CONFIG_NAMES:
        if (root / name).is_file():
            files.append(root / name)
            break
    for sub in ("_default", environment):
        folder = root / "config" / sub
        if folder.is_dir():
            files.extend(sorted(p for p in folder.iterdir() if p.suffix in HUGO_CONFIG_SUFFIXES and p.is_file()))
    return files


def jekyll_config(root: Path) -> Path | None:
    for name in JEKYLL_CONFIG_NAMES:
        candidate = root / name
        if candidate.is_file():
            return candidate
    return None
