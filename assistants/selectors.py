from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from assistants.models import Assistant, WidgetKey


def assistant_list() -> QuerySet[Assistant]:
    return Assistant.objects.annotate(request_type_count=Count("request_types"))


def assistant_get(pk: int) -> Assistant:
    """The assistant of the current tenant, or 404 (another tenant's id finds nothing in this schema)."""
    return get_object_or_404(Assistant.objects.prefetch_related("request_types"), pk=pk)


def assistant_default() -> Assistant | None:
    return Assistant.objects.filter(is_default=True).first() or Assistant.objects.order_by("pk").first()


def widget_key_get(*, assistant: Assistant, pk: int) -> WidgetKey:
    """A widget key of this assistant, or 404."""
    return get_object_or_404(WidgetKey, assistant=assistant, pk=pk)
