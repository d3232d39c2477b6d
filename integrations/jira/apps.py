from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from integrations.registry import register_system


class JiraConfig(AppConfig):
    """Jira as an integration system: no models; it registers its spec with the integrations core."""

    name = "integrations.jira"
    label = "integrations_jira"
    verbose_name = _("Integrations: Jira")

    def ready(self) -> None:
        # reason: the spec names the system's form and transport, which import models (not loadable before ready())
        from integrations.jira.spec import SPEC

        register_system(SPEC)
