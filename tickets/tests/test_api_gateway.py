"""The API as a gateway (a mail bridge, a chat connector) uses it: tickets with files, the customer's own
replies, and every file of a ticket with what was read from it; in English and in Russian."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import samples
from tickets import extensions, services
from tickets.models import Attachment, Contact, Reply, Status, Ticket

TICKETS_URL = "/api/v1/tickets/"

# What a gateway hands over, per language: the request, a screenshot and a log under the customer's own names.
REQUESTS = {
    "en": {
        "subject": "Card payment fails",
        "description": "The checkout says my card was declined, twice.",
        "requester_email": "maya@example.com",
        "requester_name": "Maya Lin",
        "image": "checkout error.png",
        "log": "browser console.txt",
        "reply": "Here is what I see now.",
        "cc": "finance@example.com",
    },
    "ru": {
        "subject": "Не проходит оплата картой",
        "description": "При оплате пишет, что карта отклонена. Два раза подряд.",
        "requester_email": "olga@example.ru",
        "requester_name": "Ольга Петрова",
        "image": "ошибка оплаты.png",
        "log": "журнал браузера.txt",
        "reply": "Вот что я вижу сейчас.",
        "cc": "buhgalteria@почта.рф",
    },
}
LANGUAGES = sorted(REQUESTS)


def ticket_form(language: str, *files: SimpleUploadedFile, **extra: object) -> dict[str, object]:
    request = REQUESTS[language]
    form: dict[str, object] = {key: request[key] for key in ("subject", "description", "requester_email")}
    form["requester_name"] = request["requester_name"]
    return {**form, "files": list(files), **extra}


def refusal(name: str, content: bytes) -> str:
    """What the services say about this file on every other channel (the portal, the agents' pages)."""
    try:
        services.attachment_validate(samples.upload(name, content))
    except ValidationError as exc:
        return " ".join(exc.messages)
    raise AssertionError(f"{name} was accepted")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_ticket_comes_with_its_files_which_go_to_the_attachment_readers(
    acme_api, media_root, published, django_capture_on_commit_callbacks, language
):
    request = REQUESTS[language]
    image = samples.upload(request["image"], samples.png_bytes(), "image/png")
    log = samples.upload(request["log"], "12:01 оплата / payment: declined\n".encode(), "text/plain")
    with django_capture_on_commit_callbacks(execute=True):
        response = acme_api.post(TICKETS_URL, ticket_form(language, image, log, tags=["billing", "card"]))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["subject"] == request["subject"] and body["description"] == request["description"]
    assert body["tags"] == ["billing", "card"] and body["requester"]["name"] == request["requester_name"]
    files = body["attachments"]
    assert [(f["filename"], f["content_type"], f["reply"]) for f in files] == [
        (request["image"], "image/png", None),
        (request["log"], "text/plain", None),
    ]
    assert files[0]["size"] == len(samples.png_bytes())
    ticket = Ticket.objects.get(number=body["number"])
    stored = list(Attachment.objects.filter(ticket=ticket, reply=None).order_by("id"))
    assert [a.pk for a in stored] == [f["id"] for f in files]
    assert stored[1].file.read().decode() == "12:01 оплата / payment: declined\n"
    # Every registered attachment reader got each file, as it does for a portal upload.
    for processor in extensions.attachment_processors():
        if processor.task:
            assert sorted(args[0] for name, args, _ in published if name == processor.task) == [a.pk for a in stored]
    detail = acme_api.get(f"{TICKETS_URL}{ticket.number}/").json()
    assert detail["attachments"] == files


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_refused_file_refuses_the_whole_ticket_and_says_which_and_why(acme_api, media_root, language):
    request = REQUESTS[language]
    program = "фото.png" if language == "ru" else "photo.png"
    files = [samples.upload(request["image"], samples.png_bytes()), samples.upload(program, samples.exe_bytes())]
    response = acme_api.post(TICKETS_URL, ticket_form(language, *files, subject=""))
    assert response.status_code == 400, response.content
    errors = response.json()
    assert errors["files"] == {"1": [refusal(program, samples.exe_bytes())]}
    assert program in errors["files"]["1"][0] and "is a program" in errors["files"]["1"][0]
    assert "subject" in errors  # every problem of the request at once
    assert not Ticket.objects.exists() and not Attachment.objects.exists()
    assert not Contact.objects.filter(email=request["requester_email"]).exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.txt", b""),
        ("пустой.txt", b""),
        ("invoice.pdf", samples.png_bytes()),  # the bytes say PNG, the name says PDF
        ("скан.png", samples.pdf_bytes()),
        ("setup.exe", samples.exe_bytes()),  # a type that is not allowed at all
        ("notes.txt", samples.exe_bytes()),
    ],
)
def test_each_kind_of_bad_file_gets_the_reason_every_channel_gives(acme_api, ticket, media_root, name, content):
    reason = {"files": {"1": [refusal(name, content)]}}
    response = acme_api.post(TICKETS_URL, ticket_form("en", samples.text(), samples.upload(name, content)))
    assert response.status_code == 400, response.content
    assert response.json() == reason
    files = [samples.text(), samples.upload(name, content)]
    reply = acme_api.post(f"{TICKETS_URL}{ticket.number}/replies/", {"body": "See files", "files": files})
    assert reply.status_code == 400 and reply.json() == reason
    assert not Attachment.objects.exists() and Ticket.objects.count() == 1 and not Reply.objects.exists()


