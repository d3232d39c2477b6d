"""Users, logins and login throttling (django-axes)."""

from __future__ import annotations

from helpdesk.env import env_int

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling (django-axes). Its tables are in the public schema and in every tenant's, so the
# platform admin and each tenant count failures and lock out separately. A lockout holds a username
# from one address (an attacker elsewhere cannot lock a colleague out) for LOGIN_LOCKOUT_MINUTES.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = LOGIN_LOCKOUT_MINUTES / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "helpdesk.accounts.throttling.lockout_response"
AXES_CLIENT_IP_CALLABLE = "helpdesk.http.client_ip"
AXES_USERNAME_FORM_FIELD = "username"  # what the login forms post (axes would look for USERNAME_FIELD, email)
AXES_USERNAME_CALLABLE = "helpdesk.accounts.throttling.login_username"
