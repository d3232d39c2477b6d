"""Small help-center knowledge bases for the demo tenants acme (English) and romashka (Russian), idempotent:
keyed by external_id.

Indexed right here (not on a worker) so that search works as soon as `manage.py demo` returns.
"""

from __future__ import annotations

from typing import Any

from knowledge import demo_ru, services
from knowledge.models import Document

ARTICLES: list[dict[str, Any]] = [
    {
        "slug": "password-reset",
        "title": "Reset your password",
        "tags": ["account", "login"],
        "text": """# Reset your password

If you forgot your password, open the sign-in page and click **Forgot password?**. Enter the email address of
your account and we send you a reset link. The link is valid for 60 minutes and can be used once.

## The email does not arrive

Check your spam or junk folder and search for a message from no-reply@acme.example. Corporate mail filters
sometimes hold it for a few minutes. You can request a new link after 5 minutes; older links stop working.

## Still locked out

After 5 failed sign-in attempts the account is locked for 15 minutes. If you no longer have access to the
email address on the account, contact support from the address you use now and include your account ID and
the last four digits of the card on file, so that we can verify you.
""",
    },
    {
        "slug": "two-factor",
        "title": "Two-factor authentication (2FA)",
        "tags": ["account", "security", "login"],
        "text": """# Two-factor authentication (2FA)

Turn on 2FA under **Settings → Security → Two-factor authentication**. Scan the QR code with an authenticator
app (Google Authenticator, 1Password, Authy) and enter the 6-digit code to confirm. Save the 10 backup codes
shown once: each works one time.

## Lost phone

Sign in with one of your backup codes, then disable and re-enable 2FA with your new phone. Without backup
codes, support can remove 2FA after an identity check that takes up to 2 business days.

## Codes are rejected

Authenticator codes depend on the time of your phone. Turn on automatic date and time on the phone and try
again with a fresh code.
""",
    },
    {
        "slug": "billing-cycle",
        "title": "Billing and invoices",
        "tags": ["billing"],
        "text": """# Billing and invoices

Subscriptions are billed monthly or yearly in advance, on the day you subscribed. We accept Visa, Mastercard,
American Express and SEPA direct debit; yearly plans can also pay by bank transfer.

## Download an invoice

Invoices are under **Settings → Billing → Invoices** as PDF. To add a VAT number or a company address to
future invoices, edit the billing details before the next charge; past invoices cannot be changed.

## Failed payment

When a charge fails we retry after 3, 5 and 7 days and email the account owner each time. After the last
retry the account switches to read-only until the card is updated. No data is deleted.

## Change of plan

Upgrades take effect at once and are prorated; downgrades apply at the next renewal.
""",
    },
    {
        "slug": "refunds",
        "title": "Refund policy",
        "tags": ["billing", "refunds"],
        "text": """# Refund policy

New subscriptions can be refunded in full within 14 days of the first payment. Yearly renewals can be
refunded within 30 days of the renewal date if the account was not used after the renewal.

## How to request a refund

Write to support from the account owner's email with the invoice number. Refunds go back to the original
payment method and appear within 5–10 business days, depending on your bank.

## What cannot be refunded

Monthly renewals, add-on usage (extra API calls, SMS credits) and partial months after a downgrade are not
refunded. Orders of physical goods follow the returns policy instead.
""",
    },
    {
        "slug": "shipping",
        "title": "Shipping times and costs",
        "tags": ["orders", "shipping"],
        "text": """# Shipping times and costs

Orders placed before 14:00 CET on a business day ship the same day. Standard delivery takes 2–4 business days
within the EU and 5–10 business days elsewhere; express delivery takes 1–2 business days.

## Costs

Standard shipping is free above 50 EUR, otherwise 4.90 EUR. Express costs 14.90 EUR. Customs duties outside
the EU are paid by the recipient.

## Tracking

You receive a tracking link by email once the parcel leaves our warehouse. Tracking can take up to 24 hours
to show the first scan.
""",
    },
    {
        "slug": "returns",
        "title": "Returns and damaged items",
        "tags": ["orders", "refunds"],
        "text": """# Returns and damaged items

You can return unused items within 30 days of delivery. Start a return under **Orders → Return an item** to
get a prepaid label; the refund is issued within 5 business days after the item reaches our warehouse.

## Damaged or wrong item

Send a photo of the item and of the parcel within 7 days of delivery. We ship a replacement at no cost, and
you do not need to send the damaged item back.
""",
    },
    {
        "slug": "account-deletion",
        "title": "Delete your account",
        "tags": ["account", "privacy"],
        "text": """# Delete your account

The account owner can delete the account under **Settings → Account → Delete account**. Cancel any active
subscription first. Deletion is final after a 14-day grace period, during which signing in again restores
the account.

## What happens to your data

After the grace period, all data is erased from our systems within 30 days and from backups within 90 days.
Invoices are kept for 10 years because tax law requires it. Export your data before you delete the account:
**Settings → Account → Export data** sends a ZIP archive by email.
""",
    },
    {
        "slug": "api-limits",
        "title": "API rate limits",
        "tags": ["api", "developers"],
        "text": """# API rate limits

Each API key may send 600 requests per minute; the Business plan raises this to 3,000. Responses carry the
headers `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`.

## Error 429 Too Many Requests

When you exceed the limit the API answers 429 with a `Retry-After` header in seconds. Wait that long, then
retry with exponential backoff. Batch endpoints count as one request per call, whatever the batch size (up to
500 items).

## API keys

Create and revoke keys under **Settings → Developers → API keys**. A key is shown once; store it in a secret
manager, never in client-side code.
""",
    },
    {
        "slug": "change-email",
        "title": "Change your email address",
        "tags": ["account"],
        "text": """# Change your email address

Go to **Settings → Profile**, enter the new address and confirm it with the link we send there. Until you
confirm, sign-in and notifications keep using the old address. If the new address already belongs to another
account, merge or delete that account first.
""",
    },
    {
        "slug": "team-members",
        "title": "Invite team members and roles",
        "tags": ["account", "team"],
        "text": """# Invite team members and roles

Owners and admins invite people under **Settings → Team → Invite**. Invitations expire after 7 days.

## Roles

- **Owner**: billing, deleting the account, everything else.
- **Admin**: users, settings and integrations, but not billing.
- **Member**: day-to-day work, no settings.

Each plan includes a number of seats; extra seats are billed prorated from the day they are added.
""",
    },
    {
        "slug": "data-export",
        "title": "Export your data",
        "tags": ["privacy", "account"],
        "text": """# Export your data

**Settings → Account → Export data** prepares a ZIP archive with your records as CSV and your files in their
original format. Large accounts can take up to an hour; we email a download link valid for 7 days. The API
offers the same data page by page for scheduled exports.
""",
    },
    {
        "slug": "service-status",
        "title": "Outages and service status",
        "tags": ["status"],
        "text": """# Outages and service status

Live status and past incidents are on status.acme.example; subscribe there for email or SMS alerts. Our
uptime target is 99.9% per month. Business plans receive service credits when we miss it: 10% of the monthly
fee below 99.9% and 25% below 99.0%, on request within 30 days.
""",
    },
    {
        "slug": "password-reset-ru",
        "title": "Как сбросить пароль",
        "tags": ["account", "login"],
        "language": "ru",
        "text": """# Как сбросить пароль

На странице входа нажмите **Забыли пароль?** и введите адрес электронной почты вашей учётной записи. Мы
отправим ссылку для сброса пароля; она действует 60 минут и только один раз.

## Письмо не приходит

Проверьте папку «Спам». Новую ссылку можно запросить через 5 минут, старые ссылки перестают работать.
""",
    },
]


# Each demo tenant's help center and the language its articles are written in.
HELP_CENTERS: dict[str, tuple[list[dict[str, Any]], str]] = {
    "acme": (ARTICLES, "en"),
    "romashka": (demo_ru.ARTICLES, "ru"),
}


def seed(*, tenant: Any) -> None:
    articles, language = HELP_CENTERS.get(tenant.schema_name, ([], "en"))
    for article in articles:
        external_id = f"demo:{article['slug']}"
        existing = Document.objects.filter(source=Document.Source.TEXT, external_id=external_id).first()
        if existing is not None and existing.visibility != Document.Visibility.PUBLIC:
            services.document_set_visibility(document=existing, visibility=Document.Visibility.PUBLIC)
        if existing is not None and existing.text == article["text"] and existing.status == Document.Status.INDEXED:
            continue
        if existing is None:
            existing = services.document_create_from_text(
                title=article["title"],
                text=article["text"],
                language=article.get("language", language),
                tags=article["tags"],
                external_id=external_id,
                visibility=Document.Visibility.PUBLIC,  # the public help center: the widget answers from it
                enqueue=False,
            )
        else:
            existing.text = article["text"]
            existing.save(update_fields=["text", "updated_at"])
        services.document_index(document_id=existing.pk)
