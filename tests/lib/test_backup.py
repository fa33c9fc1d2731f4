"""manage.py backup and restore: a round trip into an empty database, every row and file back."""

import hashlib
import json
import sqlite3
import tarfile
import uuid

import psycopg
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection

from digitalesamt.lib import backup
from tests.factories import MunicipalityFactory, ProcedureLinkFactory
from tests.test_settings import PRODUCTION_ENV, run_manage

FILES = {
    "auszeichnungen/0001/abc/schild-a4.pdf": b"%PDF-1.7 " + bytes(range(256)) * 40,
    "wappen/hoesbach.png": b"\x89PNG\r\n\x1a\n" + b"\x00\xff" * 5000,
    "ohne-ordner.txt": "Grüße aus Höchstädt".encode(),
}


@pytest.fixture
def data(db):
    for index in range(3):
        kommune = MunicipalityFactory()
        for number in range(4):
            ProcedureLinkFactory(municipality=kommune, title=f"Antrag {index}-{number}")
    for name, content in FILES.items():
        default_storage.save(name, ContentFile(content))
    yield
    for name in FILES:
        default_storage.delete(name)


def source_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        return backup.table_counts(cursor)


@pytest.fixture
def empty_database(tmp_path):
    """An empty database of the same kind as the test database, and its URL."""
    if connection.vendor == "sqlite":
        path = tmp_path / "restored.sqlite3"
        yield f"sqlite:///{path}", lambda: sqlite_counts(path)
        return
    config = connection.settings_dict
    name = f"restore_{uuid.uuid4().hex[:12]}"
    server = {
        "host": config["HOST"] or None,
        "port": config["PORT"] or None,
        "user": config["USER"] or None,
        "password": config["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    user = f"{config['USER']}@" if config["USER"] else ""
    url = f"postgres://{user}{config['HOST']}:{config['PORT']}/{name}"
    try:
        yield url, lambda: postgres_counts(name, server)
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def count(table: str) -> str:
    return f'SELECT COUNT(*) FROM "{table}"'  # noqa: S608 - names from the catalogue


def sqlite_counts(path) -> dict[str, int]:
    with sqlite3.connect(path) as database:
        tables = [
            name
            for (name,) in database.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'sqlite_sequence'"
            )
        ]
        return {t: database.execute(count(t)).fetchone()[0] for t in tables}


def postgres_counts(name: str, server: dict) -> dict[str, int]:
    with psycopg.connect(dbname=name, **server) as database:
        tables = [
            row[0]
            for row in database.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
        ]
        return {t: database.execute(count(t)).fetchone()[0] for t in tables}


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_every_row_and_every_file(data, empty_database, tmp_path):
    url, restored_counts = empty_database
    archive = tmp_path / "sicherung.tar"
    expected = source_counts()

    call_command("backup", str(archive))
    media = tmp_path / "media"
    result = run_manage(
        "restore",
        str(archive),
        env={**PRODUCTION_ENV, "DATABASE_URL": url, "MEDIA_ROOT": str(media)},
    )

    assert result.returncode == 0, result.stderr
    assert "wie im Manifest" in result.stdout
    counts = restored_counts()
    assert counts == expected
    assert counts["municipalities_procedurelink"] == 12
    for name, content in FILES.items():
        assert (
            hashlib.sha256((media / name).read_bytes()).hexdigest()
            == hashlib.sha256(content).hexdigest()
        )


@pytest.mark.django_db(transaction=True)
def test_the_archive_holds_a_manifest_with_counts_and_checksums(data, tmp_path):
    archive = tmp_path / "sicherung.tar"

    call_command("backup", str(archive))

    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        names = tar.getnames()
    assert manifest["format"] == backup.FORMAT
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["tables"] == source_counts()
    assert set(manifest["files"]) >= set(FILES)
    for name, content in FILES.items():
        assert manifest["files"][name] == {
            "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
        }
        assert f"files/{name}" in names
    sidecar = (tmp_path / "sicherung.tar.sha256").read_text()
    assert sidecar == f"{hashlib.sha256(archive.read_bytes()).hexdigest()}  sicherung.tar\n"


@pytest.mark.django_db(transaction=True)
def test_a_restore_into_a_database_in_use_is_refused(data, tmp_path):
    archive = tmp_path / "sicherung.tar"
    call_command("backup", str(archive))
    before = source_counts()

    with pytest.raises(CommandError, match="nicht leer"):
        call_command("restore", str(archive))

    assert source_counts() == before


@pytest.mark.django_db(transaction=True)
def test_a_damaged_archive_is_refused_before_anything_is_restored(data, tmp_path, empty_database):
    url, restored_counts = empty_database
    archive = tmp_path / "sicherung.tar"
    call_command("backup", str(archive))
    content = bytearray(archive.read_bytes())
    content[len(content) // 2] ^= 0xFF
    archive.write_bytes(bytes(content))

    result = run_manage(
        "restore",
        str(archive),
        env={**PRODUCTION_ENV, "DATABASE_URL": url, "MEDIA_ROOT": str(tmp_path / "media")},
    )

    assert result.returncode != 0
    assert "Prüfsumme" in result.stderr
    assert not (tmp_path / "media").exists()
    assert restored_counts() == {}


@pytest.mark.django_db(transaction=True)
def test_an_archive_without_its_checksum_is_refused(data, tmp_path):
    archive = tmp_path / "sicherung.tar"
    call_command("backup", str(archive))
    (tmp_path / "sicherung.tar.sha256").unlink()

    with pytest.raises(CommandError, match="sha256 fehlt"):
        call_command("restore", str(archive))


def test_backup_does_not_overwrite_an_archive(tmp_path, db):
    archive = tmp_path / "sicherung.tar"
    archive.write_bytes(b"alt")

    with pytest.raises(CommandError, match="gibt es schon"):
        call_command("backup", str(archive))

    assert archive.read_bytes() == b"alt"


@pytest.mark.django_db(transaction=True)
def test_a_backup_into_a_folder_gets_a_dated_name(tmp_path):
    call_command("backup", str(tmp_path))

    [archive] = tmp_path.glob("digitalesamt-*.tar")
    assert archive.name.startswith("digitalesamt-20")
    assert (tmp_path / f"{archive.name}.sha256").exists()
