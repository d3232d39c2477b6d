"""e5 vectors are now centred by a fixed mean vector (helpdesk.ai.e5_centre): centre the stored ones.

Centring is a function of the raw unit vector alone, so a stored raw e5 vector becomes exactly what
embedding its text now gives. A classifier trained on raw e5 vectors cannot read centred ones: it is
marked failed with the reason, to be retrained. Not reversible (the raw vectors are not kept).
"""

from django.db import migrations

BATCH = 500


def centre_e5_vectors(apps, schema_editor):
    # here, not at the top: a migration module is imported by every manage.py command
    import numpy as np

    from helpdesk.ai.e5_centre import centred

    for name in ("Row", "VersionRow"):
        model = apps.get_model("datasets", name)
        ids = list(
            model.objects.filter(embedding_model="e5", embedding__isnull=False)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for start in range(0, len(ids), BATCH):
            batch = list(model.objects.filter(pk__in=ids[start : start + BATCH]).only("pk", "embedding"))
            vectors = centred(np.array([row.embedding for row in batch], dtype=np.float32))
            for row, vector in zip(batch, vectors, strict=True):
                row.embedding = vector
            model.objects.bulk_update(batch, ["embedding"])
    apps.get_model("datasets", "Classifier").objects.filter(embedding_model="e5", status="ready").update(
        status="failed", error="The e5 vectors changed (now centred): retrain this classifier."
    )


class Migration(migrations.Migration):
    dependencies = [("datasets", "0004_row_vector_models")]

    operations = [migrations.RunPython(centre_e5_vectors, migrations.RunPython.noop, elidable=True)]
