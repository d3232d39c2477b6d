"""Settings for the test suite: the regular settings with their own Redis and no manifest storage.

The test Redis port differs from `make run`'s so that a running dev worker never
takes the suite's tasks. PostgreSQL is shared: tests use their own database.
"""

import os

os.environ.setdefault("DEVSTACK_REDIS_PORT", "6391")
os.environ.setdefault("STATIC_MANIFEST", "0")
os.environ.setdefault("LOG_FORMAT", "text")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("LORA_EVAL_QUESTIONS", "2")  # LoRA evaluation compares two held-out answers, not eight
os.environ.setdefault("LLM_TIMEOUT_SECONDS", "180")  # a busy test machine must not turn answers extractive
os.environ.setdefault("LORA_THREADS", "1")  # one torch thread stays fast when the machine is busy
# Integrations: a fixed test key, and retries in fractions of a second so fault tests stay fast.
os.environ.setdefault("INTEGRATIONS_KEYS", "dGVzdC1vbmx5LWludGVncmF0aW9ucy1rZXktMDEyMzQ=")
os.environ.setdefault("INTEGRATIONS_RETRY_BASE_SECONDS", "0.2")
os.environ.setdefault("INTEGRATIONS_RETRY_MAX_SECONDS", "2")
os.environ.setdefault("INTEGRATIONS_TIMEOUT_SECONDS", "2")

from helpdesk.settings import *  # noqa: F403
from helpdesk.settings import ALLOWED_HOSTS, REST_FRAMEWORK

ALLOWED_HOSTS = [*ALLOWED_HOSTS, ".testserver", "testserver"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api": "1000/min"}}
WHITENOISE_USE_FINDERS = True  # serve static files without collectstatic
