"""Backups that restore: the database and the stored files as one archive with a manifest.

An archive (`.tar`) holds `manifest.json`, the database (`database.dump`: pg_dump's custom
format on PostgreSQL, a copy made with SQLite's backup API on SQLite) and every stored file
under `files/`. The manifest names the row count of every table, read in the same snapshot
the dump is taken from, and the size and SHA-256 of the dump and of every file; a file
`<archive>.sha256` beside the archive holds the archive's own checksum (`sha256sum -c`).

A restore goes only into an empty database and an empty storage; it checks every checksum
while it reads, and afterwards every table's row count against the manifest.
"""

import datetime
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

FORMAT = "digitalesamt-backup/1"
MANIFEST = "manifest.json"
DATABASE = "database.dump"
FILES = "files/"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, in German."""


@dataclass(frozen=True)
class Summary:
    tables: int
    rows: int
    files: int
    bytes: int
    seconds: float


# Reading the storage and the database


def stored_files(folder: str = "") -> Iterator[str]:
    """Yield the name of every file in the default storage, through the storage API."""
    try:
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:  # no file stored yet
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(folders):
        yield from stored_files(f"{folder}/{sub}" if folder else sub)


def table_counts(cursor) -> dict[str, int]:
    """Return the row count of every table of the database, in the cursor's snapshot."""
    counts = {}
    for table in sorted(connection.introspection.table_names(cursor)):
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        counts[table] = cursor.fetchone()[0]
    return counts


def _libpq_environment() -> dict[str, str]:
    """Connect pg_dump and pg_restore as Django does, the password in the environment only."""
    config = connection.settings_dict
    env = dict(os.environ)
    for key, value in (
        ("PGHOST", config.get("HOST")),
        ("PGPORT", config.get("PORT")),
        ("PGUSER", config.get("USER")),
        ("PGPASSWORD", config.get("PASSWORD")),
        ("PGDATABASE", config.get("NAME")),
    ):
        if value:
            env[key] = str(value)
    return env


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            _("%(program)s fehlt: installieren Sie postgresql-client.") % {"program": name}
        )
    return found


def _dump_database(target: Path) -> dict[str, int]:
    """Dump the database into target and return the row counts of the same moment."""
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            # pg_dump reads the snapshot this transaction exports, the counts are of it too.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = table_counts(cursor)
            command = [_program("pg_dump"), "--format=custom", "--no-owner", "--no-privileges"]
            result = subprocess.run(  # noqa: S603 - our own arguments, no shell
                [*command, f"--snapshot={snapshot}", f"--file={target}"],
                env=_libpq_environment(),
                capture_output=True,
                text=True,
                check=False,
            )
        if result.returncode != 0:
            raise BackupError(_("pg_dump ist gescheitert: %(error)s") % {"error": result.stderr})
        return counts
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(target) as copy:
            connection.connection.backup(copy)  # a consistent copy while others write
        with sqlite3.connect(target) as copy:
            return {
                table: copy.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]  # noqa: S608
                # The tables Django's introspection lists, as table_counts() reads them.
                for (table,) in copy.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND NOT name = 'sqlite_sequence' ORDER BY name"
                )
            }
    raise BackupError(_("Sicherungen gibt es für PostgreSQL und SQLite."))


class _Hashing(io.RawIOBase):
    """A file read through once while its SHA-256 is computed."""

    def __init__(self, file: IO[bytes], size: int) -> None:
        self.file, self.hash, self.size, self.read_bytes = file, hashlib.sha256(), size, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.hash.update(data)
        self.read_bytes += len(data)
        return data


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# Backup


