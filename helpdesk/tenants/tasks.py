from helpdesk.celery import app
from helpdesk.tenants.db import connection


@app.task(name="tenants.schema_probe")
def schema_probe() -> str:
    """Answer with the schema the worker ran this task in (see `manage.py check_worker`)."""
    return str(connection.schema_name)
