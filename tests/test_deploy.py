"""No Docker engine runs here: check that the deployment files parse and point at real things."""

import shutil
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands

BASE = Path(settings.BASE_DIR)
COMPOSE = yaml.safe_load((BASE / "docker-compose.yml").read_text())
REQUIREMENTS = (BASE / "requirements.txt").read_text().lower()


def test_compose_has_every_service_with_a_healthcheck_and_volumes():
    services = COMPOSE["services"]
    assert {"db", "redis", "ollama", "web", "worker", "beat"} <= set(services)
    for name in ("db", "redis", "ollama", "web", "worker", "beat"):
        assert "healthcheck" in services[name], name
    assert {"db-data", "redis-data", "ollama-data", "app-data"} <= set(COMPOSE["volumes"])
    assert "pgvector" in services["db"]["image"]


@pytest.mark.parametrize("service", ["migrate", "web", "worker", "beat", "training"])
def test_each_app_service_runs_a_command_the_project_has(service):
    command = COMPOSE["services"][service]["command"]
    program = command[0]
    if program == "python":
        assert command[1] == "manage.py" and (BASE / "manage.py").exists()
        assert command[2] in get_commands(), command[2]
    elif program == "celery":
        assert command[1:3] == ["-A", "helpdesk"] and (BASE / "helpdesk" / "celery.py").exists()
        assert "celery==" in REQUIREMENTS
    elif program == "gunicorn":
        assert command[1] == "helpdesk.wsgi" and (BASE / "helpdesk" / "wsgi.py").exists()
        assert "gunicorn==" in REQUIREMENTS
    else:
        pytest.fail(f"unexpected program {program}")


def test_procfile_runs_web_worker_and_beat_with_installed_programs():
    entries = dict(line.split(": ", 1) for line in (BASE / "Procfile").read_text().splitlines() if line.strip())
    assert set(entries) == {"web", "worker", "beat", "training"}
    assert "manage.py runserver" in entries["web"]
    assert entries["worker"].startswith("celery -A helpdesk worker")
    assert entries["beat"].startswith("celery -A helpdesk beat")
    assert entries["training"].startswith("celery -A helpdesk worker -Q training")  # LoRA jobs, one at a time
    venv_bin = Path(shutil.which("celery") or BASE / ".venv" / "bin" / "celery")
    assert venv_bin.exists()


def test_dockerfile_installs_requirements_and_front_end_packages():
    dockerfile = (BASE / "Dockerfile").read_text()
    assert "pip install -r requirements.txt" in dockerfile
    assert "npm ci" in dockerfile
    assert "collectstatic" in dockerfile
