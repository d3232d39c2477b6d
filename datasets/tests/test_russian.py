"""The datasets pages in Russian for a Russian reader, unchanged in English; the catalogue is complete."""

from __future__ import annotations

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import translation

from datasets.forms import WriteForm
from datasets.models import Row, Run
from datasets.sample import messages
from datasets.tests.conftest import csv_bytes, process, rows_of, upload, version_of, write
from testing.i18n import (
    CYRILLIC,
    leaks,
    reading_russian,
    russian_in,
)

APP = "datasets"


def _pages(client, written, manager):
    """Every page of the app with content: the list, a dataset, a run, its review queue, a version, a diff."""
    dataset = written.dataset
    fresh = messages(10, seed=41, labels=["billing", "password", "shipping"])
    review = process(upload(dataset, csv_bytes(rows_of(fresh, labeled_every=1000))), labels=["refund"])
    Row.objects.filter(run=review).update(status=Row.Status.READY, review_reason="", label=F("suggested_label"))
    Row.objects.filter(run=review, position__lt=3).update(
        status=Row.Status.REVIEW, review_reason="low_confidence", confidence=0.3, label=""
    )
    Run.objects.filter(pk=review.pk).update(status=Run.Status.REVIEW)
    second = write(process(upload(dataset, csv_bytes(rows_of(messages(12, seed=5, labels=["billing", "bug"]))))))
    urls = {
        "list": "/datasets/",
        "dataset": f"/datasets/{dataset.pk}/",
        "run": f"/datasets/runs/{written.pk}/",
        "run in review": f"/datasets/runs/{review.pk}/",
        "review": f"/datasets/runs/{review.pk}/review/",
        "mapping": f"/datasets/uploads/{review.upload_id}/",
        "version": f"/datasets/{dataset.pk}/versions/{version_of(written).tag}/",
        "diff": f"/datasets/{dataset.pk}/diff/?base={version_of(written).tag}&other={version_of(second).tag}",
        "rejected": f"/datasets/{dataset.pk}/rejected/",
    }
    return {name: client.get(url).content.decode() for name, url in urls.items()}


def test_every_page_reads_russian_for_a_russian_reader(manager_client, written, manager):
    with reading_russian(manager):
        pages = _pages(manager_client, written, manager)

    for name, page in pages.items():
        assert leaks(page, APP) == [], name
        assert CYRILLIC.search(page), name
    assert "Наборы данных" in pages["list"] and "Загрузить и сопоставить столбцы" in pages["list"]
    assert "Текущая версия" in pages["dataset"] and "Откатить к предыдущей версии" in pages["dataset"]
    assert "Импорт и нормализация" in pages["run"] and "импортировано" in pages["run"]
    assert "3 строки ждут проверки" in pages["run in review"] and "Открыть очередь проверки" in pages["run in review"]
    assert "Очередь проверки" in pages["review"] and "Отменить моё последнее решение" in pages["review"]
    assert "Сопоставьте столбцы файла" in pages["mapping"] and "Запустить конвейер" in pages["mapping"]
    assert "Как записана" in pages["version"] and "Классификатор (логистическая регрессия)" in pages["version"]
    assert "По меткам" in pages["diff"] and "без изменений:" in pages["diff"]
    assert "Отклонённые строки" in pages["dataset"] and "Искать в тексте или номере" in pages["rejected"]


def test_the_same_pages_stay_english_for_an_english_reader(manager_client, written, manager):
    pages = _pages(manager_client, written, manager)

    assert {name: russian_in(page, APP) for name, page in pages.items() if russian_in(page, APP)} == {}
    assert "Upload and map columns" in pages["list"] and "Roll back to the previous version" in pages["dataset"]
    assert "3 rows wait for review" in pages["run in review"] and "Undo my last decision" in pages["review"]
    assert "Classifier (logistic regression)" in pages["version"] and "unchanged" in pages["diff"]


def test_a_count_takes_each_russian_plural_form(written):
    def pending(count: int) -> str:
        context = {"run": written, "write_form": WriteForm(), "progress": {"pending": count}}
        return " ".join(render_to_string("datasets/_write_form.html", context).split())

    with translation.override("ru"):
        said = {count: pending(count) for count in (1, 2, 5, 21)}
    english = pending(2)

    assert "1 строка, ещё ждущая проверки, не войдёт в версию." in said[1]
    assert "2 строки, ещё ждущие проверки, не войдут в версию." in said[2]
    assert "5 строк, ещё ждущих проверки, не войдут в версию." in said[5]
    assert "21 строка, ещё ждущая проверки, не войдёт в версию." in said[21]
    assert "2 rows still waiting for review will be left out." in english


def test_upload_errors_follow_the_reader(manager_client, dataset, manager):
    def refused(name: str, data: bytes) -> str:
        form = {"dataset": dataset.pk, "file": SimpleUploadedFile(name, data)}
        return manager_client.post("/datasets/upload/", form, follow=True).content.decode()

    with reading_russian(manager):
        wrong_type, no_rows = refused("notes.txt", b"hello"), refused("a.csv", b"text\n")
    english = refused("a.csv", b"text\n")

    assert "Тип файла notes.txt не поддерживается; загрузите один из:" in wrong_type
    assert "В файле нет строк: только заголовок или вообще ничего." in no_rows
    assert "The file has no rows: only a header, or nothing at all." in english


def test_the_admin_names_the_app_in_the_readers_language():
    with translation.override("ru"):
        assert str(apps.get_app_config("datasets").verbose_name) == "Наборы данных"
    assert str(apps.get_app_config("datasets").verbose_name) == "Datasets"
