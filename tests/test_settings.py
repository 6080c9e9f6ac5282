"""Settings: one registry, environment variables, and the README table."""

from __future__ import annotations

import re

import pytest

from searchsvc import settings as settings_mod

from .conftest import REPO


README_ROW = re.compile(r"^\| `(SEARCHSVC_[A-Z0-9_]+)` \| (.*?) \| (.*) \|$", flags=re.M)
# Empty defaults whose README cell says what "empty" means here
EMPTY_MEANS = {"content_dir": "the sample content", "synonyms_file": "the shipped list", "search_settings_dir": "`search/` in the site or content folder"}


def readme_table() -> dict[str, tuple[str, str]]:
    """README.md's configuration table: variable -> (default as written, doc)."""
    rows = README_ROW.findall((REPO / "README.md").read_text())
    table = {name: (default, doc) for name, default, doc in rows}
    assert len(table) == len(rows), "a variable has two rows in README's configuration table"
    return table


def as_written(default) -> str:
    """A default the way README's table writes it."""
    if isinstance(default, bool):
        return "`true`" if default else "`false`"
    if isinstance(default, tuple):
        return f"`{','.join(default)}`" if default else "empty"
    if isinstance(default, str):
        return f"`{default}`" if default else "empty"
    return f"`{default}`"


def test_every_setting_is_documented_in_the_readme():
    table = set(readme_table())
    registry = {f"SEARCHSVC_{s.name.upper()}" for s in settings_mod.SETTINGS}
    assert registry - table == set(), "settings missing from README's configuration table"
    assert table - registry == set(), "README documents settings that do not exist"


def test_the_readme_gives_each_setting_its_registry_default_and_a_doc():
    table = readme_table()
    wrong = {}
    for setting in settings_mod.SETTINGS:
        default, doc = table[f"SEARCHSVC_{setting.name.upper()}"]
        expected = EMPTY_MEANS.get(setting.name, as_written(setting.default))
        if default != expected or len(doc) < 10:
            wrong[setting.name] = (default, expected, doc)
    assert wrong == {}


def test_every_setting_has_a_name_a_typed_default_and_a_doc():
    names = [s.name for s in settings_mod.SETTINGS]
    assert len(names) == len(set(names)) == 40
    for setting in settings_mod.SETTINGS:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", setting.name), setting.name
        assert type(setting.default) in (bool, int, float, tuple, str), setting
        assert setting.help.endswith(".") and len(setting.help) >= 20, setting
        assert settings_mod.DEFAULTS[setting.name] == setting.default


def other_value(default):
    """A value unlike ``default``, as an environment variable spells it, and as it is read."""
    if isinstance(default, bool):
        return ("false", False) if default else ("true", True)
    if isinstance(default, int):
        return (str(default + 7), default + 7)
    if isinstance(default, float):
        return (str(default + 0.5), default + 0.5)
    if isinstance(default, tuple):
        return (" first , second,,", ("first", "second"))
    return ("something else", "something else")


@pytest.mark.parametrize("setting", settings_mod.SETTINGS, ids=[s.name for s in settings_mod.SETTINGS])
def test_every_setting_is_read_from_its_environment_variable(setting):
    text, value = other_value(setting.default)
    assert settings_mod.load(environ={})[setting.name] == setting.default
    assert settings_mod.load(environ={f"SEARCHSVC_{setting.name.upper()}": text})[setting.name] == value
    # a config mapping, in either case, wins over the environment
    assert settings_mod.load({setting.name.upper(): setting.default}, environ={f"SEARCHSVC_{setting.name.upper()}": text})[setting.name] == setting.default


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
