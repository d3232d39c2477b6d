from django.db import migrations, models

VISIBILITY = [("internal", "Internal (staff only)"), ("public", "Public (customers too)")]


def merge_duplicate_api_sources(apps, schema_editor):
    """Before the unique constraint: fold documents a concurrent upsert duplicated into the oldest one."""
    Document = apps.get_model("knowledge", "Document")
    Chunk = apps.get_model("knowledge", "Chunk")
    sources = (
        Document.objects.filter(source="api")
        .values("external_id")
        .annotate(n=models.Count("id"))
        .filter(n__gt=1)
        .values_list("external_id", flat=True)
    )
    for source in list(sources):
        keeper, *duplicates = Document.objects.filter(source="api", external_id=source).order_by("id")
        known = set(Chunk.objects.filter(document=keeper).values_list("sha256", flat=True))
        for duplicate in duplicates:
            Chunk.objects.filter(document=duplicate, sha256__in=known).delete()
            known |= set(Chunk.objects.filter(document=duplicate).values_list("sha256", flat=True))
            Chunk.objects.filter(document=duplicate).update(document=keeper)
            duplicate.delete()
        keeper.chunks_total = Chunk.objects.filter(document=keeper).count()
        keeper.save(update_fields=["chunks_total"])


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="chunk",
            name="visibility",
            field=models.CharField(choices=VISIBILITY, default="internal", max_length=10),
        ),
        migrations.AddField(
            model_name="document",
            name="visibility",
            field=models.CharField(choices=VISIBILITY, default="internal", max_length=10),
        ),
        migrations.RunPython(merge_duplicate_api_sources, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="document",
            constraint=models.UniqueConstraint(
                condition=models.Q(("source", "api")), fields=("external_id",), name="knowledge_document_api_source"
            ),
        ),
    ]
