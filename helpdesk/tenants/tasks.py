from helpdesk.celery import app
from helpdesk.tenants.db import connection
from helpdesk.tenants.services import unsent_tasks_send


@app.task(name="tenants.schema_probe")
def schema_probe() -> str:
    """Answer with the schema the worker ran this task in (see `manage.py check_worker`)."""
    return str(connection.schema_name)


@app.task(name="tenants.send_unsent_tasks", ignore_result=True)
def send_unsent_tasks() -> int:
    """Beat, every JOBS_SWEEP_SECONDS: publish the tasks kept while the broker was down."""
    return unsent_tasks_send()
