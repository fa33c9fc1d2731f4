from django.db import migrations

# The programme's published rule: 50 online procedures; Bezirke offer fewer services and need 30.
DEFAULTS = {
    "gemeinde": 50,
    "markt": 50,
    "stadt": 50,
    "grosse_kreisstadt": 50,
    "kreisfreie_stadt": 50,
    "vg": 50,
    "landkreis": 50,
    "bezirk": 30,
}


def add_thresholds(apps, schema_editor):
    Threshold = apps.get_model("municipalities", "Threshold")
    for kind, minimum in DEFAULTS.items():
        Threshold.objects.get_or_create(kind=kind, defaults={"minimum": minimum})


def remove_thresholds(apps, schema_editor):
    apps.get_model("municipalities", "Threshold").objects.filter(kind__in=DEFAULTS).delete()


class Migration(migrations.Migration):
    dependencies = [("municipalities", "0001_initial")]

    operations = [migrations.RunPython(add_thresholds, remove_thresholds)]
