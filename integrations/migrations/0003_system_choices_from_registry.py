# The choices of Connection.system and ExternalRef.system come from the registered systems: no SQL.

from django.db import migrations, models

import integrations.registry


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0002_externalref_instance_and_missing"),
    ]

    operations = [
        migrations.AlterField(
            model_name="connection",
            name="system",
            field=models.CharField(choices=integrations.registry.system_choices, max_length=10, unique=True),
        ),
        migrations.AlterField(
            model_name="externalref",
            name="system",
            field=models.CharField(choices=integrations.registry.system_choices, max_length=10),
        ),
    ]
