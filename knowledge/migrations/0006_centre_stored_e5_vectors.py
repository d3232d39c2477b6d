"""e5 vectors are now centred by a fixed mean vector (helpdesk.ai.e5_centre): centre the stored ones.

Centring is a function of the raw unit vector alone, so a stored raw e5 vector becomes exactly what
embedding its text now gives, without the model. Covers the chunks of e5 and the next vectors of a
running switch to e5. Not reversible (the raw vector is not kept).
"""

from django.db import migrations

BATCH = 500


def centre_e5_vectors(apps, schema_editor):
    # here, not at the top: a migration module is imported by every manage.py command
    import numpy as np

    from helpdesk.ai.e5_centre import centred

    Chunk = apps.get_model("knowledge", "Chunk")
    EmbeddingSwitch = apps.get_model("knowledge", "EmbeddingSwitch")
    fields = [("embedding", Chunk.objects.filter(embedding_model="e5"))]
    if EmbeddingSwitch.objects.filter(status="running", target_model="e5").exists():
        fields.append(("embedding_next", Chunk.objects.filter(embedding_next__isnull=False)))
    for field, chunks in fields:
        ids = list(chunks.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), BATCH):
            batch = list(Chunk.objects.filter(pk__in=ids[start : start + BATCH]).only("pk", field))
            vectors = centred(np.array([getattr(c, field) for c in batch], dtype=np.float32))
            for chunk, vector in zip(batch, vectors, strict=True):
                setattr(chunk, field, vector)
            Chunk.objects.bulk_update(batch, [field])


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0005_chunk_embedding_model_and_switch")]

    operations = [migrations.RunPython(centre_e5_vectors, migrations.RunPython.noop, elidable=True)]
