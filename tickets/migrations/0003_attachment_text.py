# The search vector gains the attachments' text. Django cannot alter a generated column's
# expression, so the column (and its GIN index) is dropped and added again.

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0002_trust_contact_claims_link_version_lasting_audit"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="attachment_text",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.RemoveIndex(model_name="ticket", name="ticket_search_gin"),
        migrations.RemoveField(model_name="ticket", name="search_vector"),
        migrations.AddField(
            model_name="ticket",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.contrib.postgres.search.CombinedSearchVector(
                    django.contrib.postgres.search.CombinedSearchVector(
                        django.contrib.postgres.search.SearchVector("subject", config="english", weight="A"),
                        "||",
                        django.contrib.postgres.search.SearchVector("description", config="english", weight="B"),
                        django.contrib.postgres.search.SearchConfig("english"),
                    ),
                    "||",
                    django.contrib.postgres.search.SearchVector("attachment_text", config="english", weight="C"),
                    django.contrib.postgres.search.SearchConfig("english"),
                ),
                output_field=django.contrib.postgres.search.SearchVectorField(),
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=django.contrib.postgres.indexes.GinIndex(fields=["search_vector"], name="ticket_search_gin"),
        ),
    ]
