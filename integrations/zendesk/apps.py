from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from integrations.registry import register_system


class ZendeskConfig(AppConfig):
    """Zendesk as an integration system: no models; it registers its spec with the integrations core."""

    name = "integrations.zendesk"
    label = "integrations_zendesk"
    verbose_name = _("Integrations: Zendesk")

    def ready(self) -> None:
        # reason: the spec names the system's form and transport, which import models (not loadable before ready())
        from integrations.zendesk.spec import SPEC

        register_system(SPEC)
