from django.db.models import QuerySet

from helpdesk.accounts.models import ApiKey, User


def api_key_get_active_by_name(name: str) -> ApiKey | None:
    return ApiKey.objects.filter(name=name, revoked_at__isnull=True).first()


def user_list_active() -> QuerySet[User]:
    return User.objects.filter(is_active=True).prefetch_related("groups")
