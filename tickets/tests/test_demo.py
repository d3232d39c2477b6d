from tickets import demo
from tickets.models import Contact, Reply, SLAPolicy, Ticket, TicketEvent


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Ticket, Reply, Contact, SLAPolicy, TicketEvent))


def test_demo_seeds_acme_once(in_acme, agent, manager):
    demo.seed(tenant=in_acme)
    first = counts()
    tickets, replies, contacts, policies, events = first
    assert tickets == 36 and replies > 20 and contacts == 5 and policies == 4 and events > tickets
    assert Ticket.objects.filter(csat_rating__isnull=False).exists()
    assert Ticket.objects.filter(status__in=["solved", "closed"], solved_at__isnull=False).exists()
    # history lies in the past, in order: the thread never starts before its ticket
    ticket = Ticket.objects.filter(replies__isnull=False).distinct().order_by("number")[0]
    assert ticket.replies.earliest("created_at").created_at >= ticket.created_at
    demo.seed(tenant=in_acme)
    assert counts() == first
