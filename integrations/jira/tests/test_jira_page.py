"""The Jira settings page: save (the token is never shown again), Test connection against the fake."""

from __future__ import annotations

from integrations.models import Connection


def form(fake, **extra):
    data = {
        "base_url": fake.url,
        "username": fake.username,
        "token": fake.token,
        "webhook_secret": "s3cret-hook",
        "project_key": "sup",
        "issue_type": "Task",
        "resolved_status": "solved",
        "enabled": "on",
        "send_tags": "on",
        "priority_low": "Low",
        "priority_normal": "Medium",
        "priority_high": "High",
        "priority_urgent": "Highest",
    }
    return {**data, **extra}


def test_manager_saves_tests_and_never_sees_the_token_again(manager_client, fake_jira, in_acme):
    saved = manager_client.post("/integrations/jira/", form(fake_jira), follow=True)
    assert saved.status_code == 200 and "connection saved" in saved.content.decode()
    page = manager_client.get("/integrations/jira/").content.decode()
    assert fake_jira.token not in page and "s3cret-hook" not in page and "Stored token: <strong>set</strong>" in page
    conn = Connection.objects.get(system="jira")
    assert conn.project_key == "SUP" and fake_jira.token not in conn.token_encrypted

    tested = manager_client.post("/integrations/jira/test/", headers={"HX-Request": "true"}).content.decode()
    assert "Works" in tested and "Project SUP (Support engineering) found" in tested
    # Saving again with an empty token keeps the stored one.
    manager_client.post("/integrations/jira/", form(fake_jira, token="", project_key="NOPE"))
    failed = manager_client.post("/integrations/jira/test/", headers={"HX-Request": "true"}).content.decode()
    assert "Failed" in failed and "No project could be found with key" in failed


def test_a_wrong_token_is_reported_by_the_test(manager_client, fake_jira, in_acme):
    manager_client.post("/integrations/jira/", form(fake_jira, token="wrong"))
    tested = manager_client.post("/integrations/jira/test/", headers={"HX-Request": "true"}).content.decode()
    assert "Failed" in tested and "401" in tested


def test_bad_input_keeps_what_was_typed(manager_client, fake_jira, in_acme):
    response = manager_client.post("/integrations/jira/", form(fake_jira, token="", project_key=""))
    html = response.content.decode()
    assert response.status_code == 200
    assert "This field is required" in html  # the project key
    assert fake_jira.url in html
    assert not Connection.objects.exists()


def test_agents_see_the_page_but_cannot_change_it(agent_client, fake_jira, in_acme):
    assert agent_client.get("/integrations/jira/").status_code == 200
    assert agent_client.post("/integrations/jira/", form(fake_jira)).status_code == 403


def test_a_tracker_address_in_an_internal_network_is_refused(manager_client, fake_jira, in_acme):
    manager_client.post("/integrations/jira/", form(fake_jira, base_url="http://127.0.0.2:8080"))
    tested = manager_client.post("/integrations/jira/test/", headers={"HX-Request": "true"}).content.decode()
    assert "Failed" in tested and "private or internal network" in tested
