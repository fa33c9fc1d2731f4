"""Indexes that serve the lists of procedure links at full size (500,000 links).

- The plain index on the Kommune goes: the unique (Kommune, url_key), (Kommune, active) and
  (Kommune, title, id) start with it and serve every lookup by Kommune; every imported row
  paid for a copy more. (Kommune, active) stays as the counting rule's covering index: a
  partial index of the active links would serve PostgreSQL, but SQLite cannot use one for
  `active = ?` with the value bound as a parameter, as Django binds it.
- (Kommune, title, id): a Kommune's list in the portal, read in its order a page at a time.
- (title, id): the admin's list of every link in its default order, without sorting 500,000.
- On PostgreSQL only, trigram indexes (pg_trgm) on UPPER(title) and UPPER(url): the admin's
  search is Django's `UPPER(col::text) LIKE UPPER('%term%')`, which a btree cannot serve. They
  are not in the models' state (SQLite has no GIN); TRIGRAM_INDEXES below names them.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

import django.db.models.deletion

TABLE = "municipalities_procedurelink"
TRIGRAM_INDEXES = {"procedure_link_title_trgm": "title", "procedure_link_url_trgm": "url"}


def add_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {TABLE} "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("municipalities", "0011_municipality_search_name"),
    ]

    operations = [
        migrations.AlterField(
            model_name="procedurelink",
            name="municipality",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="procedure_links",
                to="municipalities.municipality",
                verbose_name="Kommune",
            ),
        ),
        migrations.AddIndex(
            model_name="procedurelink",
            index=models.Index(
                fields=["municipality", "title", "id"], name="procedure_link_own_title"
            ),
        ),
        migrations.AddIndex(
            model_name="procedurelink",
            index=models.Index(fields=["title", "id"], name="procedure_link_title"),
        ),
        # Does nothing on any other database than PostgreSQL.
        TrigramExtension(),
        migrations.RunPython(add_trigram_indexes, drop_trigram_indexes, elidable=False),
    ]