def backup(archive: Path) -> Summary:
    """Write the database and every stored file into archive, with manifest and checksum."""
    started = timezone.now()
    archive = Path(archive)
    partial = archive.with_name(archive.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="digitalesamt-backup-") as workdir:
        dump = Path(workdir) / DATABASE
        counts = _dump_database(dump)
        files: dict[str, dict[str, Any]] = {}
        with tarfile.open(partial, "w") as tar:
            tar.add(dump, arcname=DATABASE)
            for name in stored_files():
                info = tarfile.TarInfo(FILES + name)
                info.size = default_storage.size(name)
                info.mtime = int(started.timestamp())
                with default_storage.open(name, "rb") as stored:
                    reader = _Hashing(stored, info.size)
                    tar.addfile(info, reader)
                    if stored.read(1):
                        reader.read_bytes += 1
                if reader.read_bytes != info.size:
                    raise BackupError(
                        _("%(name)s hat sich während der Sicherung geändert.") % {"name": name}
                    )
                files[name] = {"size": info.size, "sha256": reader.hash.hexdigest()}
            manifest = {
                "format": FORMAT,
                "created_at": started.isoformat(),
                "database": {
                    "vendor": connection.vendor,
                    "file": DATABASE,
                    "size": dump.stat().st_size,
                    "sha256": _sha256(dump),
                },
                "tables": counts,
                "files": files,
            }
            data = json.dumps(manifest, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(data), int(started.timestamp())
            tar.addfile(info, io.BytesIO(data))
    partial.replace(archive)
    archive.with_name(archive.name + ".sha256").write_text(f"{_sha256(archive)}  {archive.name}\n")
    return Summary(
        tables=len(counts),
        rows=sum(counts.values()),
        files=len(files),
        bytes=archive.stat().st_size,
        seconds=(timezone.now() - started).total_seconds(),
    )


# Restore


def _read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        manifest = json.load(tar.extractfile(MANIFEST))
    except (KeyError, ValueError) as error:
        raise BackupError(_("Das Archiv hat kein lesbares manifest.json.")) from error
    if manifest.get("format") != FORMAT:
        raise BackupError(
            _("Das Archiv ist keine Sicherung dieses Formats (%(format)s).") % {"format": FORMAT}
        )
    if manifest["database"]["vendor"] != connection.vendor:
        raise BackupError(
            _("Die Sicherung ist von %(source)s, die Datenbank ist %(target)s.")
            % {"source": manifest["database"]["vendor"], "target": connection.vendor}
        )
    return manifest


def _check_archive_checksum(archive: Path) -> None:
    sidecar = archive.with_name(archive.name + ".sha256")
    if not sidecar.exists():
        raise BackupError(
            _("%(file)s fehlt: ohne Prüfsumme wird nichts wiederhergestellt.")
            % {"file": sidecar.name}
        )
    expected = sidecar.read_text().split()[0]
    if _sha256(archive) != expected:
        raise BackupError(_("Die Prüfsumme des Archivs stimmt nicht: es ist beschädigt."))


def _check_empty() -> None:
    with connection.cursor() as cursor:
        if connection.introspection.table_names(cursor):
            raise BackupError(
                _(
                    "Die Datenbank ist nicht leer. Stellen Sie nur in eine leere Datenbank "
                    "wieder her."
                )
            )
    try:
        folders, files = default_storage.listdir("")
    except FileNotFoundError:  # a storage folder not made yet is empty
        folders, files = [], []
    if folders or files:
        raise BackupError(
            _(
                "Der Dateispeicher ist nicht leer. Stellen Sie nur in einen leeren Speicher "
                "wieder her."
            )
        )


def _restore_database(tar: tarfile.TarFile, manifest: dict[str, Any], workdir: Path) -> None:
    member = manifest["database"]
    dump = workdir / DATABASE
    with tar.extractfile(member["file"]) as source, dump.open("wb") as target:
        shutil.copyfileobj(source, target, CHUNK)
    if _sha256(dump) != member["sha256"]:
        raise BackupError(_("Die Prüfsumme der Datenbank im Archiv stimmt nicht."))
    if connection.vendor == "postgresql":
        connection.close()
        command = [_program("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error"]
        result = subprocess.run(  # noqa: S603 - our own arguments, no shell
            [*command, "--single-transaction", f"--dbname={connection.settings_dict['NAME']}"]
            + [str(dump)],
            env=_libpq_environment(),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(_("pg_restore ist gescheitert: %(error)s") % {"error": result.stderr})
        return
    connection.ensure_connection()
    with sqlite3.connect(dump) as copy:
        copy.backup(connection.connection)


def _restore_files(tar: tarfile.TarFile, manifest: dict[str, Any]) -> None:
    for name, expected in manifest["files"].items():
        with tar.extractfile(FILES + name) as member:
            reader = _Hashing(member, expected["size"])
            saved = default_storage.save(name, File(reader, name=name))
        if saved != name or reader.hash.hexdigest() != expected["sha256"]:
            raise BackupError(_("Die Datei %(name)s im Archiv ist beschädigt.") % {"name": name})


def restore(archive: Path) -> Summary:
    """Restore an archive into the empty database and storage, checking every checksum."""
    started = timezone.now()
    archive = Path(archive)
    _check_archive_checksum(archive)
    with tarfile.open(archive, "r") as tar:
        manifest = _read_manifest(tar)
        _check_empty()
        with tempfile.TemporaryDirectory(prefix="digitalesamt-restore-") as workdir:
            _restore_database(tar, manifest, Path(workdir))
        _restore_files(tar, manifest)
    with connection.cursor() as cursor:
        counts = table_counts(cursor)
    if counts != manifest["tables"]:
        differ = sorted(
            table
            for table in set(counts) | set(manifest["tables"])
            if counts.get(table) != manifest["tables"].get(table)
        )
        raise BackupError(
            _("Nach der Wiederherstellung weichen die Zeilen dieser Tabellen ab: %(tables)s")
            % {"tables": ", ".join(differ)}
        )
    return Summary(
        tables=len(counts),
        rows=sum(counts.values()),
        files=len(manifest["files"]),
        bytes=archive.stat().st_size,
        seconds=(timezone.now() - started).total_seconds(),
    )


def default_archive_name(now: datetime.datetime | None = None) -> str:
    moment = timezone.localtime(now or timezone.now())
    return f"digitalesamt-{moment:%Y-%m-%d-%H%M%S}.tar"