def test_an_oversize_file_is_refused_by_name(acme_api, settings, media_root):
    settings.TICKETS_ATTACHMENT_MAX_MB = 1
    big = samples.upload("большой журнал.log", b"E42 printer overheating\n" * 50_000, "text/plain")  # 1.14 MB
    response = acme_api.post(TICKETS_URL, ticket_form("ru", samples.text(), big))
    assert response.status_code == 400
    assert response.json() == {"files": {"1": ["большой журнал.log is larger than 1 MB."]}}
    assert not Ticket.objects.exists()


def test_too_many_files_are_refused_before_any_is_read(acme_api, settings, ticket, media_root):
    settings.TICKETS_MAX_FILES_PER_MESSAGE = 2
    files = [samples.text(f"note{n}.txt") for n in range(2)] + [samples.upload("x.png", samples.exe_bytes())]
    response = acme_api.post(TICKETS_URL, ticket_form("en", *files))
    assert response.status_code == 400
    assert response.json() == {"files": ["Attach up to 2 files to one message (this one has 3)."]}
    reply = acme_api.post(f"{TICKETS_URL}{ticket.number}/replies/", {"body": "Logs", "files": files})
    assert reply.json() == {"files": ["Attach up to 2 files to one message (this one has 3)."]}
    assert Ticket.objects.count() == 1 and not Attachment.objects.exists()


@pytest.mark.parametrize("content_type", ["multipart", "json"])
def test_no_files_at_all_is_a_plain_ticket(acme_api, media_root, content_type):
    if content_type == "json":
        response = acme_api.post(TICKETS_URL, ticket_form("ru"), content_type="application/json")
    else:
        form = ticket_form("ru")
        del form["files"]
        response = acme_api.post(TICKETS_URL, form)
    assert response.status_code == 201, response.content
    assert response.json()["attachments"] == [] and not Attachment.objects.exists()


def test_files_under_another_part_name_are_refused_not_dropped(acme_api, ticket, media_root):
    response = acme_api.post(TICKETS_URL, {**ticket_form("en"), "file": samples.text()})
    assert response.status_code == 400
    assert response.json() == {"file": ['Send files in the "files" part (once per file); this part is not read.']}
    reply = acme_api.post(f"{TICKETS_URL}{ticket.number}/replies/", {"body": "Log", "attachment": samples.text()})
    assert reply.status_code == 400 and list(reply.json()) == ["attachment"]
    assert Ticket.objects.count() == 1 and not Reply.objects.exists()


def test_more_files_than_django_reads_get_a_reason_too(acme_api, media_root):
    files = [samples.text(f"страница {n}.txt") for n in range(101)]  # past DATA_UPLOAD_MAX_NUMBER_FILES
    response = acme_api.post(TICKETS_URL, ticket_form("ru", *files))
    assert response.status_code == 400
    assert response.json() == {"files": ["Attach up to 10 files to one message (this one has more than 100)."]}
    assert not Ticket.objects.exists()


