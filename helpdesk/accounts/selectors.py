from helpdesk.accounts.models import ApiKey


def api_key_get_active_by_name(name: str) -> ApiKey | None:
    return ApiKey.objects.filter(name=name, revoked_at__isnull=True).first()
