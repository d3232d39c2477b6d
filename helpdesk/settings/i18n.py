"""Languages of the pages, forms, e-mails and API messages (docs/i18n.md).

Who sees which language: ``LocaleMiddleware`` reads the browser's ``Accept-Language`` (and the
language cookie), then ``helpdesk.accounts.middleware.UserLanguageMiddleware`` decides: a signed-in
person's own ``User.language``, else their tenant's default (``Tenant.language``); a visitor of the
portal or the widget gets the first of their browser's languages the tenant offers
(``Tenant.languages``), else the tenant's default. E-mails to a contact use ``Contact.language``.
"""

from helpdesk.settings.env import BASE_DIR

LANGUAGE_CODE = "en"
USE_I18N = True
# The languages the interface is translated into; a tenant offers some or all of them.
LANGUAGES = [
    ("en", "English"),
    ("ru", "Русский"),
]
# The project's catalogue (templates/ and helpdesk/); tickets and knowledge and the higher apps have their own.
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "helpdesk_language"
