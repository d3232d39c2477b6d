"""Tenants that have the default screenshot labels get their Russian examples too (new tenants have them from 0002)."""

from django.db import migrations


def add_russian_examples(apps, schema_editor):
    from assistants.vision.defaults import RUSSIAN_EXAMPLES

    ScreenshotLabel = apps.get_model("vision", "ScreenshotLabel")
    for label in ScreenshotLabel.objects.filter(name__in=list(RUSSIAN_EXAMPLES)):
        present = {line.strip() for line in label.examples.splitlines()}
        missing = [line for line in RUSSIAN_EXAMPLES[label.name] if line not in present]
        if missing:
            label.examples = "\n".join([label.examples.rstrip("\n"), *missing]).strip("\n")
            label.save(update_fields=["examples"])


class Migration(migrations.Migration):
    dependencies = [("vision", "0002_default_labels")]

    operations = [migrations.RunPython(add_russian_examples, migrations.RunPython.noop)]
