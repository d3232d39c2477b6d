"""Writes on tenants and their domains. Every function is idempotent."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django_tenants.utils import schema_context

from helpdesk.celery import BROKER_ERRORS, app
from helpdesk.tenants.db import connection
from helpdesk.tenants.models import Domain, Tenant, UnsentTask

# Run inside a tenant's schema each time tenant_create ensures it (new or existing), registered from the
# AppConfig.ready() of the apps that own per-tenant rows (accounts: the role groups and their permissions).
_tenant_setups: list[Callable[[], None]] = []


def tenant_setup_register(setup: Callable[[], None]) -> None:
    if setup not in _tenant_setups:
        _tenant_setups.append(setup)


# Stricter than PostgreSQL: schema names also appear in hosts, paths and file names.
SCHEMA_NAME = re.compile(r"^(?!pg_)[a-z][a-z0-9_]{1,62}$")


@dataclass(frozen=True)
class TenantResult:
    tenant: Tenant
    created: bool


def _domain_ensure(*, tenant: Tenant, domain: str, primary: bool) -> None:
    domain = domain.strip().lower()
    existing = Domain.objects.filter(domain=domain).select_related("tenant").first()
    if existing is not None and existing.tenant_id != tenant.pk:
        raise ValidationError({"domain": f"{domain!r} already belongs to tenant {existing.tenant.schema_name!r}"})
    if existing is None:
        Domain.objects.create(domain=domain, tenant=tenant, is_primary=primary)
    elif primary and not existing.is_primary:
        existing.is_primary = True
        existing.save(update_fields=["is_primary"])


def embedding_model_for(language: str) -> str:
    """The embedding model a new tenant of ``language`` starts with: English by EMBEDDING_MODEL_FOR_ENGLISH
    (MiniLM, see the settings for the measurement), every other language the multilingual e5."""
    if language == "en":
        return str(settings.EMBEDDING_MODEL_FOR_ENGLISH)
    return str(settings.EMBEDDING_MODEL_FOR_OTHER_LANGUAGES)


def _check_language(language: str) -> str:
    codes = [code for code, _ in settings.TENANT_LANGUAGES]
    if language not in codes:
        raise ValidationError({"language": f"Unknown language {language!r}; use one of: {', '.join(codes)}."})
    return language


def tenant_create(
    *, schema_name: str, name: str, domain: str | None = None, language: str | None = None
) -> TenantResult:
    """Create a tenant with its schema and roles, or update the name of an existing one.

    The domain defaults to ``<schema>.<TENANT_BASE_DOMAIN>``. A new tenant's language defaults to
    English and picks its embedding model (``embedding_model_for``). An existing tenant's language
    changes only its label: its vectors stay with their model until someone switches it (knowledge
    settings or ``manage.py kb_embedding_model``), which re-embeds them.
    """
    if language is not None:
        _check_language(language)
    schema_name = schema_name.strip().lower()
    if schema_name == settings.PUBLIC_SCHEMA_NAME:
        raise ValidationError({"schema_name": "'public' is the platform schema, not a tenant"})
    if not SCHEMA_NAME.match(schema_name):
        raise ValidationError(
            {"schema_name": f"{schema_name!r} is not a valid schema name (a-z first, then a-z, 0-9, _; 2-63)"}
        )
    domain = domain or f"{schema_name.replace('_', '-')}.{settings.TENANT_BASE_DOMAIN}"
    clash = Domain.objects.filter(domain=domain.lower()).exclude(tenant__schema_name=schema_name).first()
    if clash is not None:
        raise ValidationError({"domain": f"{domain!r} already belongs to tenant {clash.tenant.schema_name!r}"})
    tenant = Tenant.objects.filter(schema_name=schema_name).first()
    created = tenant is None
    if tenant is None:
        # Creating the schema runs the tenant migrations; it cannot share a transaction with them.
        language = language or "en"
        tenant = Tenant(
            schema_name=schema_name,
            name=name or schema_name,
            language=language,
            embedding_model=embedding_model_for(language),
        )
        tenant.save()
    else:
        changed = []
        if name and tenant.name != name:
            tenant.name = name
            changed.append("name")
        if language and tenant.language != language:
            tenant.language = language
            changed.append("language")
        if changed:
            tenant.save(update_fields=changed)
    with transaction.atomic():
        _domain_ensure(tenant=tenant, domain=domain, primary=not tenant.domains.exclude(domain=domain).exists())
    with schema_context(schema_name):
        for setup in _tenant_setups:
            setup()
    return TenantResult(tenant=tenant, created=created)


@transaction.atomic
def public_tenant_ensure() -> Tenant:
    """The row for the `public` schema with the public site's domains (landing page, platform admin)."""
    tenant, _ = Tenant.objects.get_or_create(
        schema_name=settings.PUBLIC_SCHEMA_NAME, defaults={"name": "Helpdesk platform"}
    )
    for index, domain in enumerate(settings.PUBLIC_DOMAINS):
        _domain_ensure(tenant=tenant, domain=domain, primary=index == 0)
    return tenant


def unsent_task_keep(*, name: str, args: list[object], kwargs: dict[str, object]) -> UnsentTask:
    """Keep a task the broker did not take, for the tenant the connection is on; beat publishes it later."""
    return UnsentTask.objects.create(schema_name=connection.schema_name, name=name, args=args, kwargs=kwargs)


def unsent_tasks_send(*, limit: int = 500) -> int:
    """Publish kept tasks, oldest first, each in its tenant's schema; stops at the first broker error.

    Returns how many were published (and deleted).
    """
    sent = 0
    for task in UnsentTask.objects.order_by("pk")[:limit]:
        try:
            with schema_context(task.schema_name):
                app.send_task(task.name, args=task.args, kwargs=task.kwargs, ignore_result=True)
        except BROKER_ERRORS:
            break
        UnsentTask.objects.filter(pk=task.pk).delete()
        sent += 1
    return sent
