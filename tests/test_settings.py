"""Settings: one registry, environment variables, and the README table."""

from __future__ import annotations

import re

import pytest

from searchsvc import settings as settings_mod

from .conftest import REPO


def test_every_setting_is_documented_in_the_readme():
    readme = (REPO / "README.md").read_text()
    table = set(re.findall(r"^\| `(SEARCHSVC_[A-Z_]+)` \|", readme, flags=re.M))
    registry = {f"SEARCHSVC_{s.name.upper()}" for s in settings_mod.SETTINGS}
    assert registry - table == set(), "settings missing from README's configuration table"
    extra = {name for name in table - registry if name != "SEARCHSVC_ADMIN_TOKEN"}
    assert extra == set(), "README documents settings that do not exist"


def test_environment_then_overrides():
    values = settings_mod.load(
        {"max_per_page": 20},
        environ={"SEARCHSVC_FACETS": "tags, series", "SEARCHSVC_INDEX_DRAFTS": "yes", "SEARCHSVC_MAX_PER_PAGE": "50"},
    )
    assert values["facets"] == ("tags", "series")
    assert values["index_drafts"] is True
    assert values["max_per_page"] == 20


def test_bad_environment_value_names_the_variable():
    with pytest.raises(settings_mod.SettingsError, match=r"SEARCHSVC_MAX_PAGE \(setting max_page\): expected a whole number, got 'lots'"):
        settings_mod.load(environ={"SEARCHSVC_MAX_PAGE": "lots"})
    with pytest.raises(settings_mod.SettingsError, match=r"SEARCHSVC_INDEX_DRAFTS \(setting index_drafts\): expected true or false, got 'maybe'"):
        settings_mod.load(environ={"SEARCHSVC_INDEX_DRAFTS": "maybe"})


def test_default_content_is_the_shipped_sample():
    values = settings_mod.load(environ={})
    assert settings_mod.content_dir(values) == settings_mod.SAMPLE_CONTENT_DIR
    # A small Hugo site: its config, 31 pages (2 section pages, a draft, an expired event), 12 term pages
    content = settings_mod.SAMPLE_CONTENT_DIR / "content"
    assert (settings_mod.SAMPLE_CONTENT_DIR / "hugo.toml").is_file()
    taxonomies = ("authors", "tags")
    pages = [p for p in content.rglob("*.md") if p.relative_to(content).parts[0] not in taxonomies]
    assert len(pages) == 31
    assert len([p for p in content.rglob("*.md") if p.relative_to(content).parts[0] in taxonomies]) == 13
