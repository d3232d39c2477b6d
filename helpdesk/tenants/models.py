from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from helpdesk.ai import MODEL_CHOICES


class Tenant(TenantMixin):
    """A customer company; its data lives in the PostgreSQL schema ``schema_name``.

    ``language`` is the language its customers write in; ``embedding_model`` the key of the embedding
    model its vectors come from (``helpdesk.ai.embed``), chosen from the language when the tenant is
    created (``helpdesk.tenants.services.embedding_model_for``) and changed only by a model switch
    (``knowledge.services.embedding_switch_start``), which re-embeds every stored vector first.
    """

    name: "models.CharField[str, str]" = models.CharField(max_length=200, verbose_name=_("name"))
    language: "models.CharField[str, str]" = models.CharField(
        max_length=10, choices=settings.TENANT_LANGUAGES, default="en", verbose_name=_("language")
    )
    # The interface languages its portal and widget offer visitors (codes of LANGUAGES); empty: all of them.
    # ``language`` is also the default language of its new users and customers.
    languages: "ArrayField[list[str], list[str]]" = ArrayField(
        models.CharField(max_length=10, choices=settings.LANGUAGES),
        default=list,
        blank=True,
        verbose_name=_("interface languages"),
        help_text=_("The languages the portal and the widget offer visitors; empty: all of them."),
    )
    embedding_model: "models.CharField[str, str]" = models.CharField(
        max_length=20, choices=MODEL_CHOICES, default="minilm", verbose_name=_("embedding model")
    )
    created_at: "models.DateTimeField[object, object]" = models.DateTimeField(
        auto_now_add=True, verbose_name=_("created at")
    )

    auto_create_schema = True

    class Meta:
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")
        ordering = ["schema_name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.schema_name})"


class Domain(DomainMixin):
    """A host name that resolves to a tenant, such as ``acme.localhost``."""

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class UnsentTask(models.Model):
    """A Celery task that could not be handed to the broker (it was down), kept until beat publishes it.

    Only work without a row of its own is kept here (mail, for one); queued rows have their sweepers.
    The table lives in the public schema; ``schema_name`` is the tenant the task runs in.
    """

    schema_name: "models.CharField[str, str]" = models.CharField(max_length=63, verbose_name=_("schema name"))
    name: "models.CharField[str, str]" = models.CharField(max_length=200, verbose_name=_("name"))
    args: "models.JSONField[object, object]" = models.JSONField(default=list, verbose_name=_("arguments"))
    kwargs: "models.JSONField[object, object]" = models.JSONField(default=dict, verbose_name=_("keyword arguments"))
    created_at: "models.DateTimeField[object, object]" = models.DateTimeField(
        auto_now_add=True, verbose_name=_("created at")
    )

    class Meta:
        verbose_name = _("unsent task")
        verbose_name_plural = _("unsent tasks")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.schema_name})"
