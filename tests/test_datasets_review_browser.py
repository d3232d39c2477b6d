"""The review queue shrinks as a reviewer works, in a real browser with the real worker and models.

A run with one row in ten labelled (too few to calibrate on) sends every unlabelled row to review, each with
the labeler's suggestion; nothing is labelled on an uncalibrated confidence. A reviewer gives the right label
with the keyboard; every few decisions the worker retrains and checks, on the rows the reviewer decided, how
often the labeler (retrained without each of them) matches the decision. Until the lower bound of that share
reaches the target precision the page says so, with the figures, and nothing is labelled for the reviewer; then
the labeler labels the waiting rows it is sure of, the queue holds fewer rows than the decisions alone explain,
and the page says how many rows the reviewer's decisions labelled. In English (MiniLM) and Russian (e5).
"""

from __future__ import annotations

import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from conftest import PASSWORD, make_user
from datasets import pipeline, selectors, services
from datasets.models import Row, Run
from datasets.sample import messages
from datasets.steps.base import Mapping
from datasets.tests import russian
from datasets.text import normalise

EVERY = 6  # the worker retrains after every 6 decisions
MOST = 60  # the labeler should have matched the reviewer well before this
LABELS = ["billing", "password", "shipping", "bug"]
CASES = {
    "en": {"model": "minilm", "locale": "en-US", "email": "Email", "password": "Password", "sign_in": "Sign in",
           "left": r"· (\d+) left", "learned": r"(\d+) rows? labelled for you by your last 20 decisions",
           "waits": r"matches enough of them: (\d+) of (\d+) so far"},
    "ru": {"model": "e5", "locale": "ru-RU", "email": "Эл. почта", "password": "Пароль", "sign_in": "Войти",
           "left": r"осталось (\d+)", "learned": r"(\d+) строк\w* размечен\w* за вас по вашим последним 20 решениям",
           "waits": r"пока (\d+) из (\d+)"},
}  # fmt: skip


@pytest.fixture
def db(committed):
    """Committed rows under the name `db`: the live server's thread and the worker must see them."""
    return


def _few_labels_run(acme, language: str) -> tuple[Run, dict[str, str]]:
    """A run of 90 messages, one in ten labelled: too few to calibrate on, most rows wait. Gold labels by text."""
    sample = messages(90, seed=21, labels=LABELS) if language == "en" else russian.messages(90, seed=21)
    names = sorted({m.label for m in sample})  # the labels a manager names on the mapping page
    lines = ["message,intent"] + [
        '"{}",{}'.format(m.text.replace('"', '""'), m.label if i % 10 == 0 else "") for i, m in enumerate(sample)
    ]
    with tenant_context(acme):
        dataset = services.dataset_create(name="Few labels")
        data = SimpleUploadedFile("few.csv", "\n".join(lines).encode())
        upload = services.upload_create(dataset=dataset, uploaded=data)
        run = services.run_create(upload=upload, mapping=Mapping(text="message", label="intent"),
                                  options={"create_version": False, "use_llm": False, "labels": names})  # fmt: skip
        pipeline.run_process(run_id=run.pk)
        run.refresh_from_db()
        assert run.status == Run.Status.REVIEW, run.error
    return run, {normalise(m.text): m.label for m in sample}


def _number(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    assert found, (pattern, text)
    return int(found[1])


def _relabelled(run: Run) -> dict:
    """Wait until the worker has retrained on every decision made so far; the figures it stored."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        run.refresh_from_db()
        stored = run.step_state("label")["counts"].get("review_agreement")
        if stored and stored["decided"] == selectors.decided_in_queue(run).count():
            return stored
        time.sleep(0.5)
    raise AssertionError("the worker did not retrain on the decisions")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_queue_shrinks_by_more_than_the_decisions_made_once_the_labeler_matches_them(
    db, live_app, browser, celery_worker, settings, language
):  # fmt: skip
    from helpdesk.tenants.models import Tenant

    case = CASES[language]
    settings.DATASETS_RETRAIN_EVERY = EVERY  # read where the decision is made: in the live server's thread
    settings.DATASETS_TARGET_PRECISION = 0.95
    acme = Tenant.objects.get(schema_name="acme")
    before_model = acme.embedding_model
    Tenant.objects.filter(pk=acme.pk).update(embedding_model=case["model"])  # the worker reads it too
    acme.embedding_model = case["model"]
    try:
        run, gold = _few_labels_run(acme, language)
        reviewer = make_user(acme, f"reviewer-{language}@acme.test", "agent")
        with tenant_context(acme):
            reviewer.language = language
            reviewer.save(update_fields=["language"])
            assert not Row.objects.filter(run=run, original_label="", status=Row.Status.READY).exists()
        context = browser.new_context(locale=case["locale"])
        page = context.new_page()
        page.goto(live_app.url("acme", f"/accounts/login/?next=/datasets/runs/{run.pk}/review/"))
        page.get_by_label(case["email"]).fill(reviewer.email)
        page.get_by_label(case["password"]).fill(PASSWORD)
        page.get_by_role("button", name=case["sign_in"]).click()
        page.wait_for_url("**/review/")
        progress = page.locator("#review-progress small")
        waiting_before = _number(case["left"], progress.inner_text())
        assert waiting_before >= 70, progress.inner_text()
        assert page.locator("#labelled-for-you").count() == 0
        first = re.search(case["waits"], page.locator("#labelling-waits").inner_text())
        assert first and (first[1], first[2]) == ("0", "0")  # nothing decided, nothing labelled for the reviewer

        keyed = page.locator("#review-item form:has([data-key]) input[name=label]")
        keys = {keyed.nth(n).get_attribute("value"): str(n + 1) for n in range(keyed.count())}
        made = learned = 0
        while not learned and made < MOST:
            for _ in range(EVERY):
                text = page.locator("#review-text").inner_text()
                page.keyboard.press(keys[gold[normalise(text)]])
                page.wait_for_function("t => document.querySelector('#review-text')?.innerText !== t", arg=text)
                made += 1
            with tenant_context(acme):
                stored = _relabelled(run)
                learned = selectors.labelled_for_you(run)
            if not learned:  # the page says why nothing is labelled yet, with the figures the worker stored
                assert not stored["reached"]
                page.reload()
                shown = re.search(case["waits"], page.locator("#labelling-waits").inner_text())
                assert shown and (int(shown[1]), int(shown[2])) == (stored["matched"], stored["decided"])
        assert learned > 0, f"the labeler labelled nothing after {made} decisions"
        with tenant_context(acme):
            rows = list(Row.objects.filter(run=run, method="learned"))
        right = sum(gold[normalise(r.text)] == r.label for r in rows)
        assert len(rows) == learned and right / learned >= 0.9, (right, learned)

        page.reload()
        expect(page.locator("#labelled-for-you")).to_be_visible()
        assert page.locator("#labelling-waits").count() == 0
        waiting_after = _number(case["left"], progress.inner_text())
        assert waiting_before - waiting_after > made
        assert waiting_before - waiting_after == made + learned
        assert _number(case["learned"], page.locator("#labelled-for-you").inner_text()) == learned
        context.close()
    finally:
        Tenant.objects.filter(pk=acme.pk).update(embedding_model=before_model)
