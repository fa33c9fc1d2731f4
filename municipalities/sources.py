"""The federal dashboard's records as the second witness: which Kommune a record belongs to,
and storing them per Kommune (which links they confirm: `confirmation`).

The scope rule (README, "Evidence from the source"):

- a record whose `ars` is the Kommune's own is that Kommune's kommunal procedure;
- a record at the Land's ARS (LAND_ARS) that is "landesweit flächendeckend" is a central
  procedure of the Freistaat (SourceRecord without a Kommune), which any Bavarian Kommune can
  link with scope zentral; other records at LAND_ARS are not stored;
- a record of another Kommune of the register (the Landkreis above a Gemeinde, fetched with
  `includeAbove`) is stored under that Kommune and never counts for the one fetched.
Records of other Länder, records at an ARS outside the register and records without a valid
LeiKa key or URL are left out and counted.

A Kommune's own records are replaced in one transaction with its SourceSync, so a failure keeps
the old ones; central and higher Kommunen's records are added or refreshed (never duplicated)
once per run. What the clerk maintains (ProcedureLink) is never written. A run, finished or
interrupted, stores today's count of each Kommune it synced (`history.record_counts`).
"""

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.text import Truncator

from digitalesamt.lib.dashboard import DashboardClient, DashboardError

from . import history
from .constants import LAND_ARS, SourceCoverage
from .models import Municipality, SourceRecord, SourceSync
from .validation import LEIKA_PATTERN, clean_procedure_url, url_key

BAVARIA = "09"
COVERAGE = {str(label): value for value, label in SourceCoverage.choices}
# Stored and compared: a record whose fields are all the same is unchanged.
RECORD_FIELDS = (
    "ars",
    "leika_key",
    "url_key",
    "url",
    "leika_name",
    "ozg_id",
    "ozg_name",
    "online",
    "active",
    "coverage",
)
# What a record's stored fields are made of.
SOURCE_FIELDS = (
    "ars",
    "leika_key",
    "leika_name",
    "leika_bezeichnung",
    "ozgid",
    "ozg_bezeichnung",
    "url",
    "online_status",
    "aktiv",
    "art_flaechendeckung",
)
NAME_LENGTH = 500
ERROR_LENGTH = 300


def _text(value: object, length: int = NAME_LENGTH) -> str:
    return "" if value is None else str(value).strip()[:length]


def map_record(raw: dict) -> dict | None:
    """Return a record's fields as stored (RECORD_FIELDS), or None if it cannot be stored."""
    leika_key = _text(raw.get("leika_key"))
    if not LEIKA_PATTERN.match(leika_key):
        return None
    try:
        url = clean_procedure_url(_text(raw.get("url"), 2000))
    except ValidationError:
        return None
    try:
        ozg_id = int(raw["ozgid"]) if raw.get("ozgid") not in (None, "") else None
    except (TypeError, ValueError):
        ozg_id = None
    if ozg_id is not None and ozg_id < 0:
        ozg_id = None
    return {
        "ars": _text(raw.get("ars"), 12),
        "leika_key": leika_key,
        "url_key": url_key(url),
        "url": url,
        "leika_name": _text(raw.get("leika_name") or raw.get("leika_bezeichnung")),
        "ozg_id": ozg_id,
        "ozg_name": _text(raw.get("ozg_bezeichnung")),
        "online": _text(raw.get("online_status")).lower() == "ok",
        "active": _text(raw.get("aktiv")).lower() != "nein",
        "coverage": COVERAGE.get(_text(raw.get("art_flaechendeckung")), ""),
    }


def is_bavarian(raw: dict) -> bool:
    ars = _text(raw.get("ars"), 12)
    state = _text(raw.get("ars_federal_state"), 2) or ars[:2]
    return state == BAVARIA and ars.startswith(BAVARIA)


def _stamp(municipality: Municipality, **fields: object) -> None:
    """Set these fields of the Kommune's SourceSync, creating it if need be: one statement
    (an upsert on the one-to-one key), not update_or_create's select, savepoint and write."""
    SourceSync.objects.bulk_create(
        [SourceSync(municipality=municipality, **fields)],
        update_conflicts=True,
        unique_fields=["municipality"],
        update_fields=list(fields),
    )


@dataclass
class SyncSummary:
    """What a run did; the command prints it."""

    synced: int = 0  # Kommunen whose records were stored
    records: int = 0  # their own records
    changed: int = 0  # Kommunen whose records differ from before
    failed: int = 0
    fresh: int = 0  # skipped: synced recently (resume)
    central: int = 0  # central records added or refreshed
    above: int = 0  # records stored under a higher Kommune (the Landkreis)
    other_laender: int = 0
    outside: int = 0  # at an ARS outside the register, or at LAND_ARS not land-wide
    invalid: int = 0  # without a valid LeiKa key or URL
    errors: list[tuple[str, str]] = field(default_factory=list)