def test_a_request_too_big_without_its_files_gets_a_reason(acme_api, media_root):
    form = ticket_form("ru", samples.text(), description="Журнал: " + "ошибка E42 " * 300_000)  # 5.7 MB of text
    response = acme_api.post(TICKETS_URL, form)
    assert response.status_code == 400
    assert response.json() == ["This request is larger than 2.5 MB without its files; send long text as a file."]
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("name", ["д" * 250 + ".txt", "a" * 296 + ".txt"])
def test_a_very_long_file_name_is_kept_and_stored_under_a_shorter_one(acme_api, media_root, name):
    response = acme_api.post(TICKETS_URL, ticket_form("ru", samples.text(name, "E42")))
    assert response.status_code == 201, response.content[:300]
    [attachment] = Attachment.objects.all()
    assert attachment.filename == name[:200] and response.json()["attachments"][0]["filename"] == name[:200]
    stored = attachment.file.name.rsplit("/", 1)[-1]
    assert stored.endswith(".txt") and len(stored.encode()) <= 200 and name.startswith(stored[:-4])
    assert attachment.file.read() == b"E42"


def test_mail_client_style_file_names_and_a_browsers_empty_file_input(acme_api, media_root):
    """RFC 2231 names (filename*=UTF-8''…), and a file input left empty (a part without a file name)."""
    parts = [
        'name="subject"\r\n\r\nНе проходит оплата',
        'name="requester_email"\r\n\r\nolga@example.ru',
        "name=\"files\"; filename*=UTF-8''%D1%81%D0%BA%D1%80%D0%B8%D0%BD.txt\r\nContent-Type: text/plain\r\n\r\nE42",
        'name="files"; filename=""\r\nContent-Type: application/octet-stream\r\n\r\n',
    ]
    body = "".join(f"--b0undary\r\nContent-Disposition: form-data; {part}\r\n" for part in parts) + "--b0undary--\r\n"
    response = acme_api.generic(
        "POST", TICKETS_URL, body.encode(), content_type="multipart/form-data; boundary=b0undary"
    )
    assert response.status_code == 201, response.content
    assert [f["filename"] for f in response.json()["attachments"]] == ["скрин.txt"]


def test_two_files_of_one_name_are_both_kept(acme_api, media_root):
    response = acme_api.post(TICKETS_URL, ticket_form("ru", samples.text("лог.txt", "1"), samples.text("лог.txt", "2")))
    assert [f["filename"] for f in response.json()["attachments"]] == ["лог.txt", "лог.txt"]
    assert [a.file.read() for a in Attachment.objects.order_by("id")] == [b"1", b"2"]


