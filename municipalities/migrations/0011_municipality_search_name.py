from django.db import migrations, models

from municipalities.search import normalize


def fill_search_names(apps, schema_editor):
    Municipality = apps.get_model("municipalities", "Municipality")
    rows = list(Municipality.objects.only("pk", "name"))
    for row in rows:
        row.search_name = normalize(row.name)
    Municipality.objects.bulk_update(rows, ["search_name"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("municipalities", "0010_postal_codes_bayernportal"),
    ]

    operations = [
        migrations.AddField(
            model_name="municipality",
            name="search_name",
            field=models.CharField(
                blank=True,
                db_index=True,
                editable=False,
                max_length=120,
                verbose_name="Name für die Suche",
            ),
        ),
        migrations.RunPython(fill_search_names, migrations.RunPython.noop, elidable=True),
    ]
