"""A dataset version as training data: responses or labels as answers, its eval split held out, 404 across tenants."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from assistants.lora import dataset
from assistants.lora.models import Adapter
from assistants.lora.sources.dataset import SOURCE, MissingVersion
from assistants.lora.tests.test_versions import API, FORM
from datasets.models import Dataset, Version, VersionRow

ROWS = [
    ("train", "How do I export my invoices?", "", "Go to Billing, then Export, and pick a year."),
    ("train", "The app crashes when I upload a photo", "bug", ""),
    ("train", "Can I pay by bank transfer?", "", "Yes: choose Bank transfer at checkout."),
    ("train", "Please cancel my subscription", "cancel", ""),
    ("train", "I was charged twice this month", "billing", ""),
    ("eval", "Where do I download last year's invoices?", "", "Billing → Export → choose the year."),
    ("eval", "Refund the second charge please", "billing", ""),
    ("eval", "", "billing", ""),  # no text: skipped
]


def make_version(name: str = "Support") -> Version:
    data = Dataset.objects.create(name=name)
    counts: dict[str, dict[str, int]] = {"train": {}, "eval": {}}
    for split, _, label, _ in ROWS:
        if label:
            counts[split][label] = counts[split].get(label, 0) + 1
    version = Version.objects.create(
        dataset=data, tag="v1.0.0", content_hash="0" * 64, counts=counts, train_count=5, eval_count=3
    )
    VersionRow.objects.bulk_create(
        VersionRow(version=version, split=split, position=i, text=text, text_hash=str(i), label=label, response=reply)
        for i, (split, text, label, reply) in enumerate(ROWS)
    )
    return version


@pytest.fixture
def bot(acme, assistant_in):
    return assistant_in(acme)


def test_rows_become_pairs_and_the_versions_eval_split_is_held_out(acme, bot):
    with tenant_context(acme):
        version = make_version()
        examples, summary = dataset.build(bot, [{"kind": "dataset", "version": version.pk}], retrieve=False)
        assert SOURCE.available(bot) == 8
    assert summary.per_source == {"dataset": 7} and (summary.train, summary.heldout) == (5, 2)
    by_question = {e.question: e for e in examples}
    invoice = by_question["How do I export my invoices?"]
    assert invoice.answer == "Go to Billing, then Export, and pick a year." and invoice.split == "train"
    labelled = next(e for e in examples if "I was charged twice" in e.question)
    assert labelled.answer == "billing" and "Answer with one of: billing, bug, cancel." in labelled.question
    assert {e.question for e in examples if e.split == "heldout"} == {
        "Where do I download last year's invoices?",
        next(e.question for e in examples if "Refund the second charge" in e.question),
    }


def test_a_deleted_version_fails_the_job_as_no_data(acme, bot):
    with tenant_context(acme), pytest.raises(MissingVersion, match="no longer exists") as error:
        dataset.build(bot, [{"kind": "dataset", "version": 999999}], retrieve=False)
    assert isinstance(error.value, dataset.NoData)


def test_api_trains_on_a_dataset_version_and_another_tenants_version_is_404(
    acme, globex, bot, api_client, media_cleanup
):
    with tenant_context(acme):
        ours = make_version()
    with tenant_context(globex):
        theirs = make_version("Globex data")
        while theirs.pk == ours.pk:  # ids are per schema: take one that acme does not have
            theirs = make_version(f"Globex data {theirs.pk}")
    foreign = api_client.post(API.format(bot.pk), {"dataset_version": theirs.pk}, "application/json")
    assert foreign.status_code == 404
    response = api_client.post(API.format(bot.pk), {"dataset_version": ours.pk}, "application/json")
    assert response.status_code == 202, response.content
    assert response.json()["sources"] == [{"kind": "dataset", "version": ours.pk}]
    missing = api_client.post(API.format(bot.pk), {"dataset_version": ours.pk + 1000}, "application/json")
    assert missing.status_code == 404
    bare = api_client.post(API.format(bot.pk), {"sources": ["dataset"]}, "application/json")
    assert bare.status_code == 400 and "sources" in bare.json()
    with tenant_context(acme):
        assert Adapter.objects.count() == 1


def test_manager_picks_a_dataset_version_in_the_page(acme, bot, manager_client, media_cleanup):
    with tenant_context(acme):
        version = make_version()
    new = f"/assistants/{bot.pk}/adapters/new/"
    page = manager_client.get(new).content.decode()
    assert "Dataset version" in page and "Support v1.0.0 (5 train / 3 held out)" in page
    preview = manager_client.post(new, {"preview": "1", "dataset_version": version.pk, **FORM}, HTTP_HX_REQUEST="true")
    html = preview.content.decode()
    assert preview.status_code == 200 and "5 examples to train on, 2 held out" in html
    assert "Support v1.0.0 train row 1" in html
    bogus = manager_client.post(new, {"preview": "1", "dataset_version": version.pk + 1000, **FORM})
    assert bogus.status_code == 422 and "Select a valid choice" in bogus.content.decode()


def test_the_dataset_source_is_offered_only_while_an_app_offers_versions(monkeypatch):
    from assistants.lora.sources import registry
    from helpdesk.ai import examples

    assert "dataset" in registry()  # the datasets app registered its versions
    monkeypatch.setattr(examples, "_collection", None)
    assert "dataset" not in registry()
