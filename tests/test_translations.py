"""The catalogues in locale/: complete, compiled, in step with the code, and used by the pages."""

import gettext
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

LOCALE = settings.BASE_DIR / "locale"
ENGLISH = LOCALE / "en" / "LC_MESSAGES" / "django.po"
GERMAN_ADDITIONS = [
    LOCALE / "de" / "LC_MESSAGES" / "django.po",
    LOCALE / "de" / "LC_MESSAGES" / "djangojs.po",
]
CATALOGUES = [ENGLISH, *GERMAN_ADDITIONS]
# What makemessages must see of the project: everything that may hold a translatable string.
SOURCES = ["manage.py", "digitalesamt", "awards", "municipalities", "templates"]


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    context: str | None = None
    msgstrs: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.context, self.msgid)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda match: _ESCAPES[match.group(1)], text.strip()[1:-1])


def read_po(path: Path) -> tuple[Entry, list[Entry]]:
    """Return the header and the live (not obsolete) entries of a .po file."""
    entries: list[Entry] = []
    entry = Entry()
    target: tuple[str, int] | None = None
    started = False
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip() or line.startswith("#~"):
            if started:
                entries.append(entry)
            entry, target, started = Entry(), None, False
            continue
        if line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            kind, index = target
            if kind == "msgstr":
                entry.msgstrs[index] += _unquote(line)
            else:
                setattr(entry, kind, (getattr(entry, kind) or "") + _unquote(line))
        else:
            keyword, value = line.split(" ", 1)
            started = True
            if keyword.startswith("msgstr"):
                entry.msgstrs.append(_unquote(value))
                target = ("msgstr", len(entry.msgstrs) - 1)
            else:
                kind = {"msgctxt": "context", "msgid": "msgid", "msgid_plural": "msgid_plural"}
                setattr(entry, kind[keyword], _unquote(value))
                target = (kind[keyword], 0)
    header = next(entry for entry in entries if entry.msgid == "" and entry.context is None)
    return header, [entry for entry in entries if entry is not header]


def placeholders(text: str) -> list[str]:
    """Return the format placeholders of a message: %(name)s, %s, {name}."""
    return sorted(re.findall(r"%\(\w+\)[sdifr]|%[sdif]|\{\w*\}", text))


def test_the_english_catalogue_translates_every_entry() -> None:
    _header, entries = read_po(ENGLISH)
    untranslated = [entry.msgid for entry in entries if not all(entry.msgstrs)]
    assert len(entries) > 600
    assert untranslated == []


def test_plural_entries_fill_both_english_forms() -> None:
    _header, entries = read_po(ENGLISH)
    plurals = [entry for entry in entries if entry.msgid_plural is not None]
    assert plurals
    assert [entry.msgid for entry in plurals if len(entry.msgstrs) != 2] == []


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: "/".join(path.parts[-3:]))
def test_no_catalogue_has_fuzzy_entries(path: Path) -> None:
    header, entries = read_po(path)
    assert "fuzzy" not in header.flags
    assert [entry.msgid for entry in entries if "fuzzy" in entry.flags] == []


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: "/".join(path.parts[-3:]))
def test_translations_keep_every_placeholder(path: Path) -> None:
    _header, entries = read_po(path)
    broken = []
    for entry in entries:
        sources = [entry.msgid] if entry.msgid_plural is None else [entry.msgid, entry.msgid_plural]
        for source, translation in zip(sources, entry.msgstrs, strict=True):
            if placeholders(source) != placeholders(translation):
                broken.append(entry.msgid)
    assert broken == []


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: "/".join(path.parts[-3:]))
def test_compiled_catalogue_matches_its_source(path: Path) -> None:
    """Catch a .po edited without running compilemessages."""
    with path.with_suffix(".mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    _header, entries = read_po(path)
    stale = []
    for entry in entries:
        if entry.msgid_plural is None:
            found = [
                catalogue.pgettext(entry.context, entry.msgid)
                if entry.context
                else catalogue.gettext(entry.msgid)
            ]
        else:
            found = [
                catalogue.npgettext(entry.context, entry.msgid, entry.msgid_plural, n)
                if entry.context
                else catalogue.ngettext(entry.msgid, entry.msgid_plural, n)
                for n in (1, 2)
            ]
        if found != entry.msgstrs:
            stale.append(entry.msgid)
    assert stale == []


def test_german_additions_hold_no_project_strings() -> None:
    """The project's msgids are German already; only Django's English ones belong in de."""
    _header, english = read_po(ENGLISH)
    project = {entry.key for entry in english}
    for path in GERMAN_ADDITIONS:
        _header, entries = read_po(path)
        assert entries
        assert [entry.msgid for entry in entries if entry.key in project] == []


def test_every_translatable_string_is_in_the_english_catalogue(tmp_path: Path) -> None:
    """Run makemessages on a copy of the project and look for msgids the catalogue lacks."""
    for name in SOURCES:
        source = settings.BASE_DIR / name
        if source.is_dir():
            shutil.copytree(
                source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        else:
            shutil.copy2(source, tmp_path / name)
    (tmp_path / "locale" / "en" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy2(ENGLISH, tmp_path / "locale" / "en" / "LC_MESSAGES" / "django.po")
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "digitalesamt.settings",
        "ENV_FILE": os.devnull,
        "SECRET_KEY": "makemessages-only",
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    }
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en", "--no-location", "--no-obsolete"],
        cwd=tmp_path,
        env=environment,
        check=True,
        capture_output=True,
    )

    _header, found = read_po(tmp_path / "locale" / "en" / "LC_MESSAGES" / "django.po")
    _header, shipped = read_po(ENGLISH)
    shipped_keys = {entry.key for entry in shipped}
    assert len(found) > 600
    assert sorted(entry.msgid for entry in found if entry.key not in shipped_keys) == []


@pytest.mark.django_db
def test_home_page_follows_accept_language_english(client) -> None:
    response = client.get(reverse("awards:home"), HTTP_ACCEPT_LANGUAGE="en")

    content = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in content
    assert "Digitales Amt holders in Bavaria" in content
    assert "Digitale Ämter in Bayern" not in content


@pytest.mark.django_db
def test_home_page_stays_german_without_a_preference(client) -> None:
    response = client.get(reverse("awards:home"))

    content = response.content.decode()
    assert '<html lang="de">' in content
    assert "Digitale Ämter in Bayern" in content


@pytest.mark.django_db
def test_login_page_follows_the_language_cookie(client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get(reverse("account:login"), HTTP_ACCEPT_LANGUAGE="de")

    content = response.content.decode()
    assert '<html lang="en">' in content
    assert "<title>Log in – Digitales Amt</title>" in content
    assert "Forgotten your password?" in content


def test_german_admin_runs_actions_with_a_german_button(client, admin_user) -> None:
    client.force_login(admin_user)

    # The user list has actions and, with the reviewer, one row to act on.
    response = client.get(reverse("admin:auth_user_changelist"))

    content = response.content.decode()
    assert response.status_code == 200
    assert ">Ausführen</button>" in content
    assert ">Run</button>" not in content


def test_german_admin_script_catalogue_explains_the_time_zone(client, admin_user) -> None:
    client.force_login(admin_user)

    response = client.get(reverse("admin:jsi18n"))

    content = response.content.decode()
    assert "Bitte Zeiten in der Zeitzone %(timezone)s eingeben" in content
    assert "Heute (%(date)s)" in content
