import django.db.models.deletion
import django_tenants.postgresql_backend.base
from django.db import migrations, models
from pgvector.django import VectorExtension


class Migration(migrations.Migration):
    """Tenants and domains, and the `vector` extension in `public` for every tenant schema.

    The extension lives here, in a shared-only app, so that it is created once in
    `public`; tenant apps that store embeddings depend on this migration.
    """

    initial = True

    dependencies: list[tuple[str, str]] = []

    operations = [
        VectorExtension(),
        migrations.CreateModel(
            name="Tenant",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "schema_name",
                    models.CharField(
                        db_index=True,
                        max_length=63,
                        unique=True,
                        validators=[django_tenants.postgresql_backend.base._check_schema_name],
                    ),
                ),
                ("name", models.CharField(max_length=200)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={"ordering": ["schema_name"]},
        ),
        migrations.CreateModel(
            name="Domain",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("domain", models.CharField(db_index=True, max_length=253, unique=True)),
                ("is_primary", models.BooleanField(db_index=True, default=True)),
                (
                    "tenant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="domains", to="tenants.tenant"
                    ),
                ),
            ],
            options={"ordering": ["domain"]},
        ),
    ]