Progress = Callable[[int, int, Municipality, str, str], None]


class SourceSyncer:
    """Stores fetched records Kommune by Kommune; one instance is one run."""

    def __init__(self, *, progress: Progress | None = None) -> None:
        self.started = timezone.now()
        self.summary = SyncSummary()
        self.progress = progress
        self.register: dict[str, int] = dict(Municipality.objects.values_list("ars", "pk"))
        self.central_seen: set[tuple[str, str]] = set()
        self.above_seen: set[tuple[int, str, str]] = set()
        self.done: set[int] = set()  # Kommunen synced in this run
        self.mapped: dict[tuple[str, ...], dict | None] = {}  # records of other ARS, mapped

    # --- which Kommunen ---

    def stale(self, municipalities: QuerySet, *, retry_failed: bool = True) -> QuerySet:
        """Leave out the Kommunen synced within OZG_SYNC_FRESH_HOURS (to resume a run).

        Without `retry_failed` also those tried and failed within that time (the nightly
        task, which must come to an end).
        """
        fresh_since = self.started - timedelta(hours=settings.OZG_SYNC_FRESH_HOURS)
        stale = municipalities.exclude(source_sync__synced_at__gte=fresh_since)
        if not retry_failed:
            stale = stale.exclude(source_sync__attempted_at__gte=fresh_since)
        return stale

    # --- a run ---

    def sync_from_source(
        self, municipalities: Iterable[Municipality], client: DashboardClient | None = None
    ) -> SyncSummary:
        """Fetch and store each Kommune's records from the API, one Kommune at a time.

        The next Kommune is fetched while this one is stored (one request at a time still, with
        the politeness delay between): at most two Kommunen's records are held at once.
        """
        client = client or DashboardClient()
        municipalities = list(municipalities)
        language = translation.get_language()

        def fetch(ars: str) -> list[dict]:
            with translation.override(language):
                return [raw for page in client.pages(ars) for raw in page.content]

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="source-fetch") as pool:
            ahead = pool.submit(fetch, municipalities[0].ars) if municipalities else None
            try:
                for index, municipality in enumerate(municipalities, 1):
                    current = ahead
                    if index < len(municipalities):
                        ahead = pool.submit(fetch, municipalities[index].ars)
                    try:
                        fetched = current.result()
                    except DashboardError as error:
                        self.fail(municipality, str(error), index, len(municipalities))
                        continue
                    self.store(municipality, fetched, index, len(municipalities))
            except BaseException:  # interrupted: fetch no further
                if ahead is not None:
                    ahead.cancel()
                raise
            finally:
                self.record_counts()
        return self.summary

    def sync_from_file(self, records: Iterable[dict], only: set[str] | None = None) -> SyncSummary:
        """Store records read from a file: every Kommune of the register the file holds.

        `only` limits the run to these ARS; the central records are stored in any case.
        """
        groups: dict[str, list[dict]] = {}
        for raw in records:
            if not is_bavarian(raw):
                self.summary.other_laender += 1
                continue
            groups.setdefault(_text(raw.get("ars"), 12), []).append(raw)
        chosen = sorted(ars for ars in groups if ars in self.register)
        if only is not None:
            chosen = sorted(only)
        # Central records, and those of Kommunen not synced themselves (the Landkreis above a
        # named Gemeinde), go along with the first Kommune: stored once, by the scope rule.
        shared = [raw for ars in set(groups) - set(chosen) for raw in groups[ars]]
        municipalities = {m.ars: m for m in Municipality.objects.filter(ars__in=chosen)}
        if not chosen:
            self.store_shared(shared)
        try:
            for index, ars in enumerate(chosen, 1):
                self.store(municipalities[ars], groups.get(ars, []) + shared, index, len(chosen))
                shared = []
        finally:
            self.record_counts()
        return self.summary

    def record_counts(self) -> None:
        """Store today's count of the Kommunen synced so far (the count history)."""
        if self.done:
            history.record_counts(municipality_ids=self.done)

    # --- one Kommune ---

    def store(
        self, municipality: Municipality, fetched: list[dict], index: int = 1, total: int = 1
    ) -> None:
        """Replace the Kommune's own records with the fetched ones, in one transaction."""
        own_records, above, central = self._classify(municipality.ars, fetched)
        own: dict[tuple[str, str], dict] = {}
        for record in own_records:
            own.setdefault((record["url_key"], record["leika_key"]), record)
        now = timezone.now()
        try:
            with transaction.atomic():
                changed = self._replace(municipality, list(own.values()), now)
                self._store_shared(above, central, now)
                _stamp(municipality, synced_at=now, records=len(own), error="", attempted_at=now)
        except DatabaseError as error:
            self.fail(municipality, f"{type(error).__name__}: {error}", index, total)
            return
        self.done.add(municipality.pk)
        self.summary.synced += 1
        self.summary.records += len(own)
        self.summary.changed += changed
        if self.progress:
            self.progress(index, total, municipality, "ok", str(len(own)))

    def store_shared(self, fetched: list[dict]) -> None:
        """Store records of no Kommune being synced: central ones and higher Kommunen's."""
        _own, above, central = self._classify(None, fetched)
        with transaction.atomic():
            self._store_shared(above, central)

    def _classify(
        self, ars: str | None, fetched: list[dict]
    ) -> tuple[list[dict], list[tuple[int, dict]], list[dict]]:
        """Sort fetched records by the scope rule: the Kommune's own, higher ones', central."""
        own: list[dict] = []
        above: list[tuple[int, dict]] = []
        central: list[dict] = []
        for raw in fetched:
            if not is_bavarian(raw):
                self.summary.other_laender += 1
                continue
            if raw.get("ars") == ars:
                record = map_record(raw)
            else:
                # Every fetch repeats the Land's and the Landkreis' records: map each once.
                key = tuple(str(raw.get(name, "")) for name in SOURCE_FIELDS)
                if key not in self.mapped:
                    self.mapped[key] = map_record(raw)
                record = self.mapped[key]
            if record is None:
                self.summary.invalid += 1
            elif record["ars"] == ars:
                own.append(record)
            elif record["ars"] == LAND_ARS:
                if record["coverage"] == SourceCoverage.LAND:
                    central.append(record)
                else:
                    self.summary.outside += 1
            elif record["ars"] in self.register:
                above.append((self.register[record["ars"]], record))
            else:
                self.summary.outside += 1
        return own, above, central

    def fail(self, municipality: Municipality, message: str, index: int, total: int) -> None:
        """Keep the Kommune's old records; note the error and when it was tried."""
        message = Truncator(message).chars(ERROR_LENGTH)
        _stamp(municipality, error=message, attempted_at=timezone.now())
        self.summary.failed += 1
        self.summary.errors.append((municipality.ars, message))
        if self.progress:
            self.progress(index, total, municipality, "error", message)

    def _replace(self, municipality: Municipality, records: list[dict], now: datetime) -> bool:
        """Store the Kommune's records unless they are the same; return whether they changed."""
        stored = municipality.source_records.all()
        before = set(stored.values_list(*RECORD_FIELDS))
        after = {tuple(record[name] for name in RECORD_FIELDS) for record in records}
        if before == after:
            stored.update(fetched_at=now)
            return False
        stored.delete()
        SourceRecord.objects.bulk_create(
            SourceRecord(municipality=municipality, fetched_at=now, **record) for record in records
        )
        return True

    def _store_shared(
        self,
        above: list[tuple[int, dict]],
        central: list[dict],
        now: datetime | None = None,
    ) -> None:
        """Add or refresh central records and those of higher Kommunen, each once per run."""
        now = now or timezone.now()
        new_central = {}
        for record in central:
            key = (record["url_key"], record["leika_key"])
            if key not in self.central_seen:
                new_central.setdefault(key, record)
        if new_central:
            self._upsert(None, new_central, now)
            self.central_seen.update(new_central)
            self.summary.central += len(new_central)
        by_kommune: dict[int, dict] = {}
        for pk, record in above:
            key = (record["url_key"], record["leika_key"])
            # A Kommune synced in this run has its own, complete list already.
            if pk in self.done or (pk, *key) in self.above_seen:
                continue
            by_kommune.setdefault(pk, {}).setdefault(key, record)
        for pk, records in by_kommune.items():
            self._upsert(pk, records, now)
            self.above_seen.update((pk, *key) for key in records)
            self.summary.above += len(records)

    def _upsert(self, municipality_id: int | None, records: dict, now: datetime) -> None:
        """Update the stored records of these keys and create the missing ones (2-3 queries)."""
        scope = SourceRecord.objects.filter(
            Q(municipality__isnull=True)
            if municipality_id is None
            else Q(municipality_id=municipality_id)
        )
        existing = {
            (row.url_key, row.leika_key): row
            for row in scope.filter(
                url_key__in={key[0] for key in records},
                leika_key__in={key[1] for key in records},
            )
        }
        changed, new = [], []
        for key, record in records.items():
            row = existing.get(key)
            if row is None:
                new.append(SourceRecord(municipality_id=municipality_id, fetched_at=now, **record))
                continue
            for name, value in record.items():
                setattr(row, name, value)
            row.fetched_at = now
            changed.append(row)
        if changed:
            SourceRecord.objects.bulk_update(changed, [*RECORD_FIELDS, "fetched_at"])
        if new:
            SourceRecord.objects.bulk_create(new)

    def drop_stale_central(self) -> int:
        """After a complete run from the API: delete central records the source no longer has."""
        if not self.central_seen or self.summary.failed:
            return 0
        stale = SourceRecord.objects.filter(municipality__isnull=True, fetched_at__lt=self.started)
        return stale.delete()[0]
