"""Reading real MIME: charsets, HTML, quoted history and signatures, files, auto-replies, bounces, bad headers."""

from __future__ import annotations

import pytest

from mail.parsing import MailUnreadable, clean_subject, cut_reply, html_sandboxed, parse
from mail.tests.conftest import corpus


def test_gmail_message_gives_sender_cc_and_text_without_signature():
    mail = parse(corpus("gmail_new.eml"))
    assert (mail.sender, mail.sender_name) == ("bob.smith@example.com", "Bob Smith")
    assert mail.cc == ["carol@example.com"]
    assert mail.message_id == "CAF=qK8mV1x2yZ3@mail.gmail.com"
    assert (
        mail.newest
        == "Hello,\n\nWhen I pay for my order the payment page shows error 502.\nI tried twice this morning."
    )
    assert "Example Ltd." in mail.text  # the whole message is kept


@pytest.mark.parametrize(
    ("name", "newest"),
    [
        ("gmail_reply.eml", "It happens with Visa only, Mastercard works."),
        ("outlook_reply.eml", "Still failing after the update."),
        ("apple_mail_reply.eml", "Same here on my laptop."),
        ("thunderbird_reply_koi8r.eml", "Спасибо, после очистки кэша оплата прошла."),
        ("gmail_reply_ru_html.eml", "Ошибка повторилась сегодня утром."),
    ],
)
def test_replies_of_each_client_are_cut_to_the_newest_part(name, newest):
    mail = parse(corpus(name))
    assert mail.newest == newest
    assert mail.in_reply_to


def test_russian_outlook_quote_header_and_signature_are_cut():
    text = (
        "Всё ещё не работает.\n\nС уважением,\nИван Петров\n\n"
        "От: Служба поддержки <support@acme.test>\nОтправлено: 7 декабря 2026 г. 10:00\n"
        "Кому: ivan.petrov@example.ru\nТема: RE: Ошибка оплаты\n\nПопробуйте ещё раз."
    )
    assert cut_reply(text) == "Всё ещё не работает."


def test_russian_gmail_quote_header_is_cut():
    text = "Спасибо!\n\nпн, 7 дек. 2026 г. в 10:00, Support <support@acme.test>:\n> Попробуйте очистить кэш.\n"
    assert cut_reply(text) == "Спасибо!"


def test_windows_1251_mail_with_screenshot_is_decoded():
    mail = parse(corpus("ru_cp1251_screenshot.eml"))
    assert (mail.sender_name, mail.subject) == ("Иван Петров", "Ошибка оплаты")
    assert mail.newest.startswith("Здравствуйте!\n\nПри оплате заказа появляется ошибка 502")
    assert "С уважением" not in mail.newest
    [screenshot] = mail.files
    assert (screenshot.filename, screenshot.content_type) == ("скриншот.png", "image/png")
    assert screenshot.data.startswith(b"\x89PNG")


def test_koi8r_and_iso_2022_jp_are_decoded():
    koi = parse(corpus("thunderbird_reply_koi8r.eml"))
    assert (koi.sender_name, koi.subject) == ("Иван Петров", "Re: Ошибка оплаты")
    japanese = parse(corpus("iso2022jp.eml"))
    assert (japanese.subject, japanese.text) == ("支払いエラー", "支払いができません。")


def test_html_only_mail_becomes_text_and_its_html_is_kept_for_a_sandbox():
    mail = parse(corpus("html_only.eml"))
    assert mail.text == "My password reset link has expired.\n\nPlease send a new one."
    assert "<script>" in mail.html  # the original, as received
    safe = html_sandboxed(mail.html)
    assert "script" not in safe and "steal" not in safe
    assert "tracker.example" not in safe  # no remote image is loaded when viewing it
    assert "password reset" in safe


def test_html_sandbox_keeps_inline_images_only():
    safe = html_sandboxed('<p>Скриншот:</p><img src="cid:shot1@x"><img src="http://evil.example/x.gif">')
    assert 'src="cid:shot1@x"' in safe and "evil.example" not in safe


def test_inline_cid_image_is_a_file():
    [image] = parse(corpus("inline_cid_image.eml")).files
    assert (image.content_id, image.content_type) == ("shot1@northwind.example", "image/png")
    assert image.filename.endswith(".png")


@pytest.mark.parametrize("name", ["auto_reply_ooo.eml", "auto_reply_ru_bulk.eml", "dsn_bounce.eml"])
def test_auto_replies_are_recognised(name):
    assert parse(corpus(name)).auto_reply


def test_normal_mail_is_no_auto_reply():
    assert not parse(corpus("gmail_new.eml")).auto_reply
    assert not parse(corpus("ru_cp1251_screenshot.eml")).auto_reply


def test_delivery_report_names_the_failed_address():
    mail = parse(corpus("dsn_bounce.eml"))
    assert mail.is_bounce and mail.bounce_recipients == ["gone@nowhere.example"]


def test_spam_flag_is_read():
    assert parse(corpus("spam.eml")).spam and not parse(corpus("gmail_new.eml")).spam


def test_mail_without_a_sender_cannot_be_read():
    with pytest.raises(MailUnreadable, match="no sender"):
        parse(corpus("malformed_no_from.eml"))
    with pytest.raises(MailUnreadable, match="empty"):
        parse(b"\r\n")


def test_malformed_headers_with_a_sender_still_read_and_are_known_by_their_hash():
    mail = parse(corpus("malformed_headers.eml"))
    assert mail.sender == "eve@example.net"
    assert mail.text == "The order page is blank — nothing loads."
    assert mail.message_id == "" and mail.dedup_key.startswith("sha256:")


@pytest.mark.parametrize(
    ("subject", "clean"),
    [("Re: Fwd: Payment", "Payment"), ("RE: [#12] Оплата", "[#12] Оплата"), ("Ответ: Отв: Оплата", "Оплата")],
)
def test_subject_prefixes_are_dropped(subject, clean):
    assert clean_subject(subject) == clean


def test_a_bare_quote_at_the_end_is_cut():
    assert cut_reply("Works now.\n\n> Hello Bob,\n> try again.\n") == "Works now."
    assert cut_reply("Работает.\n\n> Здравствуйте,\n>\n> попробуйте снова.") == "Работает."
