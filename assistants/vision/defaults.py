"""The default screenshot labels of a tenant (seed 002's support categories), with prompts and text examples.

Managers edit them per tenant; these are what a new tenant starts with. The examples are
the kind of text such screenshots show, not the benchmark's screens (bench/vision.py).
"""

from __future__ import annotations

from typing import TypedDict


class LabelDefaults(TypedDict):
    name: str
    title: str
    description: str
    examples: list[str]
    is_fallback: bool


DEFAULT_LABELS: list[LabelDefaults] = [
    {
        "name": "interface_error",
        "title": "Interface error",
        "description": "an app or website screen with an error message: a form that rejects input, a failed "
        "sign-in, a broken link or an empty page",
        "examples": [
            "Invalid email or password. Please try again.",
            "This field is required",
            "Please enter a valid phone number",
            "Passwords do not match",
            "Incorrect verification code",
            "Your session has expired. Please sign in again.",
            "Account locked after too many failed login attempts",
            "Sign in to your account Forgot password? Log in",
            "Username is already taken",
            "404 Page not found. The page you are looking for does not exist.",
            "File type not supported. Upload a PNG or JPG.",
            "No results found. Try a different search.",
            "Nothing here yet",
            "The Save button is greyed out and does nothing",
            "This link has expired",
        ],
        "is_fallback": False,
    },
    {
        "name": "payment_problem",
        "title": "Payment problem",
        "description": "a checkout or billing screen saying that a card was declined or a payment failed",
        "examples": [
            "Your card was declined",
            "Payment failed. Please use a different payment method.",
            "Transaction declined by issuer",
            "Insufficient funds",
            "We couldn't process your payment",
            "Your card has expired. Update your billing details.",
            "3-D Secure authentication failed",
            "Invoice overdue: payment required to continue",
            "You were charged twice for this order",
            "The security code (CVC) is incorrect",
            "Billing address does not match the card",
            "Subscription renewal payment unsuccessful",
            "Checkout Pay now Order total",
            "Refund pending",
        ],
        "is_fallback": False,
    },
    {
        "name": "technical_failure",
        "title": "Technical failure",
        "description": "a crash, a server error, a timeout or a connection failure",
        "examples": [
            "500 Internal Server Error",
            "502 Bad Gateway",
            "503 Service Unavailable",
            "The application has stopped working",
            "Something went wrong. Please try again later.",
            "Connection timed out",
            "ERR_CONNECTION_REFUSED This site can't be reached",
            "Unhandled exception: NullPointerException at line 42",
            "Database connection failed",
            "Sync failed: could not reach the server",
            "Fatal error: out of memory",
            "The app crashed unexpectedly",
            "Request failed with status code 500",
            "Upload failed: network error",
            "Error 0x80004005 unspecified error",
        ],
        "is_fallback": False,
    },
    {
        "name": "product_question",
        "title": "Product question",
        "description": "a product page, a pricing table, a plan comparison or a settings screen",
        "examples": [
            "Pricing Basic $10/month Plus $25/month Business $99/month",
            "Compare plans",
            "Upgrade to Pro to unlock this feature",
            "Settings Notifications Email alerts",
            "Export your data as CSV",
            "Your free trial ends in 3 days",
            "Invite team members",
            "Storage used 4.2 GB of 5 GB",
            "Choose the plan that fits your team",
            "Features: unlimited projects, priority support",
            "Integrations: connect your calendar",
            "How do I change my delivery address?",
            "Account settings Profile Language Time zone",
        ],
        "is_fallback": False,
    },
    {
        "name": "other",
        "title": "Other",
        "description": "a photo, a document or anything else that is not a software screen",
        "examples": [
            "Happy birthday",
            "Meeting notes",
            "Welcome to the office",
            "Menu of the day",
            "Lorem ipsum dolor sit amet",
            "Chapter 1",
            "Exit",
        ],
        "is_fallback": True,
    },
]

# CLIP prompt ensemble: each label's description is put into every template, and their embeddings are averaged.
PROMPT_TEMPLATES = (
    "a screenshot of {}.",
    "a screenshot showing {}.",
    "an image of {}.",
    "a cropped screenshot of {}.",
    "a photo of a screen with {}.",
    "{}.",
)
