"""E-mail ingestion under crashes: 1,000 messages into one IMAP mailbox (real Dovecot), read by a poller process
that is killed (SIGKILL) 20 times while it works; then: nothing lost, nothing twice, no mail to auto-repliers or
bounced addresses.

    .venv/bin/python bench/mail.py [--messages 1000] [--kills 20]

- Own database (``bench_mail``) on the embedded PostgreSQL and own tenant (``mailco``, made anew each run), the
  embedded Redis's database 15 as the broker (flushed afterwards), Dovecot from ``mail/tests/dovecot.py`` under
  ``var/bench-dovecot``.
- The mix: 20 % replies to earlier messages (In-Reply-To), 5 % auto-replies, 2 % DSN bounces, 1 % malformed
  (no sender), 10 % with a PNG attachment; the rest new conversations, each from its own sender.
- The poller is ``mail.services.mailbox_poll`` in a loop (``MAIL_POLL_BATCH`` 20), as the Celery task runs it.
- Arrival → ticket latency: from the APPEND into the INBOX to the ledger row's commit (``created_at``).
- Writes ``bench/results/mail.json`` and ``bench/results/mail.md``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_NAME = "bench_mail"
SCHEMA = "mailco"
ADDRESS = "support@mailco.test"
USER, PASSWORD = "support@mailco.test", "bench-imap"
RESULTS = ROOT / "bench" / "results"


def setup_django(*, poller: bool = False) -> None:
    from helpdesk import devstack

    devstack.start()
    if not poller:
        _ensure_database(devstack.postgres_url(database="postgres"))
    os.environ.update(
        {
            "DATABASE_URL": devstack.postgres_url(database=DB_NAME),
            "REDIS_URL": devstack.redis_url(db=15),
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-secret-key",
            "INTEGRATIONS_KEYS": "pJ3Jm9i0mJ8n5z0s8QxvJ8yV4v4wXq3w2dJb3cR1x0Y=",
            "STATIC_MANIFEST": "0",
            "LOG_LEVEL": "ERROR",
            "MAIL_POLL_BATCH": "20",
            "MAIL_SENDER_RATE": "1000/1h",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        }
    )
    import django

    django.setup()


def _ensure_database(admin_url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone():
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def prepare_tenant(dovecot: Any) -> Any:
    from django.core.management import call_command
    from django_tenants.utils import schema_context

    from helpdesk.tenants.models import Tenant
    from helpdesk.tenants.services import public_tenant_ensure, tenant_create
    from mail.models import Mailbox, Security
    from mail.services import mailbox_save

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    public_tenant_ensure()
    existing = Tenant.objects.filter(schema_name=SCHEMA).first()
    if existing is not None:
        existing.auto_drop_schema = True
        existing.delete(force_drop=True)
    tenant = tenant_create(schema_name=SCHEMA, name="Mail Co", domain=f"{SCHEMA}.localhost").tenant
    with schema_context(SCHEMA):
        mailbox_save(
            mailbox=Mailbox(
                name="Support",
                address=ADDRESS,
                imap_host=dovecot.host,
                imap_port=dovecot.port,
                imap_security=Security.NONE,
                imap_username=USER,
                imap_processed_folder="Processed",
            ),
            password=PASSWORD,
        )
    return tenant


def _png(index: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 32), (index % 255, 80, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def messages(count: int, seed: int = 7) -> list[tuple[str, bytes, str]]:
    """(kind, raw, dedup key) in arrival order."""
    rng = random.Random(seed)
    kinds = (
        ["reply"] * round(count * 0.20)
        + ["auto"] * round(count * 0.05)
        + ["bounce"] * round(count * 0.02)
        + ["malformed"] * round(count * 0.01)
    )
    kinds += ["new"] * (count - len(kinds))
    rest = kinds[:]
    for _ in range(20):
        rest.remove("new")
    rng.shuffle(rest)
    order = ["new"] * 20 + rest  # replies, auto-replies and bounces need earlier conversations
    attach = set(rng.sample(range(len(order)), round(count * 0.10)))
    out: list[tuple[str, bytes, str]] = []
    conversations: list[tuple[str, str, str]] = []  # (message id, sender, subject)
    bounced = 0
    for index, kind in enumerate(order):
        if kind == "reply" and not conversations:
            kind = "new"
        message = EmailMessage()
        message["To"] = ADDRESS
        message["Date"] = format_datetime(datetime.now(UTC))
        message_id = make_msgid(idstring=str(index), domain="customers.example")
        if kind == "new":
            sender = f"customer{index}@customers.example"
            subject = f"Problem {index}: {rng.choice(['login', 'payment', 'export', 'оплата', 'вход'])}"
            message["From"], message["Subject"] = sender, subject
            message.set_content(f"Hello,\n\nsomething is wrong ({index}).\n\n-- \nCustomer {index}\n")
            conversations.append((message_id, sender, subject))
        elif kind == "reply":
            parent_id, sender, subject = rng.choice(conversations)
            message["From"], message["Subject"] = sender, f"Re: {subject}"
            message["In-Reply-To"] = message["References"] = parent_id
            message.set_content(f"More details {index}.\n\nOn Monday, {sender} wrote:\n> something is wrong\n")
        elif kind == "auto":
            _, _, subject = rng.choice(conversations)
            message["From"], message["Subject"] = f"ooo{index}@autoresponders.example", f"Automatic reply: {subject}"
            message["Auto-Submitted"] = "auto-replied"
            message.set_content("I am out of the office.")
        elif kind == "bounce":
            bounced += 1
            message["From"] = "MAILER-DAEMON@mx.mailco.test"
            message["Subject"] = "Undelivered Mail Returned to Sender"
            message.make_mixed()
            message.set_type("multipart/report")
            message.set_param("report-type", "delivery-status")
            text = EmailMessage()
            text.set_content("Delivery failed.")
            status = EmailMessage()
            status.set_type("message/delivery-status")
            status.set_payload(
                [
                    _status_block("Reporting-MTA: dns; mx.mailco.test\n"),
                    _status_block(
                        f"Final-Recipient: rfc822; {rng.choice(conversations)[1]}\nAction: failed\nStatus: 5.1.1\n"
                    ),
                ]
            )
            message.attach(text)
            message.attach(status)
        else:
            message["Subject"] = "broken"
        message["Message-ID"] = message_id
        if index in attach and kind in ("new", "reply"):
            message.add_attachment(_png(index), maintype="image", subtype="png", filename=f"screen{index}.png")
        raw = message.as_bytes()
        if kind == "malformed":
            raw = raw.replace(b"Message-ID:", b"X-Broken-ID:")
        out.append((kind, raw, message_id.strip("<>")))
    return out


def _status_block(text: str) -> Any:
    from email import message_from_string

    return message_from_string(text)


def poller() -> None:
    """The child: poll until the INBOX is empty (killed at random by the parent)."""
    setup_django(poller=True)
    from django_tenants.utils import schema_context

    from mail.models import Mailbox
    from mail.services import mailbox_poll

    with schema_context(SCHEMA):
        box = Mailbox.objects.get()
        while True:
            result = mailbox_poll(mailbox=box)
            if result.error:
                print("poll error:", result.error, flush=True)
                time.sleep(0.5)
            elif result.fetched == 0:
                return


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--poller", action="store_true")
    args = parser.parse_args()
    if args.poller:
        poller()
        return
    setup_django()
    from django_tenants.utils import schema_context
    from imap_tools import MailBoxUnencrypted

    from helpdesk.celery import app
    from mail.models import BouncedAddress, Direction, MailMessage, MailStatus
    from mail.tests import dovecot as dovecot_server
    from tickets.models import Reply, Ticket

    process, dovecot = dovecot_server.start(ROOT / "var" / "bench-dovecot", {USER: PASSWORD})
    try:
        prepare_tenant(dovecot)
        batch = messages(args.messages)
        arrivals: dict[str, float] = {}
        with MailBoxUnencrypted(dovecot.host, dovecot.port).login(USER, PASSWORD) as client:
            for _kind, raw, key in batch:
                client.append(raw, "INBOX")
                arrivals[key] = time.time()
        started = time.perf_counter()
        kills, rng = 0, random.Random(11)
        child = subprocess.Popen([sys.executable, __file__, "--poller"], cwd=ROOT)
        while True:
            if kills < args.kills:
                time.sleep(rng.uniform(0.3, 1.5))
                if child.poll() is None:
                    os.kill(child.pid, signal.SIGKILL)
                    child.wait()
                    kills += 1
                    child = subprocess.Popen([sys.executable, __file__, "--poller"], cwd=ROOT)
                    continue
            if child.poll() is not None:
                with MailBoxUnencrypted(dovecot.host, dovecot.port).login(USER, PASSWORD) as client:
                    left = len(client.uids("ALL"))
                if left == 0:
                    break
                child = subprocess.Popen([sys.executable, __file__, "--poller"], cwd=ROOT)
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
        report = measure(batch, arrivals, elapsed, kills, dovecot)
        with schema_context(SCHEMA):
            report["counts"] = {
                "tickets": Ticket.objects.count(),
                "replies": Reply.objects.filter(kind="public", author_contact__isnull=False).count(),
                "failed": MailMessage.objects.filter(status=MailStatus.FAILED).count(),
                "auto_replies_stored": MailMessage.objects.filter(status=MailStatus.AUTO_REPLY).count(),
                "bounces": MailMessage.objects.filter(status=MailStatus.BOUNCE).count(),
                "bouncing_addresses": BouncedAddress.objects.count(),
                "outgoing_recorded": MailMessage.objects.filter(direction=Direction.OUT).count(),
            }
        write(report)
        print(json.dumps(report, indent=2))
    finally:
        dovecot_server.stop(process)
        app.connection_for_write().default_channel.client.flushdb()


def measure(
    batch: list[tuple[str, bytes, str]], arrivals: dict[str, float], elapsed: float, kills: int, dovecot: Any
) -> dict[str, Any]:
    import hashlib

    from django_tenants.utils import schema_context
    from imap_tools import MailBoxUnencrypted

    from mail.models import BouncedAddress, Direction, MailMessage, MailStatus
    from tickets.models import Ticket

    expected = {
        kind: sum(1 for k, _, _ in batch if k == kind) for kind in ("new", "reply", "auto", "bounce", "malformed")
    }
    with schema_context(SCHEMA):
        rows = {m.dedup_key: m for m in MailMessage.objects.filter(direction=Direction.IN)}
        latencies = []
        lost = 0
        for kind, raw, key in batch:
            stored = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")  # as the IMAP server keeps it (CRLF)
            dedup = f"id:{key}" if kind != "malformed" else f"sha256:{hashlib.sha256(stored).hexdigest()}"
            row = rows.get(dedup)
            if row is None:
                lost += 1
                continue
            latencies.append(row.created_at.timestamp() - arrivals[key])
        tickets_per_source = (
            MailMessage.objects.filter(status=MailStatus.NEW_TICKET).values("ticket").distinct().count()
        )
        duplicates = (Ticket.objects.count() - tickets_per_source) + (len(rows) - len(set(rows)))
        auto_senders = set(MailMessage.objects.filter(status=MailStatus.AUTO_REPLY).values_list("sender", flat=True))
        bounced_at = {b.email: b.created_at for b in BouncedAddress.objects.all()}
        to_bounced = to_auto = 0
        for recipients, created_at in MailMessage.objects.filter(direction=Direction.OUT).values_list(
            "recipients", "created_at"
        ):
            for address in {r.strip() for r in recipients.split(",") if r.strip()}:
                to_auto += address in auto_senders
                to_bounced += address in bounced_at and created_at > bounced_at[address]
    with MailBoxUnencrypted(dovecot.host, dovecot.port).login(USER, PASSWORD) as client:
        left = len(client.uids("ALL"))
        client.folder.set("Processed")
        processed = len(client.uids("ALL"))
    latencies.sort()
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "messages": len(batch),
        "expected": expected,
        "kills": kills,
        "seconds": round(elapsed, 1),
        "messages_per_second": round(len(batch) / elapsed, 1),
        "latency_p50_s": round(statistics.median(latencies), 2) if latencies else None,
        "latency_p95_s": round(latencies[int(len(latencies) * 0.95) - 1], 2) if latencies else None,
        "ledger_rows": len(rows),
        "lost": lost,
        "duplicates": duplicates,
        "left_in_inbox": left,
        "in_processed_folder": processed,
        "mail_to_bounced_addresses": to_bounced,
        "mail_to_auto_repliers": to_auto,
    }


def write(report: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "mail.json").write_text(json.dumps(report, indent=2) + "\n")
    c, e = report["counts"], report["expected"]
    lines = [
        "# E-mail ingestion under crashes",
        "",
        f"{report['when']} · {report['machine']} · `bench/mail.py` (real Dovecot, poller killed with SIGKILL "
        f"{report['kills']} times while it worked).",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| messages into the mailbox | {report['messages']} (new {e['new']}, replies {e['reply']}, auto-replies "
        f"{e['auto']}, bounces {e['bounce']}, malformed {e['malformed']}) |",
        f"| wall time, kills and restarts included | {report['seconds']} s |",
        f"| messages/s | {report['messages_per_second']} |",
        f"| arrival → ticket latency p50 / p95 | {report['latency_p50_s']} s / {report['latency_p95_s']} s |",
        f"| tickets created | {c['tickets']} |",
        f"| replies threaded | {c['replies']} |",
        f"| failed-mail entries | {c['failed']} |",
        f"| auto-replies stored (no ticket, no reply) | {c['auto_replies_stored']} |",
        f"| bounces / addresses marked bouncing | {c['bounces']} / {c['bouncing_addresses']} |",
        f"| lost (no ledger row) | {report['lost']} |",
        f"| duplicates (tickets beyond one per new message) | {report['duplicates']} |",
        f"| left in the INBOX / in the processed folder | {report['left_in_inbox']} / "
        f"{report['in_processed_folder']} |",
        f"| mail queued to an address after it bounced | {report['mail_to_bounced_addresses']} |",
        f"| mail queued to auto-repliers | {report['mail_to_auto_repliers']} |",
        "",
        "Latency counts from the APPEND of each message, all 1,000 appended before the poller starts, so it is "
        "mostly queueing behind earlier messages (p50 ≈ half the run): it measures the backlog, not one message's "
        "path. The poller takes 20 messages per poll; every kill loses at most the uncommitted message, which the "
        "next poll ingests (or finds in the ledger and only moves).",
    ]
    (RESULTS / "mail.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
