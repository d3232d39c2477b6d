import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from helpdesk.env import env_bool, env_choice, env_int, env_list, env_str, env_url


def test_readers_parse_good_values(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    environ = {"A": "yes", "B": "42", "C": "a, b,,c", "D_FILE": str(secret), "E": "redis://x:1/0"}
    assert env_bool("A", False, environ) is True
    assert env_int("B", 0, environ, minimum=1, maximum=100) == 42
    assert env_list("C", [], environ) == ["a", "b", "c"]
    assert env_str("D", "", environ) == "s3cret"
    assert env_url("E", "", {"redis"}, environ) == "redis://x:1/0"
    assert env_int("MISSING", 7, environ) == 7


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda e: env_bool("X", False, e), "is not a boolean"),
        (lambda e: env_int("X", 0, e), "is not an integer"),
        (lambda e: env_int("N", 0, e, minimum=100), "below the minimum"),
        (lambda e: env_choice("X", "a", {"a", "b"}, e), "must be one of a, b"),
        (lambda e: env_url("X", "", {"redis"}, e), "must start with one of redis://"),
        (lambda e: env_str("F", "", e), "cannot be read"),
    ],
)
def test_readers_fail_loudly_naming_the_variable(call, message):
    environ = {"X": "maybe", "N": "5", "F_FILE": "/nonexistent/secret"}
    with pytest.raises(ImproperlyConfigured, match=message):
        call(environ)


def _import_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE"}}
    return subprocess.run(
        [sys.executable, "-c", "import helpdesk.settings"],
        env={**clean, "ENV_FILE": "/nonexistent/.env", **env},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )


def test_secret_key_is_required_when_debug_is_off():
    # With its own database (a deployment); the embedded setup of `make run` generates one into var/.
    result = _import_settings(DEBUG="0", DATABASE_URL="postgresql://helpdesk:x@db:5432/helpdesk")
    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_dev_secret_key_is_generated_once_into_var(tmp_path):
    assert _import_settings(DEBUG="1", VAR_DIR=str(tmp_path)).returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) > 40
    assert _import_settings(DEBUG="1", VAR_DIR=str(tmp_path)).returncode == 0
    assert (tmp_path / "secret_key").read_text() == key


def test_env_file_is_read_and_the_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=1\nLOG_LEVEL=ERROR\n")
    probe = "import helpdesk.settings as s; print(s.DEBUG, s.LOG_LEVEL)"
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "LOG_LEVEL"}}
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env={**clean, "ENV_FILE": str(env_file), "VAR_DIR": str(tmp_path), "LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )
    assert result.stdout.split() == ["True", "WARNING"], result.stderr


def test_bad_database_url_stops_the_start_with_a_clear_error():
    result = _import_settings(DEBUG="1", DATABASE_URL="mysql://db/x")
    assert result.returncode != 0
    assert "DATABASE_URL must start with one of" in result.stderr


def test_env_example_lists_every_variable_the_settings_read():
    import re
    from pathlib import Path

    base = Path(settings.BASE_DIR)
    read = set()
    for path in [*(base / "helpdesk" / "settings").glob("*.py"), base / "helpdesk" / "devstack.py"]:
        read |= set(re.findall(r'env_\w+\(\s*"([A-Z_]+)"', path.read_text()))
        read |= set(re.findall(r'environ.get\("([A-Z_]+)"', path.read_text()))
    documented = set(re.findall(r"^#?\s*([A-Z_]+)=", (base / ".env.example").read_text(), flags=re.M))
    assert read - documented == set()
