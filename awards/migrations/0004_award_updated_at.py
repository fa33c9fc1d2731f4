import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("awards", "0003_application_review"),
    ]

    operations = [
        migrations.AddField(
            model_name="award",
            name="updated_at",
            field=models.DateTimeField(
                auto_now=True,
                db_index=True,
                default=django.utils.timezone.now,
                verbose_name="geändert am",
            ),
            preserve_default=False,
        ),
    ]
