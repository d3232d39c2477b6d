"""Issues that vanish from the tracker, and a connection that moves to another tracker site."""

from __future__ import annotations

import itertools

import pytest

from integrations import services
from integrations.conftest import JIRA_SECRET
from integrations.models import ExternalRef, OutboxItem
from integrations.services.backsync import pull_connection
from integrations.services.outbox import outbox_process, outbox_retry
from testing.jira import FakeJira
from tickets.models import ReplyKind, Ticket


def notes(ticket: Ticket) -> list[str]:
    return list(ticket.replies.filter(kind=ReplyKind.INTERNAL_NOTE).values_list("body", flat=True))


def escalate(ticket: Ticket, system: str, agent) -> str:
    item = services.ticket_escalate(ticket=ticket, system=system, by=agent)
    outcome = outbox_process(item_id=item.pk)
    assert outcome == "ok", OutboxItem.objects.get(pk=item.pk).last_error
    return ExternalRef.objects.filter(ticket=ticket, connection=item.connection).latest("pk").key


def test_an_issue_deleted_in_jira_is_marked_and_the_others_still_sync(
    jira, fake_jira, make_ticket, agent, manager_client
):
    tickets = [make_ticket(subject=f"Export crash {n}") for n in range(3)]
    keys = [escalate(ticket, "jira", agent) for ticket in tickets]
    fake_jira.resolve(keys[0], notify=False)
    fake_jira.delete(keys[1])
    fake_jira.comment(keys[2], "Fixed in 4.2.1, please retry the export.", notify=False)

    summary = pull_connection(connection=jira)

    first, middle, last = (Ticket.objects.get(pk=t.pk) for t in tickets)
    assert first.status == "solved"
    assert any("Fixed in 4.2.1" in body for body in notes(last))
    assert (summary.checked, summary.changed, summary.missing, summary.error) == (3, 2, 1, "")
    ref = ExternalRef.objects.get(ticket=middle)
    assert ref.missing_since is not None and "Issue does not exist" in ref.missing_reason
    assert [b for b in notes(middle) if "can no longer be read" in b] == [
        f"{keys[1]} can no longer be read in Jira ({ref.missing_reason}); its status and comments "
        "stop coming back to this ticket until it can be read again."
    ]
    jira.refresh_from_db()
    assert jira.healthy is True

    page = manager_client.get("/integrations/").content.decode()
    assert "Linked issues that cannot be read" in page
    assert f'data-key="{keys[1]}"' in page and "Issue does not exist" in page
    panel = manager_client.get(f"/integrations/tickets/{middle.number}/panel/").content.decode()
    assert "cannot be read since" in panel

    # The next pull neither stops nor notes it again; the others keep syncing.
    fake_jira.comment(keys[0], "Follow-up: also fixed on mobile.", notify=False)
    again = pull_connection(connection=jira)
    assert (again.checked, again.missing, again.error) == (3, 1, "")
    assert len([b for b in notes(middle) if "can no longer be read" in b]) == 1
    assert any("also fixed on mobile" in body for body in notes(first))


def test_a_ticket_deleted_in_zendesk_is_marked_and_the_other_still_syncs(
    zendesk, fake_zendesk, make_ticket, agent, manager_client
):
    gone, kept = make_ticket(subject="Printer offline"), make_ticket(subject="Invoice missing")
    gone_key, kept_key = escalate(gone, "zendesk", agent), escalate(kept, "zendesk", agent)
    fake_zendesk.delete(int(gone_key))
    fake_zendesk.set_status(int(kept_key), "solved", notify=False)

    summary = pull_connection(connection=zendesk)

    assert Ticket.objects.get(pk=kept.pk).status == "solved"
    assert (summary.missing, summary.error) == (1, "")
    ref = ExternalRef.objects.get(ticket=gone)
    assert ref.missing_since is not None and "404" in ref.missing_reason
    assert f'data-key="{gone_key}"' in manager_client.get("/integrations/").content.decode()


