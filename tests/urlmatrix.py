"""Every tenant URL with real object ids: the URLconf enumerated, objects seeded on demand.

Used by the isolation matrix (``tests/test_isolation_matrix.py``: a tenant's URLs called
with another tenant's ids answer 404 and show none of its data) and by any check that
must visit every page (e.g. a phone-width layout check).

    seeds = Seeds(tenant)                      # creates objects lazily, in that tenant
    for url in tenant_urls():                  # every route of the tenant site
        path = url.build(seeds)                # "/tickets/1001/attachments/7/"

A route's kwargs are found by *prefix*: ``tickets/{number}/attachments/{pk}`` names
``number`` by the prefix ``tickets/{number}`` and ``pk`` by the whole. Register how to
get a value for a new prefix in ``OBJECTS`` (or, for admin pages, the model in
``ADMIN_MODELS``); a kwarg nobody registered makes ``build`` raise ``Unregistered`` with
the exact line to add. Apps that land later register their routes here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django_tenants.utils import tenant_context

MARKER = "ZZFOREIGN"  # in every seeded text: a response that shows it shows the seeded tenant's data


class Unregistered(LookupError):
    pass


# --- Seeding ----------------------------------------------------------------------------------------


class Seeds:
    """Objects of one tenant, each created on first use (inside that tenant's schema)."""

    def __init__(self, tenant: Any) -> None:
        self.tenant = tenant

    def _in_tenant(self, make: Callable[[], Any]) -> Any:
        with tenant_context(self.tenant):
            return make()

    @cached_property
    def contact(self) -> Any:
        from tickets import services

        return self._in_tenant(
            lambda: services.contact_ensure(email=f"{MARKER.lower()}@customer.example", name=f"{MARKER} Contact")
        )

    @cached_property
    def ticket(self) -> Any:
        from tickets import services

        contact = self.contact
        return self._in_tenant(
            lambda: services.ticket_create(
                subject=f"{MARKER} ticket", description=f"{MARKER} description", requester=contact, by=contact
            )
        )

    @cached_property
    def attachment(self) -> Any:
        """A file of a public reply (the portal may show it)."""
        from django.core.files.uploadedfile import SimpleUploadedFile

        from tickets import services

        ticket, contact = self.ticket, self.contact

        def make() -> Any:
            reply = services.reply_add(
                ticket=ticket,
                body=f"{MARKER} reply",
                by=contact,
                files=[SimpleUploadedFile("zzforeign.txt", MARKER.encode())],
            )
            return reply.attachments.get()

        return self._in_tenant(make)

    @cached_property
    def portal_token(self) -> str:
        from tickets import links

        ticket = self.ticket
        return str(self._in_tenant(lambda: links.portal_token(ticket)))

    @cached_property
    def confirm_token(self) -> str:
        """A confirmation link of a public request that named a known address."""
        from tickets import links, services

        contact = self.contact

        def make() -> str:
            ticket = services.portal_request_submit(
                email=contact.email, name="Claimant", subject=f"{MARKER} claim", description=f"{MARKER} claim"
            )
            return links.confirm_token(ticket, ticket.requester)

        return str(self._in_tenant(make))

    @cached_property
    def document(self) -> Any:
        from knowledge import services

        return self._in_tenant(
            lambda: services.document_create_from_text(
                title=f"{MARKER} document", text=f"{MARKER} text of the document", enqueue=False
            )
        )

    @cached_property
    def chunk(self) -> Any:
        from helpdesk.ai import EMBEDDING_DIMENSIONS
        from knowledge.models import Chunk

        document = self.document
        return self._in_tenant(
            lambda: Chunk.objects.create(
                document=document,
                position=0,
                text=f"{MARKER} chunk",
                token_count=2,
                sha256="0" * 64,
                embedding=[0.1] * EMBEDDING_DIMENSIONS,
            )
        )

    @cached_property
    def access_attempt(self) -> Any:
        from axes.models import AccessAttempt

        return self._in_tenant(
            lambda: AccessAttempt.objects.create(
                username=f"{MARKER}@x.test", ip_address="203.0.113.1", user_agent=MARKER, failures_since_start=1
            )
        )

    @cached_property
    def access_log(self) -> Any:
        from axes.models import AccessLog

        return self._in_tenant(
            lambda: AccessLog.objects.create(username=f"{MARKER}@x.test", ip_address="203.0.113.1", user_agent=MARKER)
        )

    @cached_property
    def access_failure_log(self) -> Any:
        from axes.models import AccessFailureLog

        return self._in_tenant(
            lambda: AccessFailureLog.objects.create(
                username=f"{MARKER}@x.test", ip_address="203.0.113.1", user_agent=MARKER
            )
        )

    @cached_property
    def widget_key(self) -> Any:
        from assistants.services import widget_key_create

        return self._in_tenant(
            lambda: widget_key_create(assistant=self.assistant, allowed_origins=["https://matrix.example"])
        )

    @cached_property
    def assistant(self) -> Any:
        from assistants.services import assistant_create

        return self._in_tenant(
            lambda: assistant_create(name=f"{MARKER} assistant", company=MARKER, provider="extractive")
        )

    @cached_property
    def ticket_answer(self) -> Any:
        from assistants.models import TicketAnswer

        ticket, assistant = self.ticket, self.assistant
        result = {"text": f"{MARKER} draft", "request_type": "support", "priority": "normal", "tags": []}
        return self._in_tenant(lambda: TicketAnswer.objects.create(ticket=ticket, assistant=assistant, result=result))

    @cached_property
    def user(self) -> Any:
        from helpdesk.accounts.services import user_create_or_update

        return self._in_tenant(
            lambda: user_create_or_update(email=f"{MARKER.lower()}@staff.example", role="agent", full_name=MARKER).user
        )

    @cached_property
    def api_key(self) -> Any:
        from helpdesk.accounts.services import api_key_issue

        return self._in_tenant(lambda: api_key_issue(name=f"{MARKER} key").api_key)

    @cached_property
    def group(self) -> Any:
        from django.contrib.auth.models import Group

        # get_or_create: groups outlive a `committed` test (their table is kept), and two tests may seed one tenant.
        return self._in_tenant(lambda: Group.objects.get_or_create(name=f"{MARKER} group")[0])

    @cached_property
    def sla_policy(self) -> Any:
        from tickets.models import SLAPolicy

        return self._in_tenant(
            lambda: SLAPolicy.objects.create(priority="urgent", first_response_minutes=7, resolution_minutes=77)
        )

    @cached_property
    def tag(self) -> Any:
        from tickets.models import Tag

        return self._in_tenant(lambda: Tag.objects.create(name=MARKER.lower()))

    # --- datasets ---

    @cached_property
    def dataset(self) -> Any:
        from datasets.models import Dataset

        return self._in_tenant(lambda: Dataset.objects.create(name=f"{MARKER} dataset"))

    @cached_property
    def dataset_upload(self) -> Any:
        from datasets.models import Upload

        dataset = self.dataset
        return self._in_tenant(
            lambda: Upload.objects.create(
                dataset=dataset,
                filename="zzforeign.csv",
                format="csv",
                file="datasets/uploads/zzforeign.csv",
                columns=["text"],
                preview=[{"text": MARKER}],
                mapping={"text": "text"},
            )
        )

    @cached_property
    def dataset_run(self) -> Any:
        from datasets.models import Run
        from datasets.pipeline import initial_steps
        from datasets.steps.base import RunOptions

        dataset, upload = self.dataset, self.dataset_upload
        return self._in_tenant(
            lambda: Run.objects.create(
                dataset=dataset,
                upload=upload,
                mapping={"text": "text"},
                status=Run.Status.REVIEW,
                steps=initial_steps(RunOptions()),
                error=MARKER,
            )
        )

    @cached_property
    def dataset_row(self) -> Any:
        from datasets.models import Row

        run = self.dataset_run
        return self._in_tenant(
            lambda: Row.objects.create(
                run=run,
                position=0,
                text=f"{MARKER} row",
                text_hash="0" * 64,
                status=Row.Status.REVIEW,
                review_reason=Row.Reason.LOW_CONFIDENCE,
                suggested_label=MARKER.lower(),
                confidence=0.2,
            )
        )

    @cached_property
    def dataset_rejected_row(self) -> Any:
        from datasets.models import Row

        run = self.dataset_run
        return self._in_tenant(
            lambda: Row.objects.create(
                run=run,
                position=1,
                text=f"{MARKER} rejected row",
                text_hash="1" * 64,
                status=Row.Status.REJECTED,
                original_label=MARKER.lower(),
            )
        )

    @cached_property
    def dataset_version(self) -> Any:
        from datasets.models import Version

        dataset = self.dataset
        return self._in_tenant(
            lambda: Version.objects.create(
                dataset=dataset,
                tag="v1.0.0",
                message=MARKER,
                content_hash="0" * 64,
                counts={"train": {MARKER: 1}, "eval": {}, "domains": {}},
                files={},
            )
        )

    @cached_property
    def macro(self) -> Any:
        from tickets.models import Macro

        return self._in_tenant(lambda: Macro.objects.create(name=f"{MARKER} macro", body=f"{MARKER} canned reply"))

    @cached_property
    def ticket_event(self) -> Any:
        ticket = self.ticket
        return self._in_tenant(lambda: ticket.events.first())

    # --- integrations; rows made directly: seeding must not call any tracker ---

    @cached_property
    def connection(self) -> Any:
        from integrations.models import Connection

        return self._in_tenant(
            lambda: Connection.objects.create(
                system="jira",
                base_url="https://zzforeign.invalid",
                username=f"{MARKER.lower()}@x.example",
                project_key="ZZF",
            )
        )

    @cached_property
    def outbox_item(self) -> Any:
        from integrations.models import OutboxItem

        ticket, conn = self.ticket, self.connection
        return self._in_tenant(
            lambda: OutboxItem.objects.create(ticket=ticket, connection=conn, status="failed", last_error=MARKER)
        )

    @cached_property
    def external_ref(self) -> Any:
        from integrations.models import ExternalRef

        ticket, conn = self.ticket, self.connection
        return self._in_tenant(
            lambda: ExternalRef.objects.create(
                ticket=ticket, connection=conn, system="jira", key="ZZF-1", url="https://zzforeign.invalid/browse/ZZF-1"
            )
        )

    @cached_property
    def sync_log(self) -> Any:
        from integrations.models import IntegrationSyncLog

        ticket = self.ticket
        return self._in_tenant(
            lambda: IntegrationSyncLog.objects.create(
                system="jira", ticket=ticket, direction="outbound", operation="create", outcome="failed", error=MARKER
            )
        )

    @cached_property
    def webhook_endpoint(self) -> Any:
        from integrations.events.services import endpoint_create

        return self._in_tenant(
            lambda: endpoint_create(
                url="https://zzforeign.invalid/hooks", events=["ticket.created"], description=MARKER
            )[0]
        )

    @cached_property
    def webhook_delivery(self) -> Any:
        from integrations.models import WebhookDelivery

        endpoint = self.webhook_endpoint
        return self._in_tenant(
            lambda: WebhookDelivery.objects.create(
                endpoint=endpoint, event="ticket.created", payload={"marker": MARKER}, status="failed"
            )
        )

    # --- vision ---

    @cached_property
    def screenshot_label(self) -> Any:
        from assistants.vision import services

        return self._in_tenant(
            lambda: services.label_save(
                name=MARKER.lower(), title=f"{MARKER} label", description=f"{MARKER} screen", examples=MARKER
            )
        )

    @cached_property
    def image_attachment(self) -> Any:
        """A screenshot of a public reply with what the reader made of it (text carries the marker)."""
        from django.core.files.uploadedfile import SimpleUploadedFile

        from assistants.vision import samples
        from assistants.vision.models import AttachmentAnalysis
        from tickets import services

        ticket, contact = self.ticket, self.contact

        def make() -> Any:
            image = samples.encode(samples.dialog([MARKER], size=(200, 80), font_size=12))
            reply = services.reply_add(
                ticket=ticket,
                body=f"{MARKER} screenshot",
                by=contact,
                files=[SimpleUploadedFile("zzforeign.png", image, content_type="image/png")],
            )
            attachment = reply.attachments.get()
            AttachmentAnalysis.objects.create(
                attachment=attachment, status="done", text=MARKER, category="other", confidence=0.9, thumbnail=image
            )
            return attachment

        return self._in_tenant(make)

    @cached_property
    def attachment_analysis(self) -> Any:
        attachment = self.image_attachment
        return self._in_tenant(lambda: attachment.analysis)

    # --- LoRA adapters: a ready version row; no files, nothing is trained ---
    @cached_property
    def adapter(self) -> Any:
        from assistants.lora.models import Adapter, Status

        assistant = self.assistant
        return self._in_tenant(
            lambda: Adapter.objects.create(
                assistant=assistant, number=1, status=Status.READY, in_flight=False, data={"marker": MARKER}
            )
        )

    # --- Mail: a mailbox, a failed message with its raw file and original HTML, a bouncing address ---
    @cached_property
    def mailbox(self) -> Any:
        from mail.models import Mailbox

        return self._in_tenant(
            lambda: Mailbox.objects.create(name=f"{MARKER} mailbox", address=f"{MARKER.lower()}@support.example")
        )

    @cached_property
    def mail_message(self) -> Any:
        from mail.models import MailMessage

        mailbox = self.mailbox
        return self._in_tenant(
            lambda: MailMessage.objects.create(
                mailbox=mailbox,
                dedup_key=f"id:{MARKER.lower()}@mail.example",
                message_id=f"{MARKER.lower()}@mail.example",
                status="failed",
                reason=MARKER,
                sender=f"{MARKER.lower()}@customer.example",
                subject=f"{MARKER} mail",
                html=f"<p>{MARKER} html</p>",
            )
        )

    @cached_property
    def bounced_address(self) -> Any:
        from mail.models import BouncedAddress

        return self._in_tenant(
            lambda: BouncedAddress.objects.create(email=f"{MARKER.lower()}@bounce.example", reason=MARKER)
        )


# --- Registry ---------------------------------------------------------------------------------------

# Route prefix (converters written {name}) -> the value of its last kwarg, from a tenant's seeds.
OBJECTS: dict[str, Callable[[Seeds], object]] = {
    "tickets/{number}": lambda s: s.ticket.number,
    "tickets/{number}/attachments/{pk}": lambda s: s.attachment.pk,
    "portal/t/{token}": lambda s: s.portal_token,
    "portal/t/{token}/attachments/{pk}": lambda s: s.attachment.pk,
    "portal/confirm/{token}": lambda s: s.confirm_token,
    "knowledge/{pk}": lambda s: s.document.pk,
    "assistants/{pk}": lambda s: s.assistant.pk,
    "assistants/{pk}/widget-keys/{key_id}": lambda s: s.widget_key.pk,
    "assistants/tickets/{number}": lambda s: s.ticket.number,
    "assistants/tickets/{number}/answers/{answer_id}": lambda s: s.ticket_answer.pk,
    "assistants/tickets/{number}/answers/{answer_id}/apply/{field}": lambda s: "category",  # not an id
    "api/v1/tickets/{number}": lambda s: s.ticket.number,
    "api/v1/contacts/{pk}": lambda s: s.contact.pk,
    "api/v1/kb/documents/{pk}": lambda s: s.document.pk,
    "api/v1/assistants/{pk}": lambda s: s.assistant.pk,
    "api/v1/tickets/{number}/answer": lambda s: s.ticket.number,
    "assistants/{pk}/adapters/{adapter_id}": lambda s: s.adapter.pk,
    "api/v1/assistants/{pk}/adapters/{adapter_id}": lambda s: s.adapter.pk,
    # datasets
    "datasets/uploads/{pk}": lambda s: s.dataset_upload.pk,
    "datasets/runs/{pk}": lambda s: s.dataset_run.pk,
    "datasets/runs/{pk}/review/{row}": lambda s: s.dataset_row.pk,
    "datasets/{pk}": lambda s: s.dataset.pk,
    "datasets/{pk}/versions/{tag}": lambda s: s.dataset_version.tag,
    "datasets/{pk}/rejected/{row}": lambda s: s.dataset_rejected_row.pk,
    "datasets/{pk}/versions/{tag}/download/{split}": lambda s: "train",  # not an id
    "datasets/{pk}/versions/{tag}/download/{split}.{kind}": lambda s: "jsonl",  # not an id
    "api/v1/datasets/runs/{pk}": lambda s: s.dataset_run.pk,
    "api/v1/datasets/{pk}": lambda s: s.dataset.pk,
    "api/v1/datasets/{pk}/versions/{tag}": lambda s: s.dataset_version.tag,
    "api/v1/datasets/{pk}/rejected/{row}": lambda s: s.dataset_rejected_row.pk,
    "api/v1/datasets/{pk}/download/{split}": lambda s: "train",  # not an id
    "api/v1/datasets/{pk}/download/{split}/{tag}": lambda s: s.dataset_version.tag,
    "accounts/invite/{uidb64}": lambda s: _uidb64(s.user),
    "accounts/invite/{uidb64}/{token}": lambda s: _invite_token(s),
    # integrations
    "integrations/outbox/{pk}": lambda s: s.outbox_item.pk,
    "integrations/tickets/{number}": lambda s: s.ticket.number,
    "integrations/webhooks/{pk}": lambda s: s.webhook_endpoint.pk,
    "integrations/webhooks/deliveries/{pk}": lambda s: s.webhook_delivery.pk,
    # vision
    "vision/labels/{pk}": lambda s: s.screenshot_label.pk,
    "vision/tickets/{number}": lambda s: s.ticket.number,
    "vision/tickets/{number}/attachments/{pk}": lambda s: s.image_attachment.pk,
    # mail
    "mail/mailboxes/{pk}": lambda s: s.mailbox.pk,
    "mail/messages/{pk}": lambda s: s.mail_message.pk,
    "mail/tickets/{number}": lambda s: s.ticket.number,
}


def _uidb64(user: Any) -> str:
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    return urlsafe_base64_encode(force_bytes(user.pk))


def _invite_token(seeds: Seeds) -> str:
    from django.contrib.auth.tokens import default_token_generator

    user = seeds.user
    return str(seeds._in_tenant(lambda: default_token_generator.make_token(user)))


# Admin pages of a model: "app_label.model" -> its object, from a tenant's seeds.
ADMIN_MODELS: dict[str, Callable[[Seeds], Any]] = {
    "auth.group": lambda s: s.group,
    "accounts.user": lambda s: s.user,
    "accounts.apikey": lambda s: s.api_key,
    "tickets.ticket": lambda s: s.ticket,
    "tickets.slapolicy": lambda s: s.sla_policy,
    "tickets.tag": lambda s: s.tag,
    "tickets.contact": lambda s: s.contact,
    "tickets.ticketevent": lambda s: s.ticket_event,
    "tickets.macro": lambda s: s.macro,
    "knowledge.document": lambda s: s.document,
    "knowledge.chunk": lambda s: s.chunk,
    "assistants.assistant": lambda s: s.assistant,
    "lora.adapter": lambda s: s.adapter,
    "datasets.dataset": lambda s: s.dataset,
    "datasets.run": lambda s: s.dataset_run,
    "datasets.version": lambda s: s.dataset_version,
    "integrations.connection": lambda s: s.connection,
    "integrations.outboxitem": lambda s: s.outbox_item,
    "integrations.externalref": lambda s: s.external_ref,
    "integrations.integrationsynclog": lambda s: s.sync_log,
    "integrations.webhookendpoint": lambda s: s.webhook_endpoint,
    "integrations.webhookdelivery": lambda s: s.webhook_delivery,
    "vision.screenshotlabel": lambda s: s.screenshot_label,
    "vision.attachmentanalysis": lambda s: s.attachment_analysis,
    "mail.mailbox": lambda s: s.mailbox,
    "mail.mailmessage": lambda s: s.mail_message,
    "mail.bouncedaddress": lambda s: s.bounced_address,
    "assistants.widgetkey": lambda s: s.widget_key,
    "axes.accessattempt": lambda s: s.access_attempt,
    "axes.accesslog": lambda s: s.access_log,
    "axes.accessfailurelog": lambda s: s.access_failure_log,
}

# Routes whose kwargs are not object ids of the tenant: (route, why).
NOT_OBJECT_ROUTES: dict[str, str] = {
    "admin/r/{content_type_id}/{object_id}/": "view on site: a redirect by content type, no tenant object read",
    "admin/{app_label}/": "the admin's app index",
    "admin/{url}": "the admin's catch-all (404 or login redirect)",
    "dev/mail/{name}/": "a file of the DEBUG mail folder, not a database row (404 unless DEBUG, then own tenant only)",
}

_ADMIN_OBJECT = re.compile(r"^admin/(?P<app>[a-z_]+)/(?P<model>[a-z_]+)/\{(object_id|id)\}")


# --- Enumeration ------------------------------------------------------------------------------------

_CONVERTER = re.compile(r"<(?:[a-z_]+:)?(?P<name>\w+)>")
_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")


def normalise(route: str) -> str:
    """A route with every converter or named group written ``{name}`` and regex anchors dropped."""
    route = _GROUP.sub(lambda m: "{" + m["name"] + "}", route)  # regex groups first: (?P<x>...) holds <x>
    route = _CONVERTER.sub(lambda m: "{" + m["name"] + "}", route)
    route = re.sub(r"\((?!\?P<)[^()]*\)\?", "", route)  # an optional unnamed group: the path without it
    return route.replace("^", "").replace("$", "")


@dataclass(frozen=True)
class TenantUrl:
    route: str  # normalised: "tickets/{number}/attachments/{pk}/"
    name: str  # namespaced URL name ("tickets:attachment"), "" for unnamed routes
    callback: Any

    @property
    def kwargs(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.route)

    @property
    def kind(self) -> str:
        if self.route.startswith("api/"):
            return "api"
        if self.route.startswith("admin/"):
            return "admin"
        if self.route.startswith("portal/"):
            return "portal"
        return "page"

    @property
    def is_object_route(self) -> bool:
        return bool(self.kwargs) and self.route not in NOT_OBJECT_ROUTES

    def value_for(self, kwarg: str, seeds: Seeds) -> object:
        prefix = self.route[: self.route.index("{" + kwarg + "}") + len(kwarg) + 2]
        if prefix in OBJECTS:
            return OBJECTS[prefix](seeds)
        admin = _ADMIN_OBJECT.match(self.route)
        if admin and kwarg in {"object_id", "id"}:
            model = f"{admin['app']}.{admin['model']}"
            if model not in ADMIN_MODELS:
                raise Unregistered(
                    f"The admin of {model} ({self.route}) has object pages, but tests/urlmatrix.py does not know how "
                    f'to seed one: add "{model}": lambda s: s.<object> to ADMIN_MODELS (and a Seeds property).'
                )
            return ADMIN_MODELS[model](seeds).pk
        raise Unregistered(
            f"The URL {self.route!r} ({self.name or 'unnamed'}) takes {kwarg!r}, but tests/urlmatrix.py does not know "
            f'how to seed one: add "{prefix}": lambda s: s.<object>.<field> to OBJECTS (and a Seeds property), or '
            "the route to NOT_OBJECT_ROUTES with the reason it reads no tenant object."
        )

    def build(self, seeds: Seeds) -> str:
        path = self.route
        for kwarg in self.kwargs:
            path = path.replace("{" + kwarg + "}", str(self.value_for(kwarg, seeds)), 1)
        if re.search(r"[\\()\[\]*+?|]", path):
            raise Unregistered(
                f"The route {self.route!r} is a regex tests/urlmatrix.py cannot fill in: extend normalise()."
            )
        return "/" + path


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[TenantUrl]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else ""
            yield TenantUrl(route=normalise(prefix + str(pattern.pattern)), name=name, callback=pattern.callback)


def tenant_urls(urlconf: str = "helpdesk.urls") -> list[TenantUrl]:
    """Every route of the tenant site, in URLconf order (duplicates of one route kept once)."""
    seen: set[str] = set()
    urls = []
    for url in _walk(get_resolver(urlconf).url_patterns):
        if url.route not in seen:
            seen.add(url.route)
            urls.append(url)
    return urls
