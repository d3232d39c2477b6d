import hashlib
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.accounts.roles import ROLE_LABELS, role_of


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: object) -> "User":
        if not email:
            raise ValueError("A user needs an email address")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in; each tenant schema has its own users, public has platform admins."""

    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    is_staff = models.BooleanField(default=False, help_text=_("Can open the admin site."), verbose_name=_("staff"))
    is_active = models.BooleanField(default=True, verbose_name=_("active"))
    date_joined = models.DateTimeField(default=timezone.now, verbose_name=_("date joined"))
    # IANA name (Europe/Berlin); empty: the server's TIME_ZONE. Pages and e-mails show times in it.
    timezone = models.CharField(_("time zone"), max_length=64, blank=True)
    # A code of LANGUAGES; empty: the tenant's default language (Tenant.language). Pages and e-mails use it.
    language = models.CharField(_("language"), max_length=10, blank=True, choices=settings.LANGUAGES)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def role(self) -> str | None:
        return role_of(self)

    @property
    def role_label(self) -> str:
        role = self.role
        return str(ROLE_LABELS[role]) if role else ""


def hash_api_key(raw_key: str) -> str:
    # Keys carry 256 random bits, so a fast hash is enough; a slow KDF would only add latency per request.
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKey(models.Model):
    """A key for an external system; only its hash is stored, its prefix stays visible."""

    name = models.CharField(max_length=100, verbose_name=_("name"))
    prefix = models.CharField(max_length=12, unique=True, editable=False, verbose_name=_("prefix"))
    hashed_key = models.CharField(max_length=64, unique=True, editable=False, verbose_name=_("hashed key"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, editable=False, verbose_name=_("created by")
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("last used"))
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("revoked at"))

    class Meta:
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]
        verbose_name = _("API key")
        constraints = [
            models.UniqueConstraint(
                fields=["name"], condition=models.Q(revoked_at__isnull=True), name="apikey_active_name_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
