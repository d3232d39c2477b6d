"""Rejected rows stay out of later runs until a person restores them: the dataset's page of rejected rows
(search, pages, empty state), its HTMX Restore button and the API, in English and Russian with the real
models; a restored row is labelled or reviewed again in the next run; only a manager may restore."""

from __future__ import annotations

from django.utils.translation import override

from datasets import services
from datasets.models import ReviewDecision, Row, Run
from datasets.tests.conftest import csv_bytes, process, rows_of, upload
from datasets.tests.test_calibration import corpus
from testing.i18n import reading_russian

HX = {"HX-Request": "true"}
WORDS = {
    "en": {"title": "Rejected rows", "button": "Restore", "done": "Restored: waits for review in run",
           "empty": "No rejected rows", "none_match": "No rejected row matches"},
    "ru": {"title": "Отклонённые строки", "button": "Восстановить", "done": "Восстановлена: ждёт проверки в запуске",
           "empty": "Отклонённых строк нет", "none_match": "Ни одна отклонённая строка не содержит"},
}  # fmt: skip


def _rejected_in_a_later_run(dataset, language, manager):
    """Two runs of the same file; a reviewer rejected one row in the first, so the second keeps it rejected."""
    data = csv_bytes(rows_of(corpus(language, 90, seed=6), labeled_every=3))
    first = process(upload(dataset, data))
    target = Row.objects.get(run=first, position=1)
    Row.objects.filter(pk=target.pk).update(status=Row.Status.REVIEW, review_reason="low_confidence")
    services.review_decide(row=target, action="reject", by=manager)
    second = process(upload(dataset, data))
    again = Row.objects.get(run=second, text_hash=target.text_hash)
    assert again.status == Row.Status.REJECTED
    return data, again


def test_a_manager_restores_a_row_and_the_next_run_labels_it_again(dataset, language, manager, manager_client):
    data, again = _rejected_in_a_later_run(dataset, language, manager)
    words = WORDS[language]
    url = f"/datasets/{dataset.pk}/rejected/"
    with reading_russian(manager) if language == "ru" else override("en"):
        page = manager_client.get(url).content.decode()
        assert words["title"] in page and again.text in page and words["button"] in page
        assert page.count('data-row="') == 1  # the same text rejected in two runs is listed once
        found = manager_client.get(url, {"q": again.text[5:25].upper()}, headers=HX).content.decode()
        assert again.text in found and "<html" not in found
        missed = manager_client.get(url, {"q": "zz-nothing-zz"}, headers=HX).content.decode()
        assert words["none_match"] in missed
        restored = manager_client.post(f"{url}{again.pk}/restore/", headers=HX)
        assert restored.status_code == 200 and words["done"] in restored.content.decode()
        assert words["empty"] in manager_client.get(url).content.decode()

    again.refresh_from_db()
    assert again.status == Row.Status.REVIEW and again.review_reason == Row.Reason.RESTORED
    assert ReviewDecision.objects.filter(row=again, action="restore", reviewer=manager).exists()
    third = process(upload(dataset, data))
    later = Row.objects.get(run=third, text_hash=again.text_hash)
    assert later.status in {Row.Status.READY, Row.Status.REVIEW} and later.method != "rejected_before"
    assert later.suggested_label and third.step_state("label")["counts"]["rejected_before"] == 0


def test_someone_who_is_not_a_manager_cannot_restore(dataset, language, manager, agent, agent_client):
    _data, again = _rejected_in_a_later_run(dataset, language, manager)
    words = WORDS[language]
    url = f"/datasets/{dataset.pk}/rejected/"
    with reading_russian(agent) if language == "ru" else override("en"):
        page = agent_client.get(url).content.decode()
        assert again.text in page and words["button"] not in page  # an agent sees the rows, not the button
    assert agent_client.post(f"{url}{again.pk}/restore/", headers=HX).status_code == 403
    assert agent_client.post(f"/api/v1/datasets/{dataset.pk}/rejected/{again.pk}/restore").status_code == 403
    again.refresh_from_db()
    assert again.status == Row.Status.REJECTED


def test_the_api_lists_searches_and_restores_rejected_rows(dataset, language, manager, api):
    data, again = _rejected_in_a_later_run(dataset, language, manager)
    listed = api.get(f"/api/v1/datasets/{dataset.pk}/rejected").json()
    assert listed["count"] == 1 and listed["results"][0]["row_id"] == again.pk
    assert api.get(f"/api/v1/datasets/{dataset.pk}/rejected", {"q": "zz-nothing-zz"}).json()["count"] == 0
    restored = api.post(f"/api/v1/datasets/{dataset.pk}/rejected/{again.pk}/restore")
    assert restored.status_code == 200 and restored.json()["status"] == "review"
    twice = api.post(f"/api/v1/datasets/{dataset.pk}/rejected/{again.pk}/restore")
    assert twice.status_code == 409 and twice.json()["detail"]
    assert Run.objects.get(pk=again.run_id).status == Run.Status.REVIEW
    third = process(upload(dataset, data))
    assert Row.objects.get(run=third, text_hash=again.text_hash).status != Row.Status.REJECTED


def test_a_row_of_another_dataset_is_not_found(dataset, language, manager, manager_client):
    _data, again = _rejected_in_a_later_run(dataset, language, manager)
    other = services.dataset_create(name="Other", by=manager)
    assert manager_client.post(f"/datasets/{other.pk}/rejected/{again.pk}/restore/").status_code == 404
