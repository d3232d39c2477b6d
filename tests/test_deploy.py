"""No Docker engine runs here: check that the deployment files parse and point at real things."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands

BASE = Path(settings.BASE_DIR)
COMPOSE = yaml.safe_load((BASE / "docker-compose.yml").read_text())
REQUIREMENTS = (BASE / "requirements.txt").read_text().lower()


def test_screenshot_analysis_has_its_own_worker_in_compose():
    command = COMPOSE["services"]["vision"]["command"]
    assert command[command.index("-Q") + 1] == settings.VISION_QUEUE and "--concurrency=1" in command
    assert "-Q" not in COMPOSE["services"]["worker"]["command"]  # the default worker takes the default queue only


def test_webhook_deliveries_have_their_own_queue_and_worker():
    """A receiver that answers slowly holds a webhooks thread, never the default worker's mail and escalations."""
    from helpdesk.celery import queue_for
    from integrations.tasks import webhook_deliver

    assert queue_for(webhook_deliver.name) == settings.WEBHOOKS_QUEUE != "celery"
    assert queue_for("helpdesk.send_email") == "celery"
    command = COMPOSE["services"]["webhooks"]["command"]
    assert command[command.index("-Q") + 1] == settings.WEBHOOKS_QUEUE and "--pool=threads" in command
    entry = _procfile("Procfile")["webhooks"]
    assert "-Q ${WEBHOOKS_QUEUE:-webhooks}" in entry and "--pool=threads" in entry


def test_compose_has_every_service_with_a_healthcheck_and_volumes():
    services = COMPOSE["services"]
    assert {"db", "redis", "ollama", "web", "worker", "beat"} <= set(services)
    for name in ("db", "redis", "ollama", "web", "worker", "beat"):
        assert "healthcheck" in services[name], name
    assert {"db-data", "redis-data", "ollama-data", "app-data"} <= set(COMPOSE["volumes"])
    assert "pgvector" in services["db"]["image"]


@pytest.mark.parametrize("service", ["migrate", "web", "worker", "beat", "training", "vision", "webhooks"])
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
        assert command[1:] == ["--config", "gunicorn.conf.py"] and (BASE / "gunicorn.conf.py").exists()
        assert "gunicorn==" in REQUIREMENTS
    else:
        pytest.fail(f"unexpected program {program}")


def _procfile(name: str) -> dict[str, str]:
    """The Procfile's commands by process, without the `env …` and `nice -n N` in front of background work."""
    entries = dict(line.split(": ", 1) for line in (BASE / name).read_text().splitlines() if line.strip())
    return {process: re.sub(r"^(env (\w+=\S+ )+)?nice -n \d+ ", "", command) for process, command in entries.items()}


def test_background_workers_yield_the_cpu_to_the_web_server():
    raw = dict(line.split(": ", 1) for line in (BASE / "Procfile").read_text().splitlines() if line.strip())
    assert not raw["web"].startswith("nice")
    for process in ("worker", "training", "vision", "webhooks"):
        assert re.match(r"(env (\w+=\S+ )+)?nice -n [1-9]\d* celery ", raw[process]), raw[process]
    # Screenshots are read on one core by default, so that a flood of them leaves the other to the web server.
    assert raw["vision"].startswith("env VISION_OCR_THREADS=${VISION_OCR_THREADS:-1} ")


def test_procfile_runs_the_production_server_worker_and_beat_with_installed_programs():
    entries = _procfile("Procfile")
    assert set(entries) == {"web", "worker", "beat", "training", "vision", "webhooks", "mail-listener"}
    assert entries["mail-listener"] == "python manage.py mail_listen"  # idle while MAIL_LISTENER_PORT=0
    assert entries["web"] == "gunicorn --config gunicorn.conf.py"
    assert entries["training"].startswith("celery -A helpdesk worker -Q training")  # LoRA jobs, one at a time
    assert entries["vision"].startswith("celery -A helpdesk worker -Q ${VISION_QUEUE:-vision}")  # screenshots
    assert entries["vision"].endswith("--concurrency=1")
    assert "runserver" not in entries["web"]
    assert entries["worker"].startswith("celery -A helpdesk worker")
    assert entries["beat"].startswith("celery -A helpdesk beat")
    for program in ("celery", "gunicorn"):
        assert Path(shutil.which(program) or BASE / ".venv" / "bin" / program).exists()


def test_dev_procfile_differs_only_in_the_autoreloading_web_server():
    production, dev = _procfile("Procfile"), _procfile("Procfile.dev")
    assert dev["web"].startswith("python manage.py runserver")
    assert {k: v for k, v in dev.items() if k != "web"} == {k: v for k, v in production.items() if k != "web"}


def test_image_and_compose_serve_with_the_same_server_config_as_make_run():
    dockerfile = (BASE / "Dockerfile").read_text()
    assert 'CMD ["gunicorn", "--config", "gunicorn.conf.py"]' in dockerfile
    assert COMPOSE["services"]["web"]["command"] == ["gunicorn", "--config", "gunicorn.conf.py"]


def test_docker_build_context_leaves_out_local_state_and_secrets():
    ignored = {line.strip().rstrip("/") for line in (BASE / ".dockerignore").read_text().splitlines()}
    assert {"var", ".venv", ".env", "node_modules", ".git"} <= ignored


def test_dockerfile_installs_requirements_and_front_end_packages():
    dockerfile = (BASE / "Dockerfile").read_text()
    assert "pip install -r requirements.txt" in dockerfile
    assert "npm ci" in dockerfile
    assert "collectstatic" in dockerfile


PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "k3P9-production-like-secret-that-is-long-and-random-enough-4f7a1c9e2b",
    "DATABASE_URL": "postgresql://helpdesk:secret@db:5432/helpdesk",
    "REDIS_URL": "redis://redis:6379/0",
    "ALLOWED_HOSTS": ".help.example.com",
    "BEHIND_TLS_PROXY": "1",
    "PROXY_COUNT": "1",
    "SECURE_COOKIES": "1",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "METRICS_TOKEN": "a-long-random-token-for-the-scraper",
}


def _manage_with(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(BASE)), "ENV_FILE": "/nonexistent/.env"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE,
        env={**clean, "LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "helpdesk.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_checks_pass_with_production_settings():
    result = _manage_with(PRODUCTION_ENV, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_checks_catch_what_a_production_setup_forgot():
    forgot = {**PRODUCTION_ENV, "SECURE_COOKIES": "0", "SECURE_HSTS_SECONDS": "0"}
    result = _manage_with(forgot, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    for check in ("security.W004", "security.W012", "security.W016"):
        assert check in result.stderr, result.stderr


def test_a_deployment_with_its_own_database_must_bring_a_secret_key():
    without_key = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = _manage_with(without_key, "check")
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_a_proxy_that_proxy_count_leaves_out_is_warned_about_at_startup_and_in_deploy_checks():
    unset = {k: v for k, v in PRODUCTION_ENV.items() if k != "PROXY_COUNT"}
    for args in (("check",), ("check", "--deploy")):  # `check` is what migrate and the dev server run first
        result = _manage_with(unset, *args)
        assert "helpdesk.W030" in result.stderr, result.stderr
        assert "BEHIND_TLS_PROXY is on but PROXY_COUNT is 0" in result.stderr
        assert "anyone can lock any user out" in result.stderr
    plain_http = {k: v for k, v in unset.items() if k != "BEHIND_TLS_PROXY"}
    result = _manage_with(plain_http, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0 and "helpdesk.W031" in result.stderr, result.stderr
    assert "If a reverse proxy is in front, every client then has the proxy's address" in result.stderr