@pytest.fixture
def gateway_ticket(acme_api, language):
    """A ticket the gateway opened for the customer, with one address CC'd, waiting for the customer."""
    request = REQUESTS[language]
    body = acme_api.post(TICKETS_URL, ticket_form(language), content_type="application/json").json()
    ticket = Ticket.objects.get(number=body["number"])
    services.ticket_cc_set(ticket=ticket, emails=[request["cc"]], by=None)
    services.ticket_transition(ticket=ticket, status=Status.PENDING, by=None)
    return ticket


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("who", ["requester", "cc"])
def test_a_gateway_posts_the_customers_reply_with_files(acme_api, gateway_ticket, media_root, language, who):
    request = REQUESTS[language]
    address = request["requester_email"] if who == "requester" else request["cc"]
    image = samples.upload(request["image"], samples.png_bytes(), "image/png")
    response = acme_api.post(
        f"{TICKETS_URL}{gateway_ticket.number}/replies/",
        {"as": "customer", "email": address.upper(), "body": request["reply"], "files": [image]},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["author_type"] == "contact" and body["kind"] == "public" and body["body"] == request["reply"]
    assert [(f["filename"], f["reply"]) for f in body["attachments"]] == [(request["image"], body["id"])]
    reply = Reply.objects.get(pk=body["id"])
    assert reply.author_contact is not None and reply.author_contact.email == address.lower()
    assert reply.is_from_customer and reply.author_name == ""
    gateway_ticket.refresh_from_db()
    assert gateway_ticket.status == Status.OPEN  # the customer answered: the ticket is back with the team
    assert gateway_ticket.first_response_at is None  # the customer's words are no response from the team
    thread = acme_api.get(f"{TICKETS_URL}{gateway_ticket.number}/replies/").json()["results"]
    assert [(r["author_type"], r["body"]) for r in thread] == [("contact", request["reply"])]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_customers_reply_goes_to_the_team_not_back_to_the_customers(
    acme_api, gateway_ticket, agent, outbox, language
):
    request = REQUESTS[language]
    services.ticket_assign(ticket=gateway_ticket, agent=agent, by=None)
    mail.outbox.clear()
    with outbox():
        response = acme_api.post(
            f"{TICKETS_URL}{gateway_ticket.number}/replies/",
            {"as": "customer", "email": request["cc"], "body": request["reply"]},
            content_type="application/json",
        )
    assert response.status_code == 201, response.content
    to_agent = [m for m in mail.outbox if m.to == [agent.email]]
    assert to_agent and to_agent[0].subject.startswith(f"[{gateway_ticket.reference}] Customer reply")
    assert request["reply"] in to_agent[0].body
    customers = {request["requester_email"], request["cc"]}
    assert not [m for m in mail.outbox if set(m.to) & customers and request["reply"] in m.body]


@pytest.mark.parametrize("language", LANGUAGES)
def test_only_the_requester_or_a_cc_may_be_the_customer(acme_api, gateway_ticket, make_ticket, language):
    request = REQUESTS[language]
    url = f"{TICKETS_URL}{gateway_ticket.number}/replies/"
    someone_else = make_ticket("Other request").requester.email  # a contact, but not on this ticket
    for address in (someone_else, "stranger@example.com", "sergei@почта.рф"):
        response = acme_api.post(url, {"as": "customer", "email": address, "body": request["reply"]})
        assert response.status_code == 400, (address, response.content)
        assert response.json() == {
            "email": [f"{address} is neither the requester of ticket {gateway_ticket.reference} nor copied on it."]
        }
    not_an_address = acme_api.post(url, {"as": "customer", "email": "ольга", "body": request["reply"]})
    assert not_an_address.json() == {"email": ["Enter a valid email address."]}
    missing = acme_api.post(url, {"as": "customer", "body": request["reply"]}, content_type="application/json")
    assert missing.json() == {
        "email": ["Give the address of the customer who wrote this: the requester or a CC'd contact."]
    }
    stray = acme_api.post(url, {"email": request["requester_email"], "body": request["reply"]})
    assert stray.json() == {"email": ['An address is read only with "as": "customer".']}
    note = acme_api.post(
        url, {"as": "customer", "email": request["requester_email"], "kind": "internal_note", "body": "x"}
    )
    assert note.json() == {"kind": ["A customer writes public replies only."]}
    unknown = acme_api.post(url, {"as": "someone", "body": request["reply"]})
    assert unknown.status_code == 400 and list(unknown.json()) == ["as"]
    assert not Reply.objects.exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_ticket_lists_the_requests_files_and_the_replies_files(
    acme_api, gateway_ticket, agent, media_root, language
):
    request = REQUESTS[language]
    services.reply_add(
        ticket=gateway_ticket,
        body="Please send the log.",
        by=agent,
        files=[samples.upload("инструкция.pdf" if language == "ru" else "howto.pdf", samples.pdf_bytes())],
    )
    posted = acme_api.post(
        f"{TICKETS_URL}{gateway_ticket.number}/replies/",
        {
            "as": "customer",
            "email": request["cc"],
            "body": request["reply"],
            "files": [samples.upload(request["log"], b"declined\n", "text/plain")],
        },
    ).json()
    files = acme_api.get(f"{TICKETS_URL}{gateway_ticket.number}/").json()["attachments"]
    agent_reply = Reply.objects.get(author_user=agent)
    assert [(f["filename"], f["reply"]) for f in files] == [
        ("инструкция.pdf" if language == "ru" else "howto.pdf", agent_reply.pk),
        (request["log"], posted["id"]),
    ]
    assert all(set(f) == {"id", "filename", "content_type", "size", "reply", "details"} for f in files)


def test_the_schema_documents_files_and_the_customer_as_author(acme_client):
    schema = acme_client.get("/api/schema/", headers={"Accept": "application/json"}).json()
    components = schema["components"]["schemas"]
    assert components["TicketDetail"]["properties"]["files"]["items"]["format"] == "binary"
    assert "attachments" in components["TicketDetail"]["properties"]
    assert components["Reply"]["properties"]["as"]["allOf"] == [{"$ref": "#/components/schemas/ReplyAuthorEnum"}]
    assert components["ReplyAuthorEnum"]["enum"] == ["agent", "customer"]
    assert "email" in components["Reply"]["properties"]
    create = schema["paths"]["/api/v1/tickets/"]["post"]
    assert "multipart/form-data" in create["requestBody"]["content"]
    assert schema["paths"]["/api/v1/tickets/{number}/"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/TicketDetail"}
