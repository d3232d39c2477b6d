import django.utils.timezone
from django.db import migrations, models

# Existing files take the time of the message (or request) they came with, not the time of the
# migration: otherwise every tenant's whole history would count against today's upload allowance.
BACKFILL = """
UPDATE tickets_attachment AS a
SET created_at = COALESCE(
    (SELECT r.created_at FROM tickets_reply AS r WHERE r.id = a.reply_id),
    (SELECT t.created_at FROM tickets_ticket AS t WHERE t.id = a.ticket_id)
)
"""
# A subject with a line break stops every e-mail of its ticket (a header cannot hold one): put the
# subjects saved so far on one line, as the services now do on every save.
ONE_LINE_SUBJECTS = r"""
UPDATE tickets_ticket SET subject = btrim(regexp_replace(subject, '\s+', ' ', 'g'))
WHERE subject ~ '[\r\n\t\v\f]|\s\s|^\s|\s$'
"""


class Migration(migrations.Migration):
    dependencies = [("tickets", "0004_support_basics")]

    operations = [
        migrations.AddField(
            model_name="attachment",
            name="created_at",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="attachment",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.RunSQL(ONE_LINE_SUBJECTS, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="attachment",
            index=models.Index(fields=["created_at"], name="attachment_created"),
        ),
    ]
