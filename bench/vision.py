"""Screenshot triage: category accuracy per source, OCR character accuracy, latency per size, drafts.

A fixture of rendered screenshots with known labels (error dialogs, payment failures, login
screens, empty states, product pages; several fonts, sizes and noise levels, half of them
inside a busy app frame with a sidebar) and text-free photo-like images goes through the
product's pipeline (``assistants.vision.pipeline.analyse``) with the default labels. The
screen texts are written here and differ from the labels' examples (``defaults.py``).

- category accuracy and macro-F1 per source: the text classifier on the OCR text ("ocr"),
  CLIP zero-shot ("clip"; only the tiny random CLIP exists offline, so its figure is chance
  level and shows the plumbing, not CLIP's quality) and both mixed ("both");
- OCR character accuracy: 1 - edit distance / length against the rendered text;
- p50/p95 latency per image size (OCR and the whole pipeline);
- screenshot-only tickets: each shows one error of ``assistants/vision/demo.py``'s help articles,
  and the draft should cite that article (extractive and the default LLM provider).

    .venv/bin/python bench/vision.py [--renders 2] [--providers extractive,llamacpp]

Writes bench/results/vision.json and bench/results/vision.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from assistants.vision import pipeline, samples  # noqa: E402
from assistants.vision.defaults import DEFAULT_LABELS  # noqa: E402
from assistants.vision.demo import ERROR_ARTICLES  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SCHEMA = "bench_vision"
SIZES = [(640, 400), (900, 260), (1280, 800), (1920, 1080)]

SCREENS: dict[str, list[list[str]]] = {
    "technical_failure": [
        ["Application Error", "The application was unable to start correctly (0xc000007b).", "Click OK to close."],
        ["Internal Server Error", "The server encountered an unexpected condition.", "Request ID 7f3a9c"],
        ["Error 504", "Gateway Timeout", "The upstream server did not respond in time."],
        ["Sync error", "Could not connect to sync.acme.com", "Check your internet connection and try again."],
        ["Oops! Something broke.", "An unexpected error occurred while saving.", "Error code: SAVE_FAILED"],
        ["Fatal Exception", "java.lang.IllegalStateException: database locked", "at com.acme.Main.run(Main.java:88)"],
        ["Service unavailable", "We are experiencing technical difficulties.", "Our engineers have been notified."],
        ["Upload interrupted", "The connection was reset (ECONNRESET).", "Retry upload"],
    ],
    "payment_problem": [
        ["Checkout", "Payment declined", "Your bank declined this transaction. Code 05: do not honor."],
        ["Billing", "We could not charge your Visa ending in 4242.", "Update your payment method."],
        ["Order #20931", "Payment status: FAILED", "Reason: insufficient funds"],
        ["Secure payment", "Authentication with your bank failed.", "The 3D Secure check was not completed."],
        ["Your subscription is past due", "The last payment of $29.00 did not go through.", "Pay invoice"],
        ["PayPal", "This payment could not be completed.", "Please choose another way to pay."],
        ["Card details", "The card number is invalid.", "Expiry date 03/24 is in the past."],
        ["Duplicate charge", "Two payments of $59.99 were taken on 12 Nov.", "Transaction IDs TX8812, TX8813"],
    ],
    "interface_error": [
        ["Log in to Acme", "Email: dana@example.com", "Wrong email or password."],
        ["Welcome back", "Password", "Incorrect password. 2 attempts remaining."],
        ["Two-step verification", "Enter the 6-digit code", "That code is invalid or has expired."],
        ["Sign in", "Your account has been disabled.", "Contact your administrator."],
        ["Projects", "You don't have any projects yet.", "Projects you create will appear here."],
        ["Inbox", "No messages", "Your inbox is empty."],
        ["Search results", "No results for 'invoice 2023'", "Check the spelling or try other words."],
        ["Reports", "There is nothing to show for this period.", "Choose another date range."],
    ],
    "product_question": [
        ["Plans and pricing", "Starter $9 per user/month", "Growth $19 per user/month", "Enterprise: contact sales"],
        ["Upgrade your plan", "Custom domains are available on the Growth plan.", "See all features"],
        ["Settings", "Notifications", "Send me a daily summary", "Language: English"],
        ["Integrations", "Connect Slack", "Connect Google Drive", "Browse all apps"],
        ["Usage", "API calls this month: 8,210 of 10,000", "Storage: 3.1 GB of 10 GB"],
        ["Feature comparison", "Audit log: Growth and Enterprise", "Single sign-on: Enterprise only"],
        ["Team", "Members: 4 of 5 seats", "Invite people"],
        ["Free trial", "14 days left in your trial", "Add a card to keep your data after the trial"],
    ],
}
SIDEBAR = ["Dashboard", "Projects", "Reports", "Settings", "Help"]


def render(
    lines: list[str], size: tuple[int, int], font: Path | None, font_size: int, noise: float, busy: bool, seed: int
) -> tuple[Image.Image, str]:
    """One screenshot and the text drawn on it (what OCR should read)."""
    title, body = lines[0], lines[1:]
    if not busy:
        image = samples.dialog(body, size=size, font=font, font_size=font_size, title=title, noise=0, seed=seed)
        drawn = [title, *body, "OK"]
    else:
        width, height = size
        image = Image.new("RGB", size, (250, 250, 252))
        draw = ImageDraw.Draw(image)
        side = max(120, width // 6)
        draw.rectangle((0, 0, side, height), fill=(36, 41, 47))
        nav_font = samples.load_font(max(12, font_size - 4), font)
        for i, item in enumerate(SIDEBAR):
            draw.text((16, 60 + i * (font_size + 18)), item, fill=(235, 235, 235), font=nav_font)
        inner = samples.dialog(
            body, size=(width - side - 40, max(160, height // 2)), font=font, font_size=font_size, title=title
        )
        image.paste(inner, (side + 20, max(20, height // 6)))
        drawn = [*SIDEBAR, title, *body, "OK"]
    if noise:
        image = samples.add_noise(image, noise, seed)
    return image, " ".join(drawn)


def fixture(renders: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)  # noqa: S311
    fonts: list[Path | None] = [*samples.font_paths(), None]
    cases = []
    for label, screens in SCREENS.items():
        for index, lines in enumerate(screens):
            for render_index in range(renders):
                size = SIZES[(index + render_index) % len(SIZES)]
                font = fonts[rng.randrange(len(fonts))]
                font_size = rng.choice([15, 18, 22, 26]) if size[0] >= 900 else rng.choice([14, 16, 18])
                noise = rng.choice([0.0, 0.0, 0.3, 0.6])
                busy = render_index % 2 == 1 and size[1] >= 400
                image, text = render(lines, size, font, font_size, noise, busy, seed + index)
                cases.append(
                    {
                        "label": label,
                        "kind": "screenshot",
                        "image": image,
                        "expected_text": text,
                        "size": f"{size[0]}x{size[1]}",
                        "font": font.name if font else "Pillow default",
                        "font_size": font_size,
                        "noise": noise,
                        "busy": busy,
                    }
                )
    for index in range(6 * renders):
        size = SIZES[index % len(SIZES)]
        cases.append(
            {
                "label": "other",
                "kind": "photo",
                "image": samples.photo(size, seed=index),
                "expected_text": "",
                "size": f"{size[0]}x{size[1]}",
                "font": "",
                "font_size": 0,
                "noise": 0.5,
                "busy": False,
            }
        )
    return cases


def levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def char_accuracy(expected: str, got: str) -> float:
    expected, got = " ".join(expected.split()), " ".join(got.split())
    if not expected:
        return 1.0 if not got else 0.0
    return max(0.0, 1 - levenshtein(expected, got) / len(expected))


def macro_f1(pairs: list[tuple[str, str]], labels: list[str]) -> float:
    scores = []
    for label in labels:
        tp = sum(1 for t, p in pairs if t == label and p == label)
        fp = sum(1 for t, p in pairs if t != label and p == label)
        fn = sum(1 for t, p in pairs if t == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return round(sum(scores) / len(scores), 3)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


def classify_cases(cases: list[dict[str, Any]], labels: list[pipeline.LabelSpec]) -> list[dict[str, Any]]:
    fallback = next(label.name for label in labels if label.is_fallback)
    rows = []
    # Warm-up: the OCR engine, the embedding model and CLIP load once per process, not per image.
    pipeline.analyse(samples.encode(samples.dialog(["warm up"])), labels)
    for case in cases:
        data = samples.encode(case["image"])
        started = time.perf_counter()
        result = pipeline.analyse(data, labels)
        total_ms = (time.perf_counter() - started) * 1000

        def best(scores: dict[str, float]) -> str:
            return max(scores, key=scores.__getitem__) if scores else fallback

        both = pipeline.decide(labels, result.text_scores, result.clip_scores)[0]
        rows.append(
            {
                **{k: v for k, v in case.items() if k != "image"},
                "ocr_text": result.text,
                "char_accuracy": round(char_accuracy(case["expected_text"], result.text.replace("\n", " ")), 4),
                "has_text": bool(result.text_scores),
                "predicted": {"ocr": best(result.text_scores), "clip": best(result.clip_scores), "both": both},
                "confidence": round(result.confidence, 3),
                "error_codes": result.error_codes,
                "ocr_ms": result.timings_ms.get("ocr_ms"),
                "ocr_cpu_ms": result.timings_ms.get("ocr_cpu_ms"),
                "total_ms": round(total_ms, 1),
            }
        )
    return rows


def summarise(rows: list[dict[str, Any]], labels: list[str]) -> dict[str, Any]:
    screenshots = [r for r in rows if r["kind"] == "screenshot"]
    out: dict[str, Any] = {"images": len(rows), "screenshots": len(screenshots), "photos": len(rows) - len(screenshots)}
    for source in ("ocr", "clip", "both"):
        pairs_all = [(r["label"], r["predicted"][source]) for r in rows]
        pairs_text = [(r["label"], r["predicted"][source]) for r in screenshots]
        out[source] = {
            "accuracy_text_screenshots": round(sum(t == p for t, p in pairs_text) / len(pairs_text), 3),
            "macro_f1_text_screenshots": macro_f1(pairs_text, [x for x in labels if x != "other"]),
            "accuracy_all": round(sum(t == p for t, p in pairs_all) / len(pairs_all), 3),
            "macro_f1_all": macro_f1(pairs_all, labels),
        }
    out["per_label_ocr_accuracy"] = {
        label: round(statistics.mean(r["predicted"]["ocr"] == label for r in rows if r["label"] == label), 3)
        for label in labels
    }
    out["confusions_ocr"] = [
        {"label": r["label"], "predicted": r["predicted"]["ocr"], "text": r["ocr_text"][:120]}
        for r in screenshots
        if r["predicted"]["ocr"] != r["label"]
    ]
    out["char_accuracy_mean"] = round(statistics.mean(r["char_accuracy"] for r in screenshots), 4)
    out["char_accuracy_by_noise"] = {
        str(noise): round(statistics.mean(r["char_accuracy"] for r in screenshots if r["noise"] == noise), 4)
        for noise in sorted({r["noise"] for r in screenshots})
    }
    out["char_accuracy_by_font"] = {
        font: round(statistics.mean(r["char_accuracy"] for r in screenshots if r["font"] == font), 4)
        for font in sorted({r["font"] for r in screenshots})
    }
    out["photos_with_text_found"] = sum(1 for r in rows if r["kind"] == "photo" and r["ocr_text"])
    latency: dict[str, Any] = {}
    for size in [f"{w}x{h}" for w, h in SIZES]:
        subset = [r for r in rows if r["size"] == size and r["kind"] == "screenshot"]
        if subset:
            latency[size] = {
                "n": len(subset),
                "ocr_ms_p50": percentile([r["ocr_ms"] for r in subset], 0.5),
                "ocr_ms_p95": percentile([r["ocr_ms"] for r in subset], 0.95),
                "ocr_cpu_ms_p50": percentile([r["ocr_cpu_ms"] for r in subset], 0.5),
                "ocr_cpu_ms_p95": percentile([r["ocr_cpu_ms"] for r in subset], 0.95),
                "total_ms_p50": percentile([r["total_ms"] for r in subset], 0.5),
                "total_ms_p95": percentile([r["total_ms"] for r in subset], 0.95),
            }
    out["latency"] = latency
    return out


def drafts(providers: list[str]) -> list[dict[str, Any]]:
    """Screenshot-only tickets in a tenant with the error articles and the demo help center."""
    from django.core.management import call_command

    from assistants.models import Assistant
    from assistants.services import assistant_create
    from assistants.services.drafting import answer_for_ticket
    from assistants.vision import services
    from helpdesk import devstack
    from helpdesk.tenants.services import public_tenant_ensure, tenant_create
    from knowledge import services as kb
    from knowledge.demo import ARTICLES
    from knowledge.models import Document
    from tickets import services as tickets

    devstack.start()
    call_command("migrate_schemas", "--shared", verbosity=0)
    public_tenant_ensure()
    tenant = tenant_create(schema_name=SCHEMA, name="Vision benchmark", domain=f"{SCHEMA}.bench.localhost").tenant
    rows = []
    with tenant_context(tenant):
        for article in [*ARTICLES, *ERROR_ARTICLES]:
            external_id = f"bench:{article['slug']}"
            if not Document.objects.filter(external_id=external_id, status=Document.Status.INDEXED).exists():
                document = kb.document_create_from_text(
                    title=article["title"],
                    text=article["text"],
                    tags=article.get("tags", []),
                    language=article.get("language", "en"),
                    external_id=external_id,
                    enqueue=False,
                )
                kb.document_index(document_id=document.pk)
        contact = tickets.contact_ensure(email="bench@example.com")
        for provider in providers:
            Assistant.objects.filter(name=f"bench-{provider}").delete()
            assistant = assistant_create(name=f"bench-{provider}", provider=provider)
            for article in ERROR_ARTICLES:
                image = samples.encode(samples.dialog(article["screen"], size=(1280, 800), font_size=24))
                ticket = tickets.ticket_create(subject="Help", requester=contact, by=contact)
                reply = tickets.reply_add(
                    ticket=ticket,
                    body="See the screenshot.",
                    by=contact,
                    files=[SimpleUploadedFile("screen.png", image, content_type="image/png")],
                )
                for attachment in reply.attachments.all():
                    services.attachment_analyse(attachment_id=attachment.pk)
                started = time.perf_counter()
                draft = answer_for_ticket(ticket=ticket, assistant=assistant)
                cited = [c["document"] for c in draft.result["citations"]]
                rows.append(
                    {
                        "provider": provider,
                        "expected": article["title"],
                        "cited": cited,
                        "cites_right": article["title"] in cited,
                        "first_cited_right": bool(cited) and cited[0] == article["title"],
                        "fallback_from": draft.result.get("fallback_from"),
                        "answer_ms": round((time.perf_counter() - started) * 1000),
                        "draft": draft.result["text"][:300],
                    }
                )
    return rows


# --- Screens inside account chrome, and tickets whose only words are in such a screenshot ---------------
# Held out: none of these phrases is a label example (assistants/vision/defaults.py) or a test's screen
# (assistants/vision/tests/); the role rules were written from the router page only.

CHROME_SCREENS: dict[str, dict[str, list[tuple[str, list[str]]]]] = {
    "en": {
        "technical_failure": [
            ("Set-top box", ["Status: no broadcast signal", "Last seen online 2 hours ago"]),
            ("Modem overview", ["DSL sync: lost", "Upstream: 0 kbps"]),
            ("Connection status", ["WAN: disconnected", "PPPoE session could not be established"]),
            ("Smart plug", ["Device offline", "Not responding since 09:14"]),
            ("Wi-Fi extender", ["Link quality: none", "The extender cannot reach the router"]),
            ("Service status", ["Email service: outage", "Engineers are working on a fix"]),
        ],
        "payment_problem": [
            ("Checkout", ["Your payment was refused by the bank", "Try a different card"]),
            ("Top up balance", ["Transaction failed: card expired", "Update your card details"]),
            ("Subscription", ["Auto-renewal payment bounced", "Your plan will pause in 3 days"]),
        ],
        "interface_error": [
            ("Change password", ["The new password is too short", "Use at least 10 characters"]),
            ("Sign in", ["Username or password is wrong", "Forgot your password?"]),
            ("Edit profile", ["Phone number format is invalid", "Example: +44 7700 900123"]),
        ],
        "product_question": [
            ("Your plan", ["Fibre 500: 500 Mbps download", "Upgrade to Fibre 900 for 10 pounds more"]),
            ("Add-ons", ["TV Sport pack: 15 pounds a month", "Add to my plan"]),
        ],
    },
    "ru": {
        "technical_failure": [
            ("Приставка", ["Статус: сигнал отсутствует", "Была в сети 2 часа назад"]),
            ("Модем", ["Синхронизация DSL: потеряна", "Скорость отдачи: 0 кбит/с"]),
            ("Подключение к сети", ["WAN: отключено", "Сессия PPPoE не установлена"]),
            ("Умная розетка", ["Устройство недоступно", "Последний ответ в 09:14"]),
            ("Усилитель Wi-Fi", ["Качество связи: нет", "Усилитель не видит роутер"]),
            ("Статус сервисов", ["Почта: авария", "Инженеры устраняют неполадку"]),
        ],
        "payment_problem": [
            ("Оформление заказа", ["Банк отказал в платеже", "Попробуйте другую карту"]),
            ("Пополнение баланса", ["Операция не выполнена: срок карты истёк", "Обновите данные карты"]),
            ("Подписка", ["Автоплатёж не прошёл", "Тариф будет приостановлен через 3 дня"]),
        ],
        "interface_error": [
            ("Смена пароля", ["Новый пароль слишком короткий", "Используйте не менее 10 символов"]),
            ("Вход", ["Имя пользователя или пароль указаны неверно", "Забыли пароль?"]),
            ("Редактирование профиля", ["Неверный формат номера телефона", "Пример: +7 900 123-45-67"]),
        ],
        "product_question": [
            ("Ваш тариф", ["Домашний 500: 500 Мбит/с", "Перейти на тариф 900 за 200 рублей в месяц"]),
            ("Дополнительные услуги", ["Пакет ТВ Спорт: 299 рублей в месяц", "Подключить"]),
        ],
    },
}
# Site chrome around them: menus, the account's corner, footers (some words outside the role vocabulary).
CHROME: dict[str, dict[str, Any]] = {
    "en": {
        "nav": [
            ["Home", "Shop", "Broadband", "Help"],
            ["Dashboard", "Orders", "Billing", "Support"],
            ["Rewards", "Deals", "My Orders", "Contact us"],
        ],
        "account": ["My Account", "Sign out", "Hello, Dana"],
        "footer": [["Privacy policy", "Terms of use", "© 2026 Acme Telecom"], ["Cookies", "Accessibility", "Careers"]],
    },
    "ru": {
        "nav": [
            ["Главная", "Магазин", "Интернет", "Помощь"],
            ["Обзор", "Заказы", "Оплата", "Поддержка"],
            ["Бонусы", "Акции", "Мои заказы", "Контакты"],
        ],
        "account": ["Личный кабинет", "Выйти", "Здравствуйте, Дана"],
        "footer": [["Политика конфиденциальности", "Условия использования", "© 2026 Связь"], ["Вакансии", "Блог"]],
    },
}
PAGE_SIZES = [(1280, 800), (1024, 768), (1440, 900)]


def chrome_page(
    language: str, title: str, lines: list[str], index: int, rng: random.Random
) -> tuple[Any, dict[str, Any]]:
    chrome = CHROME[language]
    fonts = [f for f in samples.font_paths() if "Mono" not in f.name] or [samples.cyrillic_font()]
    font = fonts[rng.randrange(len(fonts))]
    size = PAGE_SIZES[index % len(PAGE_SIZES)]
    account = chrome["account"][index % len(chrome["account"])]
    options: dict[str, Any] = {
        "nav": chrome["nav"][index % len(chrome["nav"])],
        "account": account,
        "breadcrumbs": [chrome["nav"][0][0], account, title] if index % 2 == 0 else [],
        "footer": chrome["footer"][index % len(chrome["footer"])],
        "layout": samples.PAGE_LAYOUTS[index % len(samples.PAGE_LAYOUTS)],
        "size": size,
        "font": font,
        "font_size": rng.choice([16, 18, 20, 22]),
        "seed": index,
    }
    image, _ = samples.page(title, lines, **options)
    return image, {k: (v.name if isinstance(v, Path) else v) for k, v in options.items()}


def chrome_classification(labels: list[pipeline.LabelSpec], renders: int) -> dict[str, Any]:
    """Category of every held-out screen inside account chrome, in three layouts, English and Russian."""
    rng = random.Random(11)  # noqa: S311
    rows = []
    for language, screens in CHROME_SCREENS.items():
        index = 0
        for label, items in screens.items():
            for title, lines in items:
                for _ in range(renders):
                    image, options = chrome_page(language, title, lines, index, rng)
                    index += 1
                    result = pipeline.analyse(samples.encode(image), labels, use_clip=False, languages=[language])
                    rows.append(
                        {
                            "language": language,
                            "label": label,
                            "predicted": result.category,
                            "confidence": round(result.confidence, 3),
                            "title": title,
                            "layout": options["layout"],
                            "font": options["font"],
                            "ocr_text": result.text,
                        }
                    )
    summary: dict[str, Any] = {}
    for language in CHROME_SCREENS:
        subset = [r for r in rows if r["language"] == language]
        summary[language] = {
            "n": len(subset),
            "accuracy": round(sum(r["label"] == r["predicted"] for r in subset) / len(subset), 3),
            "per_label": {
                label: round(statistics.mean(r["label"] == r["predicted"] for r in subset if r["label"] == label), 3)
                for label in CHROME_SCREENS[language]
            },
        }
    summary["all"] = {"n": len(rows), "accuracy": round(sum(r["label"] == r["predicted"] for r in rows) / len(rows), 3)}
    summary["misses"] = [
        {k: r[k] for k in ("language", "label", "predicted", "confidence", "title", "layout")}
        | {"text": " / ".join(r["ocr_text"].splitlines())[:160]}
        for r in rows
        if r["label"] != r["predicted"]
    ]
    return {"summary": summary, "rows": rows}


# Help articles about what status pages show; each ticket's screenshot is one of those pages, in chrome.
ANSWER_SETS: dict[str, dict[str, Any]] = {
    "en": {
        "articles": [
            {
                "title": "Set-top box shows no signal",
                "text": "When the set-top box says there is no broadcast signal, the aerial cable is loose or the dish "
                "has moved. Check the cable at the back of the box, then restart the box by holding its power button "
                "for 10 seconds. If the signal does not come back, book a visit from our TV engineer.",
                "screen": ("Set-top box", ["Status: no broadcast signal", "Restart attempted"]),
            },
            {
                "title": "Modem reports DSL sync lost",
                "text": "If the modem reports that DSL sync is lost, the phone line does not reach it. Plug the grey "
                "DSL cable straight into the master socket without an extension lead. Sync usually comes back within "
                "5 minutes.",
                "screen": ("Modem overview", ["DSL sync: lost", "Upstream: 0 kbps"]),
            },
            {
                "title": "Smart plug shows as offline",
                "text": "A smart plug shows as offline when it has lost its Wi-Fi connection. Unplug it for 10 seconds "
                "and plug it back in; its light blinks blue while it reconnects. Smart plugs work on 2.4 GHz Wi-Fi "
                "networks only.",
                "screen": ("Smart plug", ["Device offline", "Not responding since 09:14"]),
            },
            {
                "title": "Wi-Fi extender cannot reach the router",
                "text": "When the extender says it cannot reach the router, move it halfway between the router and the "
                "room without Wi-Fi. Press the WPS button on the router and then on the extender within 2 minutes to "
                "pair them again.",
                "screen": ("Wi-Fi extender", ["Link quality: none", "The extender cannot reach the router"]),
            },
            {
                "title": "LOS light on the optical terminal",
                "text": "A red LOS light on the optical terminal means that no light reaches it from the street. Check "
                "that the yellow fibre patch cable is clicked in at both ends and not bent. If LOS stays red, the "
                "fibre is damaged outside and we send an engineer within 2 working days.",
                "screen": ("Optical terminal", ["LOS: red", "PON link: down"]),
            },
        ],
        "distractors": [
            ("Managing your account", "In My Account you change your address, download bills and update your card."),
            ("Paying your bill", "Bills are due on the 1st of each month; a late payment adds a fee of 5 pounds."),
            ("Moving house", "Tell us your new address 30 days before you move and we move your services."),
        ],
        "missing": [
            ("Solar inverter", ["Grid voltage: out of range", "Feed-in stopped"]),
            ("Parcel locker", ["Door 14: jammed", "Collection not possible"]),
            ("Dishwasher", ["Water supply: blocked", "Programme paused"]),
        ],
        "words": ("Help", "Help — please see the attached screenshot"),
    },
    "ru": {
        "articles": [
            {
                "title": "Приставка пишет, что нет сигнала",
                "text": "Если приставка пишет, что сигнал отсутствует, отошёл антенный кабель или сдвинулась тарелка. "
                "Проверьте кабель на задней панели приставки, затем перезагрузите её, удерживая кнопку питания "
                "10 секунд. Если сигнал не вернулся, вызовите мастера по телевидению.",
                "screen": ("Приставка", ["Статус: сигнал отсутствует", "Перезагрузка выполнена"]),
            },
            {
                "title": "Модем: потеряна синхронизация DSL",
                "text": "Если модем сообщает, что синхронизация DSL потеряна, телефонная линия до него не доходит. "
                "Подключите серый кабель DSL прямо в основную розетку, без удлинителя. Обычно синхронизация "
                "восстанавливается за 5 минут.",
                "screen": ("Модем", ["Синхронизация DSL: потеряна", "Скорость отдачи: 0 кбит/с"]),
            },
            {
                "title": "Умная розетка недоступна",
                "text": "Умная розетка становится недоступной, когда теряет связь с Wi-Fi. Выньте её из сети на "
                "10 секунд и вставьте обратно: индикатор мигает синим, пока она подключается. Розетки работают "
                "только в сетях Wi-Fi 2,4 ГГц.",
                "screen": ("Умная розетка", ["Устройство недоступно", "Последний ответ в 09:14"]),
            },
            {
                "title": "Усилитель Wi-Fi не видит роутер",
                "text": "Если усилитель не видит роутер, поставьте его посередине между роутером и комнатой без Wi-Fi. "
                "Нажмите кнопку WPS на роутере, а затем на усилителе в течение 2 минут, чтобы снова их связать.",
                "screen": ("Усилитель Wi-Fi", ["Качество связи: нет", "Усилитель не видит роутер"]),
            },
            {
                "title": "Индикатор LOS на оптическом терминале",
                "text": "Красный индикатор LOS на оптическом терминале означает, что свет с улицы до него не доходит. "
                "Проверьте, что жёлтый оптический патч-корд защёлкнут с обеих сторон и не перегнут. Если LOS "
                "горит красным, кабель повреждён снаружи, и мастер приедет в течение 2 рабочих дней.",
                "screen": ("Оптический терминал", ["LOS: горит красным", "Линия PON: нет связи"]),
            },
        ],
        "distractors": [
            ("Личный кабинет", "В личном кабинете можно сменить адрес, скачать счета и привязать новую карту."),
            ("Оплата счетов", "Счёт нужно оплатить до 1-го числа; за просрочку начисляется пеня 100 рублей."),
            ("Переезд", "Сообщите новый адрес за 30 дней до переезда, и мы перенесём подключение."),
        ],
        "missing": [
            ("Солнечный инвертор", ["Напряжение сети: вне диапазона", "Отдача в сеть остановлена"]),
            ("Постамат", ["Ячейка 14: заклинило", "Выдача невозможна"]),
            ("Посудомоечная машина", ["Подача воды: засор", "Программа приостановлена"]),
        ],
        "words": ("Помогите", "Здравствуйте, помогите, пожалуйста, смотрите скриншот во вложении"),
    },
}
# Held out: written before the focused query, the Latin re-reading of Russian screens and the panel title were
# measured on them, and never tuned on. Other products and screens; their articles sit in the same knowledge base.
HELD_OUT_SETS: dict[str, dict[str, Any]] = {
    "en": {
        "articles": [
            {
                "title": "Printer reports a paper jam in tray 2",
                "text": "When the printer reports a paper jam in tray 2, pull the tray out fully and remove any "
                "crumpled sheet. Fan the paper before you put it back and do not fill the tray above the line. "
                "Printing resumes within 30 seconds after the tray is closed.",
                "screen": ("Office printer", ["Printer status: paper jam", "Tray 2 cannot feed paper"]),
            },
            {
                "title": "Router firmware update fails with FW-217",
                "text": "Error FW-217 means the router could not verify the downloaded firmware. Restart the router, "
                "wait 3 minutes and start the update again from the Firmware page. Do not switch the router off "
                "while the update runs.",
                "screen": ("Firmware", ["Firmware update failed", "Error code: FW-217"]),
            },
            {
                "title": "VPN client shows a TLS handshake timeout",
                "text": "A TLS handshake timeout in the VPN client means the company gateway did not answer in time. "
                "Check that the clock of your laptop is correct and that port 443 is not blocked by a hotel or "
                "public Wi-Fi network, then connect again.",
                "screen": ("VPN client", ["VPN: disconnected", "TLS handshake timeout"]),
            },
            {
                "title": "EV charger stops with a ground fault",
                "text": "The wall charger pauses charging when it detects a ground fault, a small current leaking to "
                "earth. Unplug the car, wait 60 seconds and plug it in again. If the fault comes back, an "
                "electrician must test the charger's circuit.",
                "screen": ("Wall charger", ["Charging paused: ground fault detected", "Car connected"]),
            },
            {
                "title": "New SIM card shows no service",
                "text": "A new SIM card shows no service until it is activated. Activation takes up to 4 hours after "
                "the order; restart the phone afterwards. If the SIM status still says not provisioned after "
                "24 hours, call us.",
                "screen": ("SIM card", ["SIM status: not provisioned", "No service"]),
            },
        ],
        "missing": [
            ("Coffee machine", ["Descaling required", "Brewing blocked"]),
            ("Garage door", ["Obstacle detected", "Door stopped at 40%"]),
            ("Drone", ["GPS signal: weak", "Take-off not allowed"]),
        ],
    },
    "ru": {
        "articles": [
            {
                "title": "Принтер: замятие бумаги в лотке 2",
                "text": "Если принтер сообщает о замятии бумаги в лотке 2, полностью выдвиньте лоток и уберите смятый "
                "лист. Распушите бумагу и не заполняйте лоток выше метки. Печать продолжится через 30 секунд "
                "после того, как лоток закрыт. Если лоток не подает бумагу, проверьте её формат.",
                "screen": ("Принтер", ["Статус принтера: замятие бумаги", "Лоток 2 не подаёт бумагу"]),
            },
            {
                "title": "Ошибка FW-217 при обновлении прошивки роутера",
                "text": "Ошибка FW-217 значит, что роутер не смог проверить загруженную прошивку. Перезагрузите "
                "роутер, подождите 3 минуты и запустите обновление снова на странице прошивки. Не выключайте роутер, "
                "пока идёт обновление.",
                "screen": ("Прошивка", ["Обновление прошивки не выполнено", "Код ошибки: FW-217"]),
            },
            {
                "title": "VPN-клиент: тайм-аут рукопожатия TLS",
                "text": "Тайм-аут рукопожатия TLS в VPN-клиенте значит, что шлюз компании не ответил вовремя. "
                "Проверьте, что часы ноутбука идут верно и что порт 443 не закрыт сетью гостиницы или общественным "
                "Wi-Fi, и подключитесь снова.",
                "screen": ("VPN-клиент", ["VPN: отключено", "Тайм-аут рукопожатия TLS"]),
            },
            {
                "title": "Зарядная станция остановила зарядку из-за утечки тока",
                "text": "Настенная зарядная станция приостанавливает зарядку, когда обнаруживает утечку тока на землю. "
                "Отсоедините автомобиль, подождите 60 секунд и подключите снова. Если ошибка повторяется, цепь "
                "станции должен проверить электрик.",
                "screen": ("Зарядная станция", ["Зарядка приостановлена: утечка тока", "Автомобиль подключён"]),
            },
            {
                "title": "Новая SIM-карта: нет сети",
                "text": "Новая SIM-карта не ловит сеть, пока её не активировали. Активация занимает до 4 часов после "
                "заказа; затем перезагрузите телефон. Если статус SIM через 24 часа всё ещё «не активирована», "
                "позвоните нам.",
                "screen": ("SIM-карта", ["Статус SIM: не активирована", "Нет сети"]),
            },
        ],
        "missing": [
            ("Кофемашина", ["Требуется удаление накипи", "Приготовление заблокировано"]),
            ("Гаражные ворота", ["Обнаружено препятствие", "Ворота остановлены на 40%"]),
            ("Дрон", ["Сигнал GPS: слабый", "Взлёт запрещён"]),
        ],
    },
}
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def invented_numbers(text: str, sources: list[str]) -> list[str]:
    """Numbers in the answer that no help article and no screenshot line states."""
    known = set(_NUMBER.findall(" ".join(sources)))
    return [n for n in _NUMBER.findall(text) if n not in known]


def screenshot_only_answers(providers: list[str]) -> dict[str, Any]:
    """Tickets whose only words are "please see the attached screenshot", in an English (MiniLM) and a Russian
    (e5) tenant: answered from the right article, nothing invented; declined when no article covers them."""
    from django.core.management import call_command

    from assistants.models import Assistant
    from assistants.selectors import ticket_question
    from assistants.services import assistant_create
    from assistants.services.drafting import answer_for_ticket
    from assistants.vision import services
    from assistants.vision.models import AttachmentAnalysis
    from helpdesk import devstack
    from helpdesk.tenants.services import public_tenant_ensure, tenant_create
    from knowledge import services as kb
    from knowledge.models import Document
    from tickets import services as tickets

    devstack.start()
    call_command("migrate_schemas", "--shared", verbosity=0)
    public_tenant_ensure()
    rng = random.Random(5)  # noqa: S311
    held_out_rng = random.Random(6)  # noqa: S311  (its own: the tuning renders stay those measured before)
    rows = []
    for language, case in ANSWER_SETS.items():
        schema = f"bench_vshot_{language}"
        tenant = tenant_create(
            schema_name=schema, name=f"Screenshot answers {language}", domain=f"{schema}.bench.localhost",
            language=language,
        ).tenant  # fmt: skip
        held_out = HELD_OUT_SETS[language]
        with tenant_context(tenant):
            articles = case["articles"] + held_out["articles"]
            texts = [a["text"] for a in articles] + [text for _, text in case["distractors"]]
            for title, text in [(a["title"], a["text"]) for a in articles] + case["distractors"]:
                if not Document.objects.filter(title=title, status=Document.Status.INDEXED).exists():
                    document = kb.document_create_from_text(title=title, text=text, language=language, enqueue=False)
                    kb.document_index(document_id=document.pk)
            contact = tickets.contact_ensure(email="bench@example.com")
            subject, words = case["words"]
            tickets_to_ask = [
                (group, screen, expected)
                for group, source in (("tuning", case), ("held_out", held_out))
                for screen, expected in [(a["screen"], a["title"]) for a in source["articles"]]
                + [(screen, None) for screen in source["missing"]]
            ]
            for provider in providers:
                Assistant.objects.filter(name=f"bench-{provider}").delete()
                assistant = assistant_create(name=f"bench-{provider}", provider=provider, language=language)
                for index, (group, (title, lines), expected) in enumerate(tickets_to_ask):
                    image, _ = chrome_page(language, title, lines, index, rng if group == "tuning" else held_out_rng)
                    ticket = tickets.ticket_create(
                        subject=subject,
                        requester=contact,
                        by=contact,
                        description=words,
                        files=[SimpleUploadedFile("screen.png", samples.encode(image), content_type="image/png")],
                    )
                    for attachment in ticket.attachments.all():
                        services.attachment_analyse(attachment_id=attachment.pk)
                    asked = ticket_question(ticket)
                    started = time.perf_counter()
                    draft = answer_for_ticket(ticket=ticket, assistant=assistant)
                    result = draft.result
                    cited = [c["document"] for c in result["citations"]]
                    declined = bool(result.get("declined")) or not cited
                    invented = invented_numbers(result["text"], [*texts, *lines, asked.full or asked.question])
                    rows.append(
                        {
                            "set": group,
                            "language": language,
                            "provider": provider,
                            "screen": title,
                            "ocr_text": "\n".join(
                                AttachmentAnalysis.objects.filter(attachment__ticket=ticket).values_list(
                                    "text", flat=True
                                )
                            ),
                            "expected": expected,
                            "focused": asked.focused,
                            "question": asked.question,
                            "cited": cited,
                            "declined": declined,
                            "right": (not declined and bool(cited) and cited[0] == expected) if expected else declined,
                            "invented_numbers": invented,
                            "fallback_from": result.get("fallback_from"),
                            "answer_ms": round((time.perf_counter() - started) * 1000),
                            "draft": result["text"][:300],
                        }
                    )
    summary: dict[str, Any] = {}
    for group, language, provider in itertools.product(("tuning", "held_out"), ANSWER_SETS, providers):
        subset = [r for r in rows if (r["set"], r["language"], r["provider"]) == (group, language, provider)]
        answerable = [r for r in subset if r["expected"]]
        missing = [r for r in subset if not r["expected"]]
        summary[f"{group} {language}/{provider}"] = {
            "answerable": len(answerable),
            "answered_right": sum(r["right"] for r in answerable),
            "missing": len(missing),
            "declined_right": sum(r["right"] for r in missing),
            "invented_numbers": sum(len(r["invented_numbers"]) for r in subset),
            "focused_questions": sum(r["focused"] for r in subset),
        }
    return {"summary": summary, "rows": rows}


def chrome_report(
    chrome: dict[str, Any] | None, answers: dict[str, Any] | None, earlier: list[dict[str, Any]] | None = None
) -> list[str]:
    lines: list[str] = []
    if chrome:
        s = chrome["summary"]
        lines += [
            "## Screens inside account chrome (held out)",
            "",
            f"{s['all']['n']} renders of status pages, payment and form dialogs and plan pages inside a site's "
            "chrome (a menu bar or sidebar, the account's corner such as “My Account” / «Личный кабинет», "
            "breadcrumbs, a footer), three layouts, DejaVu/Liberation faces, 16-22 px, 1024-1440 px wide; "
            "Russian read by Tesseract rus, English by rapidocr; default labels; no text of these screens is a "
            "label example or a test screen. Lines are weighted by role (`assistants/vision/roles.py`).",
            "",
            "| language | n | accuracy | per label |",
            "| --- | --- | --- | --- |",
        ]
        for language in CHROME_SCREENS:
            row = s[language]
            per = ", ".join(f"{k} {v:.0%}" for k, v in row["per_label"].items())
            lines.append(f"| {language} | {row['n']} | {row['accuracy']:.1%} | {per} |")
        lines += ["", f"All: **{s['all']['accuracy']:.1%}** of {s['all']['n']} (target ≥ 90 %).", ""]
        if s["misses"]:
            lines += ["Misses:", ""]
            lines += [
                f"- {m['language']} {m['layout']}: {m['label']} → {m['predicted']} ({m['confidence']}): “{m['text']}”"
                for m in s["misses"]
            ]
            lines.append("")
    if answers:
        lines += [
            "## Screenshot-only tickets in account chrome (“Help — please see the attached screenshot”)",
            "",
            "Each ticket's only words are boilerplate; its screenshot is a status page inside a site's chrome. The "
            "question becomes the title of the panel the error sits in, the screenshot's error and status lines, then "
            "the panel's other content lines, each ending as a sentence (`ticket_question(...).focused`). `tuning`: "
            "the set the fixes were made on; `held_out`: other products and screens, written before they were "
            "measured and not tuned on (their articles sit in the same knowledge base). Answers come from the "
            "engine as it is on this branch. Right: the "
            "first citation is the article about that page; for pages no article covers, right means declined. "
            "Invented numbers: numbers in the draft that no article and no screenshot line states.",
            "",
            "| language / provider | answered from the right article | declined without an article | "
            "invented numbers | focused questions |",
            "| --- | --- | --- | --- | --- |",
        ]
        for key, row in answers["summary"].items():
            lines.append(
                f"| {key} | {row['answered_right']} / {row['answerable']} | {row['declined_right']} / "
                f"{row['missing']} | {row['invented_numbers']} | {row['focused_questions']} / "
                f"{row['answerable'] + row['missing']} |"
            )
        for number, summary in enumerate(earlier or [], 1):
            lines += [
                "",
                f"Earlier run {number}: "
                + "; ".join(
                    f"{key} right {row['answered_right']}/{row['answerable']}, declined {row['declined_right']}/"
                    f"{row['missing']}, invented {row['invented_numbers']}"
                    for key, row in summary.items()
                ),
            ]
        lines += [
            "",
            "Earlier runs: 1 before the focus took content lines; 3 and 4 steps of the change below (4: before a "
            "Latin re-reading could win by any confidence margin). In run 2, and on all 32 tickets with the code "
            "before the change (same knowledge base: tuning en 4/5, ru 2/5, held-out en 5/5, ru 2/5, declined "
            "12/12, 0 invented), the Russian misses came from Tesseract rus reading the Latin terms "
            "as Cyrillic look-alikes or symbols (`LOS` → `1O5`, `PON` → `РОН`/`РОМ`, `DSL` → `0$`, `Wi-Fi` → "
            "`\\-H`, `VPN` → `УРМ`, `SIM` → `ЗМ`, `FW-217` → `Е\\-217`), from the panel's title (the device) "
            "being left out as a two-word label, and from lines run together without full stops, so that the "
            "capital of each next line counted as a name no article mentions (the answer floor rises by 0.15). Now "
            "the words the Russian model may have misread from Latin are read again by Tesseract eng "
            "(`assistants/vision/tesseract.py`), the panel's title leads the question (`roles.panel_heading`), "
            "lines above it (menus, breadcrumbs OCR ran together) are left out, and each line ends as a sentence.",
            "",
            "Still weak: a screen term the article never names (`PON` on the LOS page) keeps the raised floor; "
            "the Russian LOS page passed at 0.708 against a floor of 0.70. Held-out OCR slips still seen after the "
            "change: `VPN-клиент` → `УРМ-клиент` (a hyphen joins it to a Russian word, so it is not re-read), "
            "`SIM` → `ЗМ`, `GPS` → `CP5`, `Взлёт` → `Вэлёт`; those tickets were answered or declined right anyway.",
        ]
        lines += ["", "Per ticket:", ""]
        for r in answers["rows"]:
            outcome = "declined" if r["declined"] else f"cited {', '.join(r['cited'])}"
            lines.append(
                f"- {r['language']}/{r['provider']} · {r['screen']} · expected "
                f"{r['expected'] or 'a decline'} · {outcome} · {'right' if r['right'] else 'WRONG'}"
                + (f" · invented {r['invented_numbers']}" if r["invented_numbers"] else "")
                + (f" · fell back from {r['fallback_from']}" if r["fallback_from"] else "")
            )
        lines.append("")
    return lines


def write_report(report: dict[str, Any]) -> None:
    s = report["summary"]
    lines = [
        "# Screenshot triage benchmark (`bench/vision.py`)",
        "",
        f"{report['when']} · {report['machine']} · load average at start {report['loadavg_start']}, "
        f"at end {report['loadavg_end']} (other helpers share the 2 cores: latencies are noisy, accuracies are not).",
        "",
        f"{s['images']} images: {s['screenshots']} rendered screenshots (error dialogs, payment failures, login "
        f"screens, empty states, product pages; fonts {', '.join(report['fonts'])}; "
        f"sizes {', '.join(report['sizes'])}; "
        f"noise 0/0.3/0.6; half inside a busy app frame) and {s['photos']} text-free photo-like images. "
        "Default labels; texts differ from the labels' examples.",
        "",
        "## Category",
        "",
        "| source | accuracy, text-bearing screenshots | macro-F1, screenshots | accuracy, all | macro-F1, all |",
        "| --- | --- | --- | --- | --- |",
    ]
    for source in ("ocr", "clip", "both"):
        row = s[source]
        lines.append(
            f"| {source} | {row['accuracy_text_screenshots']:.1%} | {row['macro_f1_text_screenshots']} | "
            f"{row['accuracy_all']:.1%} | {row['macro_f1_all']} |"
        )
    lines += [
        "",
        "Target: at least 90 % on text-bearing screenshots. `clip` and `both` use the tiny *random* CLIP (no CLIP "
        "weights are on the registries): its scores carry no information (here it favours `other` for every image, "
        "so only the photos come out right) and `both` shows that mixing it in at `VISION_TEXT_WEIGHT` changes no "
        "text-side decision; with a real checkpoint (`VISION_CLIP_CHECKPOINT`) these rows measure CLIP itself. "
        "Photos count as right for `ocr` when no text was found and the fallback label (`other`) was given.",
        "",
        "OCR-side accuracy per label: " + ", ".join(f"{k} {v:.0%}" for k, v in s["per_label_ocr_accuracy"].items()),
        "",
    ]
    if s["confusions_ocr"]:
        lines += ["Misclassified screenshots (text side):", ""]
        lines += [
            f"- {c['label']} → {c['predicted']}: “{' / '.join(c['text'].splitlines())}”" for c in s["confusions_ocr"]
        ]
        lines.append("")
    lines += [
        "## OCR",
        "",
        f"Character accuracy (1 - edit distance / length, whitespace normalised) on screenshots: "
        f"**{s['char_accuracy_mean']:.1%}**; by noise: "
        + ", ".join(f"{k}: {v:.1%}" for k, v in s["char_accuracy_by_noise"].items())
        + "; by font: "
        + ", ".join(f"{k}: {v:.1%}" for k, v in s["char_accuracy_by_font"].items())
        + f". Photos where OCR found any text: {s['photos_with_text_found']} of {s['photos']}.",
        "",
        "| size | n | OCR p50 ms | OCR p95 ms | OCR CPU p50 ms | OCR CPU p95 ms | whole pipeline p50 ms | p95 ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for size, row in s["latency"].items():
        lines.append(
            f"| {size} | {row['n']} | {row['ocr_ms_p50']} | {row['ocr_ms_p95']} | {row['ocr_cpu_ms_p50']} | "
            f"{row['ocr_cpu_ms_p95']} | {row['total_ms_p50']} | {row['total_ms_p95']} |"
        )
    lines += [
        "",
        "Wall-clock times are measured while the machine's load average is far above its 2 cores (see the top); "
        "the CPU time is the OCR's own, summed over its threads, so on an idle 2-core machine its wall-clock time "
        "lies between half of it (both cores busy) and all of it. "
        f"Target: OCR p95 under 2 s for 1280x800. Settings: detection at `VISION_OCR_DET_SIDE`="
        f"{report['settings']['VISION_OCR_DET_SIDE']} px, images read at most "
        f"{report['settings']['VISION_OCR_MAX_SIDE']} "
        "px on their long side, the 180° text classifier off (screenshots are upright).",
        "",
        "## Screenshot-only tickets: does the draft cite the right article?",
        "",
        "| provider | ticket's screenshot shows | cited | first citation right |",
        "| --- | --- | --- | --- |",
    ]
    for row in report["drafts"]:
        lines.append(
            f"| {row['provider']}{' (fell back: ' + row['fallback_from'] + ')' if row['fallback_from'] else ''} | "
            f"{row['expected']} | {', '.join(row['cited']) or '—'} | {'yes' if row['first_cited_right'] else 'no'} |"
        )
    if any(row["fallback_from"] for row in report["drafts"]):
        lines += [
            "",
            "A provider marked *fell back* passed `LLM_TIMEOUT_SECONDS` on this loaded machine and the answer was "
            "built extractively from the same retrieval (the product's normal fallback); retrieval is what the "
            "screenshot text drives, so the citations hold either way.",
        ]
    lines.append("")
    lines += chrome_report(report.get("chrome"), report.get("screenshot_only"), report.get("screenshot_only_earlier"))
    (RESULTS / "vision.md").write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--renders", type=int, default=2, help="renders of each screen text")
    parser.add_argument("--providers", default="extractive,llamacpp")
    parser.add_argument("--report-only", action="store_true", help="rewrite the Markdown from the JSON")
    parser.add_argument(
        "--chrome-only",
        action="store_true",
        help="only the screens in account chrome and the screenshot-only tickets (the rest of the JSON is kept)",
    )
    parser.add_argument("--no-answers", action="store_true", help="with --chrome-only: categories only")
    parser.add_argument("--answers-only", action="store_true", help="with --chrome-only: keep the stored categories")
    parser.add_argument("--answer-providers", default="extractive", help="providers of the screenshot-only tickets")
    args = parser.parse_args()
    if args.report_only:
        write_report(json.loads((RESULTS / "vision.json").read_text()))
        return
    if args.chrome_only:
        labels = [
            pipeline.LabelSpec(d["name"], d["title"], d["description"], d["examples"], d["is_fallback"])
            for d in DEFAULT_LABELS
        ]
        report = json.loads((RESULTS / "vision.json").read_text())
        report["chrome_when"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        if not args.answers_only:
            report["chrome"] = chrome_classification(labels, renders=args.renders)
            print(json.dumps(report["chrome"]["summary"], indent=1, ensure_ascii=False))
        if "screenshot_only" in report and args.answers_only:
            report.setdefault("screenshot_only_earlier", []).append(report["screenshot_only"]["summary"])
        if args.no_answers:
            (RESULTS / "vision.json").write_text(json.dumps(report, indent=1, default=str, ensure_ascii=False))
            write_report(report)
            return
        report["screenshot_only"] = screenshot_only_answers(args.answer_providers.split(","))
        print(json.dumps(report["screenshot_only"]["summary"], indent=1, ensure_ascii=False))
        (RESULTS / "vision.json").write_text(json.dumps(report, indent=1, default=str, ensure_ascii=False))
        write_report(report)
        return
    loadavg_start = Path("/proc/loadavg").read_text().split()[:3]
    labels = [
        pipeline.LabelSpec(d["name"], d["title"], d["description"], d["examples"], d["is_fallback"])
        for d in DEFAULT_LABELS
    ]
    with tempfile.TemporaryDirectory() as folder:
        settings.VISION_CLIP_CHECKPOINT = str(samples.write_tiny_clip(Path(folder)))
        rows = classify_cases(fixture(args.renders), labels)
        settings.VISION_CLIP_CHECKPOINT = ""
    summary = summarise(rows, [label.name for label in labels])
    print(json.dumps({k: summary[k] for k in ("ocr", "clip", "both", "char_accuracy_mean", "latency")}, indent=1))
    print(json.dumps(summary["confusions_ocr"], indent=1))
    draft_rows = drafts(args.providers.split(",")) if args.providers else []
    report = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "loadavg_start": " ".join(loadavg_start),
        "loadavg_end": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        "fonts": sorted({r["font"] for r in rows if r["font"]}),
        "sizes": [f"{w}x{h}" for w, h in SIZES],
        "settings": {name: getattr(settings, name) for name in dir(settings) if name.startswith("VISION_")},
        "summary": summary,
        "drafts": draft_rows,
        "rows": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "vision.json").write_text(json.dumps(report, indent=1, default=str))
    write_report(report)
    print((RESULTS / "vision.md").read_text())


if __name__ == "__main__":
    main()