def test_an_issue_that_comes_back_is_unmarked(jira, fake_jira, make_ticket, agent):
    ticket = make_ticket()
    key = escalate(ticket, "jira", agent)
    fake_jira.fail(times=1, status=404, method="GET", path=rf"/issue/{key}$")

    summary = pull_connection(connection=jira)
    assert summary.error == ""
    assert summary.missing == 1
    assert ExternalRef.objects.get(ticket=ticket).missing_since is not None
    # The 404 was passing (a permission fixed, the issue moved back): the mark goes.
    fake_jira.clear_faults()
    assert pull_connection(connection=jira).missing == 0
    ref = ExternalRef.objects.get(ticket=ticket)
    assert ref.missing_since is None and ref.missing_reason == ""


@pytest.fixture
def other_jira():
    fake = FakeJira().start()
    yield fake
    fake.stop()


def test_a_connection_moved_to_another_jira_links_repeating_keys_to_the_new_site(
    jira, fake_jira, other_jira, make_ticket, agent
):
    before = make_ticket(subject="Escalated on the old site")
    assert escalate(before, "jira", agent) == "SUP-1"
    conn = services.connection_save(
        system="jira",
        base_url=other_jira.url,
        username=other_jira.username,
        token=other_jira.token,
        webhook_secret=JIRA_SECRET,
        project_key="SUP",
    )

    after = make_ticket(subject="Escalated on the new site")
    assert escalate(after, "jira", agent) == "SUP-1"  # the new site numbers from 1 again

    old_ref, new_ref = ExternalRef.objects.get(ticket=before), ExternalRef.objects.get(ticket=after)
    assert (old_ref.key, old_ref.instance) == ("SUP-1", fake_jira.url)
    assert (new_ref.key, new_ref.instance) == ("SUP-1", other_jira.url)
    assert len(other_jira.issues) == 1 and len(fake_jira.issues) == 1  # no orphan issue anywhere

    # The old ticket's SUP-1 is another issue on the new site: nothing of it comes to the old ticket.
    other_jira.comment("SUP-1", "Comment on the new site's SUP-1", notify=False)
    summary = pull_connection(connection=conn)
    assert (summary.checked, summary.error) == (1, "")
    assert not any("new site's SUP-1" in body for body in notes(before))
    assert any("new site's SUP-1" in body for body in notes(after))
    # And the old ticket can be escalated to the new site.
    assert escalate(before, "jira", agent) == "SUP-2"


def test_an_unexpected_error_while_linking_fails_the_escalation_with_its_reason_and_a_retry(
    jira, fake_jira, make_ticket, agent, manager_client
):
    first = make_ticket(subject="First")
    assert escalate(first, "jira", agent) == "SUP-1"
    # The Jira project is deleted and made again on the same site: its keys start at SUP-1 again.
    with fake_jira.lock:
        fake_jira.issues.clear()
        fake_jira._numbers = itertools.count(1)
    second = make_ticket(subject="Second")
    item = services.ticket_escalate(ticket=second, system="jira", by=agent)

    assert outbox_process(item_id=item.pk) == "failed"

    item.refresh_from_db()
    assert item.status == "failed" and item.claimed_at is not None
    assert "SUP-1 was made in Jira but cannot be linked: SUP-1 there is already linked" in item.last_error
    assert not ExternalRef.objects.filter(ticket=second).exists()
    page = manager_client.get("/integrations/").content.decode()
    assert "cannot be linked" in page and f"/integrations/outbox/{item.pk}/retry/" in page

    # Once the stale link is gone, Retry links the issue made before instead of making another.
    ExternalRef.objects.filter(ticket=first).delete()
    assert outbox_retry(item=item)
    assert outbox_process(item_id=item.pk) == "found"
    assert ExternalRef.objects.get(ticket=second).key == "SUP-1" and len(fake_jira.issues) == 1
