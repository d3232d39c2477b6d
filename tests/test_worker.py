from io import StringIO

from django.core.management import call_command
from django_tenants.utils import tenant_context

from helpdesk.tenants.tasks import schema_probe


def test_task_runs_in_the_tenant_it_was_sent_from(acme, globex, celery_worker):
    with tenant_context(acme):
        acme_result = schema_probe.delay()
    with tenant_context(globex):
        globex_result = schema_probe.delay()
    assert acme_result.get(timeout=20) == "acme"
    assert globex_result.get(timeout=20) == "globex"


def test_check_worker_command_reports_the_schema(acme, celery_worker):
    out = StringIO()
    call_command("check_worker", "--tenant", "acme", stdout=out)
    assert "Worker ran the probe in acme" in out.getvalue()


def test_tasks_sent_on_commit_wait_for_the_commit(acme, django_capture_on_commit_callbacks):
    with tenant_context(acme), django_capture_on_commit_callbacks() as callbacks:
        schema_probe.delay_on_commit()
    assert len(callbacks) == 1
