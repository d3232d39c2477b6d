from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("datasets", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="upload",
            name="delimiter",
            field=models.CharField(blank=True, max_length=1),
        ),
    ]
