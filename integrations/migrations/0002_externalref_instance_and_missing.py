"""Links and escalations know the tracker site they were made for; links whether their issue went missing.

Existing links are filled with their connection's current address: that is the site they
were made on, since a connection could not move without breaking them before.
"""

from urllib.parse import urlsplit

from django.db import migrations, models


def _instance(base_url: str) -> str:
    # Same rule as integrations.models.instance_of, copied so that this migration never changes.
    parts = urlsplit(base_url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def fill_instance(apps, schema_editor):  # type: ignore[no-untyped-def]
    Connection = apps.get_model("integrations", "Connection")
    for name in ("ExternalRef", "OutboxItem"):
        model = apps.get_model("integrations", name)
        for conn in Connection.objects.all():
            model.objects.filter(connection=conn).update(instance=_instance(conn.base_url))


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="externalref",
            name="instance",
            field=models.CharField(
                default="",
                help_text="The tracker's address when the link was made (keys repeat across sites).",
                max_length=300,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="outboxitem",
            name="instance",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="externalref",
            name="missing_since",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="externalref",
            name="missing_reason",
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(fill_instance, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="externalref", name="ref_unique_key"),
        migrations.RemoveConstraint(model_name="externalref", name="ref_one_per_ticket"),
        migrations.RemoveConstraint(model_name="outboxitem", name="outbox_one_live_create"),
        migrations.AddConstraint(
            model_name="outboxitem",
            constraint=models.UniqueConstraint(
                condition=models.Q(("action", "create"), models.Q(("status", "failed"), _negated=True)),
                fields=("ticket", "connection", "instance"),
                name="outbox_one_live_create_instance",
            ),
        ),
        migrations.AddConstraint(
            model_name="externalref",
            constraint=models.UniqueConstraint(
                fields=("connection", "instance", "key"), name="ref_unique_instance_key"
            ),
        ),
        migrations.AddConstraint(
            model_name="externalref",
            constraint=models.UniqueConstraint(
                fields=("ticket", "connection", "instance"), name="ref_one_per_ticket_instance"
            ),
        ),
        migrations.AddIndex(
            model_name="externalref",
            index=models.Index(fields=["missing_since"], name="ref_missing"),
        ),
    ]
