"""Every tenant starts with the default screenshot labels (seed 002's categories)."""

from django.db import migrations


def seed(apps, schema_editor):
    from assistants.vision.defaults import DEFAULT_LABELS

    ScreenshotLabel = apps.get_model("vision", "ScreenshotLabel")
    if ScreenshotLabel.objects.exists():
        return
    ScreenshotLabel.objects.bulk_create(
        ScreenshotLabel(
            name=label["name"],
            title=label["title"],
            description=label["description"],
            examples="\n".join(label["examples"]),
            is_fallback=label["is_fallback"],
            position=position,
        )
        for position, label in enumerate(DEFAULT_LABELS)
    )


class Migration(migrations.Migration):
    dependencies = [("vision", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
