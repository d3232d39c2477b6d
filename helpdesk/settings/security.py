"""Security: client addresses behind proxies, HTTPS hardening and the Content-Security-Policy.

Login throttling (django-axes) is in auth.py; the csp and axes middlewares are placed in tenancy.py.
"""

from __future__ import annotations

from csp import constants as csp_constants

from helpdesk.env import env_bool, env_int

# Addresses of the clients: REMOTE_ADDR, or with PROXY_COUNT reverse proxies in front, the address
# the outermost of them saw (X-Forwarded-For, counted from the right, so a client cannot forge it).
PROXY_COUNT = env_int("PROXY_COUNT", 0, minimum=0, maximum=10)
RATELIMIT_IP_META_KEY = "helpdesk.http.client_ip"

# HTTPS hardening for `manage.py check --deploy` (all off by default: `make run` serves plain HTTP).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^health", r"^metrics$"]  # probes and scrapers inside the network speak HTTP
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

# Content-Security-Policy (django-csp). Pages show what customers wrote; should markup ever slip past
# the escaping, the browser still runs nothing: scripts only from this site (inline only with the
# response's nonce, `{{ CSP_NONCE }}`; no inline handlers, no eval: htmx runs with allowEval off, see
# templates/base.html), styles only from this site (no inline <style> or style=), no plugins, no
# <base> or form targets elsewhere, and no framing (as X-Frame-Options says). The widget's endpoints
# answer with a policy that allows nothing at all (assistants/urls.py); the sites embedding it allow
# this host in their own policy (README).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_constants.SELF],
        "script-src": [csp_constants.SELF, csp_constants.NONCE],
        "style-src": [csp_constants.SELF],
        "img-src": [csp_constants.SELF, "data:"],  # data: for Pico's and Swagger UI's inline SVG icons
        "object-src": [csp_constants.NONE],
        "base-uri": [csp_constants.SELF],
        "form-action": [csp_constants.SELF],
        "frame-ancestors": [csp_constants.NONE],
    },
}
