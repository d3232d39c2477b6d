"""Sample support chat messages with gold labels: for the demo, the tests and the benchmark.

Messages are built from phrasings per label with slots, openers and closers, so a few
thousand of them differ in wording while related labels (billing vs refund, bug vs login)
overlap in vocabulary as real ones do. The same seed gives the same messages.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

PHRASES: dict[str, list[str]] = {
    "billing": [
        "I was charged twice for my {plan} subscription this month",
        "why is my invoice for {month} higher than usual",
        "my credit card was billed {amount} but I expected less",
        "can I get a copy of the invoice for {month}",
        "the payment for my {plan} plan failed, how do I update the card",
        "there is a charge of {amount} on my statement I do not recognise",
        "please change the billing address on my account invoices",
        "do you accept bank transfer instead of credit card for the {plan} plan",
        "the VAT on my last invoice looks wrong",
        "how do I switch from monthly to yearly billing",
    ],
    "refund": [
        "I want my money back for order {order}",
        "please refund the {amount} you charged me by mistake",
        "how long does a refund take to reach my card",
        "I returned the {item} two weeks ago and still have no refund",
        "can I get a refund for the unused months of my {plan} plan",
        "the {item} arrived broken, I would like a full refund",
        "you promised a refund for order {order} but nothing happened",
        "is it too late to ask for a refund after {days} days",
    ],
    "password": [
        "I forgot my password and the reset email never arrives",
        "how do I reset my password on the {device}",
        "the password reset link says it has expired",
        "I cannot log in, it says my password is wrong but I am sure it is right",
        "my account is locked after too many password attempts",
        "where can I change my password in the settings",
        "the two-factor code does not work when I sign in",
        "I lost my phone and cannot get the login code anymore",
    ],
    "shipping": [
        "where is my order {order}, it has not arrived yet",
        "the tracking number for order {order} does not work",
        "how long does delivery to {country} take",
        "my parcel shows delivered but I never received it",
        "can I change the delivery address of order {order}",
        "do you ship the {item} to {country}",
        "the courier left my package at the wrong address",
        "my order has been stuck in transit for {days} days",
    ],
    "bug": [
        "the app crashes every time I open the {screen} screen",
        "I get an error 500 when I save my {screen} settings",
        "the {screen} page is blank on my {device}",
        "exporting to PDF produces an empty file",
        "notifications stopped working after the last update on {device}",
        "the search returns nothing even for words I know are there",
        "the button on the {screen} page does nothing when I click it",
        "sync between my {device} and the web version is broken",
    ],
    "cancel": [
        "I want to cancel my {plan} subscription",
        "how do I stop the automatic renewal of my plan",
        "please cancel my order {order} before it ships",
        "I would like to end my contract at the end of the month",
        "cancel my membership, I no longer need it",
        "how can I unsubscribe from the {plan} plan without paying the next month",
    ],
    "account": [
        "how do I change the email address on my account",
        "please delete my account and all my data",
        "I want to add a second user to our team account",
        "can I merge my two accounts into one",
        "how do I change the name shown on my profile",
        "I need to transfer the account ownership to my colleague",
        "where can I download all the data you keep about me",
    ],
    "feature": [
        "it would be great if the {screen} page had a dark mode",
        "could you add an export to Excel for reports",
        "please add support for {country} holidays in the calendar",
        "is there any plan to build an app for the {device}",
        "I would love to schedule messages in advance",
        "can you add keyboard shortcuts to the {screen} screen",
        "a bulk edit option for contacts would save us hours",
    ],
}
SLOTS = {
    "plan": ["Pro", "Basic", "Team", "Enterprise", "family", "annual"],
    "month": ["January", "March", "May", "August", "October", "December"],
    "amount": ["$19.99", "$49", "€120", "£15", "$8.50", "€300"],
    "order": ["#10432", "#88213", "A-5521", "#30019", "B-7714", "#61200"],
    "item": ["headphones", "blender", "jacket", "phone case", "lamp", "keyboard"],
    "days": ["10", "14", "20", "30", "45", "60"],
    "device": ["iPhone", "Android phone", "iPad", "Mac", "Windows laptop", "tablet"],
    "country": ["Canada", "Germany", "Japan", "Brazil", "Poland", "Australia"],
    "screen": ["dashboard", "reports", "calendar", "inbox", "settings", "contacts"],
    "name": ["jsmith", "maria.k", "tom_b", "li.wei", "anna88", "pierre"],
}
# For the benchmark's harder fixture: context that says nothing about the label, and messages too vague to label.
CONTEXTS = [
    "I have been a customer for three years.",
    "This is my second message about this.",
    "My username is {name}.",
    "I am on the {plan} plan.",
    "I tried everything in your help center.",
    "Sorry for my English.",
    "My colleague had the same problem last week.",
    "I am writing from my {device}.",
]
VAGUE = [
    "please help",
    "any update on this?",
    "it still does not work",
    "I need help with my account",
    "can someone call me",
    "this is really frustrating",
    "hello, is anyone there?",
    "same problem as before",
]
OPENERS = ["", "", "Hi, ", "Hello, ", "Hey, ", "Good morning, ", "Hi team, ", "Urgent: "]
CLOSERS = ["", "", "", ".", "?", " please.", " Thanks!", " Can you help?", " Thank you.", " asap"]
DOMAINS = ["web", "email", "chat"]


@dataclass(frozen=True)
class Message:
    text: str
    label: str
    domain: str


def _fill(phrase: str, rng: random.Random) -> str:
    for slot, values in SLOTS.items():
        phrase = phrase.replace("{" + slot + "}", rng.choice(values))
    return phrase


def _roughen(text: str, rng: random.Random) -> str:
    """Context around the request, lower case without punctuation, a typo: how people really write."""
    if rng.random() < 0.5:
        context = _fill(rng.choice(CONTEXTS), rng)
        text = f"{context} {text}" if rng.random() < 0.5 else f"{text}. {context}"
    if rng.random() < 0.25:
        text = "".join(c for c in text.lower() if c.isalnum() or c.isspace() or c in "#$€£.-")
    if rng.random() < 0.15 and len(text) > 8:
        i = rng.randrange(1, len(text) - 2)
        text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text


def messages(
    count: int,
    *,
    seed: int = 0,
    labels: list[str] | None = None,
    weights: list[float] | None = None,
    hard: bool = False,
) -> list[Message]:
    """``count`` distinct messages; ``weights`` skews the label mix (real queues are unbalanced).

    ``hard`` adds context sentences, sloppy spelling and 4 % vague messages ("any update on this?")
    whose gold label no model can know from the text.
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible samples, not secrets
    chosen = labels or list(PHRASES)
    out: list[Message] = []
    seen: set[str] = set()
    attempts = 0
    while len(out) < count and attempts < count * 50:
        attempts += 1
        label = rng.choices(chosen, weights=weights)[0] if weights else chosen[len(out) % len(chosen)]
        body = rng.choice(VAGUE) if hard and rng.random() < 0.04 else _fill(rng.choice(PHRASES[label]), rng)
        text = (rng.choice(OPENERS) + body + rng.choice(CLOSERS)).strip()
        text = text[0].upper() + text[1:]
        if hard:
            text = _roughen(text, rng)
        if text.lower() in seen:
            continue
        seen.add(text.lower())
        out.append(Message(text, label, rng.choice(DOMAINS)))
    return out
