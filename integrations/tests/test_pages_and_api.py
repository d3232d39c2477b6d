"""The monitor page, the ticket page's panel, the escalate API and /metrics; outsiders get 404."""

from __future__ import annotations

from integrations import services
from integrations.models import OutboxItem
from integrations.services.outbox import outbox_process


def test_escalating_from_the_ticket_panel_queues_one_escalation(agent_client, jira, ticket):
    panel = agent_client.get(f"/integrations/tickets/{ticket.number}/panel/").content.decode()
    assert "Escalate to Jira" in panel and "Not linked" in panel

    response = agent_client.post(
        f"/integrations/tickets/{ticket.number}/escalate/", {"system": "jira"}, headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert "creating the issue" in html and "Escalate to Jira" not in html and 'hx-trigger="every 2s"' in html
    item = OutboxItem.objects.get(ticket=ticket)
    assert item.source == "agent" and item.requested_by is not None
    outbox_process(item_id=item.pk)
    html = agent_client.get(f"/integrations/tickets/{ticket.number}/panel/").content.decode()
    assert "SUP-1" in html and "Sync history" in html and "every 2s" not in html


def test_the_ai_recommendation_is_accepted_by_the_agent(agent_client, jira, ticket):
    response = agent_client.post(
        f"/integrations/tickets/{ticket.number}/escalate/",
        {"system": "jira", "source": "ai", "reasons": "mentions 'refund'"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    item = OutboxItem.objects.get(ticket=ticket)
    assert (item.source, item.reasons) == ("ai", "mentions 'refund'")


def test_the_ticket_page_has_the_panel_slot(agent_client, ticket):
    html = agent_client.get(f"/tickets/{ticket.number}/").content.decode()
    assert f"/integrations/tickets/{ticket.number}/panel/" in html


def test_monitor_page_shows_health_depth_failures_and_retry(agent_client, jira, fake_jira, ticket, agent):
    item = services.ticket_escalate(ticket=ticket, system="jira", by=agent)
    fake_jira.fail(1, status=403)
    outbox_process(item_id=item.pk)

    html = agent_client.get("/integrations/").content.decode()

    assert "Failed escalations" in html and "HTTP 403" in html and "Retry" in html
    assert "Zendesk" in html and "not connected" in html
    retry = agent_client.post(f"/integrations/outbox/{item.pk}/retry/", follow=True)
    assert "queued again" in retry.content.decode()
    assert '<strong class="outbox-depth">1</strong>' in agent_client.get("/integrations/").content.decode()


def test_escalate_api(acme_api, jira, ticket):
    url = f"/api/v1/tickets/{ticket.number}/escalate"
    assert acme_api.post(url, {"system": "zendesk"}, content_type="application/json").status_code == 400
    assert acme_api.post(url, {"system": "github"}, content_type="application/json").status_code == 400

    created = acme_api.post(url, {"system": "jira", "reason": "needs a fix"}, content_type="application/json")
    again = acme_api.post(url, {"system": "jira"}, content_type="application/json")

    assert created.status_code == 202 and created.json()["status"] == "pending" and created.json()["system"] == "jira"
    assert again.status_code == 409 and "already being escalated" in again.json()["detail"]
    outbox_process(item_id=created.json()["id"])
    links = acme_api.get(f"/api/v1/tickets/{ticket.number}/escalations").json()
    assert links["links"][0]["key"] == "SUP-1" and links["escalations"][0]["status"] == "done"
    assert acme_api.post(url, {"system": "jira"}, content_type="application/json").status_code == 409


def test_outsiders_get_404_everywhere(outsider_client, globex_api, jira, ticket, agent):
    item = services.ticket_escalate(ticket=ticket, system="jira", by=agent)
    number = ticket.number
    assert outsider_client.get(f"/integrations/tickets/{number}/panel/").status_code == 404
    assert outsider_client.post(f"/integrations/tickets/{number}/escalate/", {"system": "jira"}).status_code == 404
    assert outsider_client.post(f"/integrations/outbox/{item.pk}/retry/").status_code == 404
    assert (
        globex_api.post(
            f"/api/v1/tickets/{number}/escalate", {"system": "jira"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert globex_api.get(f"/api/v1/tickets/{number}/escalations").status_code == 404
    html = outsider_client.get("/integrations/").content.decode()
    assert "not connected" in html and "HTTP" not in html  # globex's own, empty monitor


def test_metrics_show_syncs_and_outbox_depth(public_client, jira, ticket, agent, settings):
    settings.METRICS_TOKEN = "scrape-token"  # for operators, with per-tenant series on the public host only
    services.ticket_escalate(ticket=ticket, system="jira", by=agent)
    text = public_client.get("/metrics", headers={"Authorization": "Bearer scrape-token"}).content.decode()
    assert 'integration_sync_total{direction="outbound",status="ok",system="jira"}' in text  # the connection test
    assert "integration_sync_latency_seconds_bucket" in text
    assert 'integration_outbox_depth{system="jira",tenant="acme"} 1.0' in text


def test_monitor_pages_keep_the_filter_and_the_page_across_polls(agent_client, jira, ticket):
    from integrations.models import WorkStatus

    OutboxItem.objects.bulk_create(
        OutboxItem(connection=jira, ticket=ticket, status=WorkStatus.FAILED, last_error=f"HTTP 403 #{i}")
        for i in range(25)
    )
    first = agent_client.get("/integrations/?outcome=failed").content.decode()
    assert "Page 1 of 2" in first and 'href="?outcome=failed&amp;page=2" rel="next">Older →</a>' in first
    assert 'hx-get="/integrations/?outcome=failed&amp;partial=monitor"' in first
    polled = agent_client.get("/integrations/?outcome=failed&page=2&partial=monitor", headers={"HX-Request": "true"})
    html = polled.content.decode()
    assert "Page 2 of 2" in html and "<html" not in html  # the fragment, still on page 2
    assert 'hx-get="/integrations/?outcome=failed&amp;page=2&amp;partial=monitor"' in html  # the next poll stays there
    assert 'href="?outcome=failed&amp;page=1" rel="prev">← Newer</a>' in html  # a page, not the fragment
