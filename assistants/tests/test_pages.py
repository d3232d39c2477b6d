import pytest
from django_tenants.utils import tenant_context

from assistants.models import Assistant
from assistants.services import assistant_create, assistant_set_default


@pytest.fixture
def helper(acme):
    with tenant_context(acme):
        return assistant_create(name="Helper", company="Acme")


def test_empty_state_guides_a_new_manager(manager_client):
    html = manager_client.get("/assistants/").content.decode()
    assert "No assistant yet" in html
    assert "Create the first assistant" in html


def test_manager_creates_an_assistant_with_safe_defaults(acme, manager_client):
    response = manager_client.post("/assistants/new/", {"name": "Sam", "language": "en", "tone": "friendly"})
    with tenant_context(acme):
        sam = Assistant.objects.get(name="Sam")
        assert response["Location"] == f"/assistants/{sam.pk}/"
        assert "Acme Corporation" in sam.policy
        assert sam.is_default
        assert sorted(sam.request_types.values_list("name", flat=True)) == ["complaint", "sales", "support"]
        assert sam.always_escalate_types == ["complaint"]


def test_creation_form_explains_errors_and_keeps_input(manager_client, helper):
    response = manager_client.post("/assistants/new/", {"name": "Helper", "language": "en", "tone": "loud"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "already exists" in html
    assert "Select a valid choice" in html


def test_manager_edits_settings_and_request_types(acme, manager_client, helper):
    with tenant_context(acme):
        types = list(helper.request_types.order_by("name"))
    data = {
        "name": "Helper",
        "policy": "Be brief.",
        "tone": "concise",
        "language": "ru",
        "provider": "extractive",
        "model_name": "",
        "strategy": "compose",
        "citation_style": "sources",
        "temperature": "0.1",
        "max_new_tokens": "64",
        "top_k": "3",
        "min_similarity": "0.4",
        "tag_filters": "billing, faq",
        "history_turns": "4",
        "escalation_keywords": "lawyer",
        "escalate_below_similarity": "0.5",
        "always_escalate_types": "complaint",
        "types-TOTAL_FORMS": str(len(types) + 1),
        "types-INITIAL_FORMS": str(len(types)),
        "types-MIN_NUM_FORMS": "0",
        "types-MAX_NUM_FORMS": "1000",
    }
    for index, request_type in enumerate(types):
        data |= {
            f"types-{index}-id": str(request_type.pk),
            f"types-{index}-name": request_type.name,
            f"types-{index}-prompt": request_type.prompt,
            f"types-{index}-examples": request_type.examples,
        }
    data |= {f"types-{len(types)}-name": "billing", f"types-{len(types)}-examples": "Where is my invoice?"}
    data["types-0-DELETE"] = "on"  # complaint
    response = manager_client.post(f"/assistants/{helper.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    with tenant_context(acme):
        helper.refresh_from_db()
        assert (helper.language, helper.top_k, helper.tag_filters) == ("ru", 3, ["billing", "faq"])
        assert (helper.strategy, helper.citation_style) == ("compose", "sources")
        assert sorted(helper.request_types.values_list("name", flat=True)) == ["billing", "sales", "support"]


def test_invalid_settings_are_refused_with_reasons(manager_client, helper):
    response = manager_client.post(f"/assistants/{helper.pk}/edit/", {"name": "", "top_k": "500"})
    assert response.status_code == 400
    assert b"This field is required" in response.content


def test_long_form_errors_are_summed_up_at_the_top_with_links(manager_client, helper):
    html = manager_client.post(
        f"/assistants/{helper.pk}/edit/", {"name": "", "top_k": "500", "language": "klingon", "policy": "Be kind."}
    ).content.decode()
    summary = html[html.index('class="error-summary"') : html.index("</article>", html.index('class="error-summary"'))]
    assert '<a href="#id_name">Name</a>: This field is required.' in summary
    assert (
        '<a href="#id_top_k">' in summary and '<a href="#id_language">Language</a>: Select a valid choice.' in summary
    )
    assert html.index('class="error-summary"') < html.index('<form method="post" novalidate>')  # above the form
    assert 'id="id_name"' in html and 'value="Be kind."' not in html and "Be kind." in html  # typed text kept


def test_language_is_picked_from_a_list(manager_client, helper):
    html = manager_client.get(f"/assistants/{helper.pk}/edit/").content.decode()
    assert '<select name="language"' in html and '<option value="ru">Russian</option>' in html
    create = manager_client.post("/assistants/new/", {"name": "Kor", "language": "klingon", "tone": "friendly"})
    assert "Select a valid choice" in create.content.decode()


def test_invalid_origins_keep_what_was_typed(manager_client, helper):
    typed = "https://www.acme.example\nftp://files.acme.example"
    response = manager_client.post(f"/assistants/{helper.pk}/widget-keys/", {"allowed_origins": typed})
    html = response.content.decode()
    assert response.status_code == 400 and "is not an origin" in html
    assert "https://www.acme.example\nftp://files.acme.example</textarea>" in html


def test_one_default_per_tenant(acme, manager_client, helper):
    with tenant_context(acme):
        other = assistant_create(name="Other")
        assert not other.is_default
    manager_client.post(f"/assistants/{other.pk}/default/")
    with tenant_context(acme):
        assert list(Assistant.objects.filter(is_default=True)) == [other]
        assistant_set_default(assistant=helper)
        assert list(Assistant.objects.filter(is_default=True)) == [helper]


def test_agents_see_but_do_not_change_assistants(agent_client, helper):
    assert agent_client.get("/assistants/").status_code == 200
    assert agent_client.get(f"/assistants/{helper.pk}/").status_code == 200
    assert agent_client.get("/assistants/new/").status_code == 403
    assert agent_client.get(f"/assistants/{helper.pk}/edit/").status_code == 403


@pytest.mark.parametrize("path", ["/assistants/{pk}/", "/assistants/{pk}/edit/"])
def test_outsider_gets_404_for_another_tenants_assistant(outsider, globex, helper, path):
    from django.contrib.auth.models import Group

    from conftest import GLOBEX_HOST, login_client

    with tenant_context(globex):
        outsider.groups.add(Group.objects.get(name="manager"))
    client = login_client(globex, outsider, GLOBEX_HOST)
    assert client.get(path.format(pk=helper.pk)).status_code == 404


def test_navigation_shows_assistants(agent_client):
    assert b'href="/assistants/"' in agent_client.get("/").content
