"""The providers' inbound webhooks (django-anymail) this deployment serves: those its settings configure.

anymail's own URL list holds every provider's inbound and tracking webhook. A view whose provider is not
configured (its key missing, boto3 absent for Amazon SES) fails every request with a server error, so only the
inbound webhooks whose view builds with the settings are mounted; the others answer 404. Tracking webhooks are
not mounted: nothing here reads delivery events (bounces arrive as mail).
"""

from __future__ import annotations

from anymail.urls import urlpatterns as anymail_urlpatterns
from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern, URLResolver

app_name = "anymail"


def _configured_inbound(pattern: URLPattern | URLResolver) -> bool:
    if not isinstance(pattern, URLPattern) or not (pattern.name or "").endswith("_inbound_webhook"):
        return False
    view_class = getattr(pattern.callback, "view_class", None)
    if view_class is None:
        return False
    try:
        view_class(**getattr(pattern.callback, "view_initkwargs", {}))  # anymail reads its settings here
    except ImproperlyConfigured:  # a missing key, or AnymailImproperlyInstalled (a package missing)
        return False
    return True


urlpatterns = [pattern for pattern in anymail_urlpatterns if _configured_inbound(pattern)]
