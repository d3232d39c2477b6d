"""The ticket filters, shared by the queue page and the API so both answer the same question alike."""

from __future__ import annotations

import re
from datetime import UTC
from typing import Any

import django_filters as filters
from django.contrib.postgres.search import SearchQuery
from django.core.exceptions import ValidationError
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.utils.functional import Promise as StrOrPromise
from django.utils.translation import gettext_lazy as _

from tickets.models import SEARCH_CONFIG, UNRESOLVED, Priority, Status, Ticket
from tickets.selectors import PRIORITY_ORDER, breaching_q

UNRESOLVED_CHOICE = "unresolved"
STATUS_CHOICES = [(UNRESOLVED_CHOICE, "Unresolved"), *Status.choices]
VIEWS = {
    "my_open": _("My open"),
    "unassigned": _("Unassigned"),
    "breaching": _("Breaching SLA"),
}
# Solved and closed tickets have nothing due: the due sorts put them last, whatever their date.
RESOLVED_LAST = Case(When(status__in=UNRESOLVED, then=Value(0)), default=Value(1), output_field=IntegerField())
SORTS: dict[str, tuple[StrOrPromise, tuple[Any, ...]]] = {
    "-created": (_("Newest first"), ("-created_at", "-id")),
    "created": (_("Oldest first"), ("created_at", "id")),
    "-updated": (_("Recently updated"), ("-updated_at", "-id")),
    "updated": (_("Least recently updated"), ("updated_at", "id")),
    "due": (_("Resolution due"), ("resolved_last", F("resolution_due_at").asc(nulls_last=True), "-id")),
    "-due": (_("Resolution due, latest first"), ("resolved_last", F("resolution_due_at").desc(nulls_last=True), "-id")),
    "-priority": (_("Priority, highest first"), ("-priority_rank", "-created_at", "-id")),
    "priority": (_("Priority, lowest first"), ("priority_rank", "-created_at", "-id")),
    "-number": (_("Number, highest first"), ("-number",)),
    "number": (_("Number, lowest first"), ("number",)),
}
# Column headers that sort, and the sort their first click picks.
SORTABLE_COLUMNS = {"number": "-number", "priority": "-priority", "updated": "-updated", "due": "due"}
NUMBER = re.compile(r"^#?(\d{1,9})$")


class UtcIsoDateTimeField(filters.fields.IsoDateTimeField):
    """An ISO 8601 moment, handed to the database in UTC: any offset Python accepts (±23:59) stays valid,
    where PostgreSQL refuses offsets past ±15:59 (a 500, found by the API fuzzer)."""

    def clean(self, value: Any) -> Any:
        moment = super().clean(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValidationError("Enter a date and time between the years 1 and 9999.", code="invalid") from None


class UtcIsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class TicketFilter(filters.FilterSet):
    view = filters.ChoiceFilter(choices=list(VIEWS.items()), method="filter_view", label=_("Saved view"))
    status = filters.ChoiceFilter(choices=STATUS_CHOICES, method="filter_status", empty_label=_("Any status"))
    priority = filters.ChoiceFilter(choices=Priority.choices, empty_label=_("Any priority"))
    assignee = filters.CharFilter(
        method="filter_assignee", label=_("Assignee"), help_text='"me", "unassigned", a user id or an email'
    )
    tag = filters.CharFilter(field_name="tags__name", label=_("Tag"))
    q = filters.CharFilter(
        method="filter_q", label=_("Search"), help_text=_("Full-text search in subject and description")
    )
    created_after = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    sort = filters.ChoiceFilter(
        choices=[(k, v[0]) for k, v in SORTS.items()], method="filter_sort", empty_label=None, label=_("Sort")
    )

    class Meta:
        model = Ticket
        fields: list[str] = []

    @property
    def qs(self) -> QuerySet[Ticket]:
        queryset = super().qs
        if not self.form.cleaned_data.get("sort"):
            queryset = queryset.order_by(*SORTS["-created"][1])
        return queryset

    def _user(self) -> Any:
        return getattr(self.request, "user", None)

    def filter_view(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        if value == "my_open":
            user = self._user()
            if user is None or getattr(user, "pk", None) is None:
                return queryset.none()
            return queryset.filter(assignee=user, status__in=UNRESOLVED)
        if value == "unassigned":
            return queryset.filter(assignee__isnull=True, status__in=UNRESOLVED)
        if value == "breaching":
            return queryset.filter(breaching_q())
        return queryset

    def filter_status(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        if value == UNRESOLVED_CHOICE:
            return queryset.filter(status__in=UNRESOLVED)
        return queryset.filter(status=value)

    def filter_assignee(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        value = value.strip()
        if value == "me":
            user = self._user()
            return queryset.filter(assignee=user) if getattr(user, "pk", None) else queryset.none()
        if value in ("unassigned", "none"):
            return queryset.filter(assignee__isnull=True)
        if value.isdigit():
            return queryset.filter(assignee_id=int(value))
        return queryset.filter(assignee__email__iexact=value)

    def filter_q(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        value = value.strip()
        if not value:
            return queryset
        number = NUMBER.match(value)
        if number:
            return queryset.filter(number=int(number.group(1)))
        return queryset.filter(search_vector=SearchQuery(value, search_type="websearch", config=SEARCH_CONFIG))

    def filter_sort(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        ordering = SORTS.get(value, SORTS["-created"])[1]
        if "priority" in value:
            queryset = queryset.annotate(priority_rank=PRIORITY_ORDER)
        if "due" in value:
            queryset = queryset.annotate(resolved_last=RESOLVED_LAST)
        return queryset.order_by(*ordering)
