"""What a customer reads: a short plain-text reply in the assistant's tone and language.

The verified sentences are the body. A ticket draft adds a greeting and a closing
line; citations stay beside the text (links in the panel) unless the assistant is
set to put ``[n]`` markers or a list of sources into the reply itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext_lazy


class CitationStyle:
    BESIDE = "beside"  # links beside the draft; the inserted reply is plain text
    INLINE = "inline"  # [n] after each sentence, in the reply too
    SOURCES = "sources"  # a "Sources:" line with the article titles at the end of the reply
    CHOICES = (
        (BESIDE, gettext_lazy("Beside the text (links in the panel)")),
        (INLINE, gettext_lazy("Inline [n] markers in the reply")),
        (SOURCES, gettext_lazy("A list of sources at the end of the reply")),
    )


@dataclass(frozen=True)
class Phrases:
    decline: str  # the assistant does not know (it does not say that anyone was told)
    greeting: str  # {name} may be empty
    greeting_anonymous: str
    closing: str
    sources: str
    # The chat widget's first message; {name} is the assistant's. Languages without one greet in English.
    widget_greeting: str = (
        "Hi! I'm {name}. Ask me anything: I answer from our help articles, "
        "and a person from our team takes over when I can't help."
    )
    # The provider layer's extractive fallback when no knowledge matches.
    not_found: str = "I could not find this in the knowledge base."
    # Said only once the question really is with a person: a ticket exists (a draft on it, or a widget chat
    # handed over with the visitor's address).
    handed_over: str = "I have passed your question to a colleague who will get back to you."


PHRASES: dict[str, Phrases] = {
    "en": Phrases(
        "I'm sorry, our help articles don't answer this, so I can't say for sure.",
        "Hello {name},",
        "Hello,",
        "If anything is unclear, just reply to this message.",
        "Sources",
        handed_over="I have passed your question to a colleague who will get back to you.",
    ),
    "de": Phrases(
        "Das steht leider nicht in unseren Hilfeartikeln, deshalb kann ich es nicht sicher beantworten.",
        "Hallo {name},",
        "Hallo,",
        "Wenn etwas unklar ist, antworten Sie einfach auf diese Nachricht.",
        "Quellen",
        handed_over=(
            "Ich habe Ihre Frage an eine Kollegin oder einen Kollegen weitergegeben, die sich bei Ihnen melden."
        ),
    ),
    "fr": Phrases(
        "Nos articles d'aide ne répondent pas à cette question, je ne peux donc pas vous répondre avec certitude.",
        "Bonjour {name},",
        "Bonjour,",
        "Si quelque chose n'est pas clair, répondez simplement à ce message.",
        "Sources",
        handed_over="J'ai transmis votre question à un collègue qui reviendra vers vous.",
    ),
    "es": Phrases(
        "Nuestros artículos de ayuda no responden a esto, así que no puedo asegurarlo.",
        "Hola {name}:",
        "Hola:",
        "Si algo no queda claro, responda a este mensaje.",
        "Fuentes",
        handed_over="He pasado su pregunta a un compañero que le responderá.",
    ),
    "it": Phrases(
        "I nostri articoli di aiuto non rispondono a questa domanda, quindi non posso dirlo con certezza.",
        "Buongiorno {name},",
        "Buongiorno,",
        "Se qualcosa non è chiaro, risponda pure a questo messaggio.",
        "Fonti",
        handed_over="Ho passato la sua domanda a un collega che le risponderà.",
    ),
    "nl": Phrases(
        "Onze helpartikelen beantwoorden deze vraag niet, dus ik kan het niet met zekerheid zeggen.",
        "Hallo {name},",
        "Hallo,",
        "Is iets niet duidelijk? Beantwoord dan gewoon dit bericht.",
        "Bronnen",
        handed_over="Ik heb uw vraag doorgegeven aan een collega die contact met u opneemt.",
    ),
    "pt": Phrases(
        "Os nossos artigos de ajuda não respondem a isto, por isso não posso afirmar com certeza.",
        "Olá {name},",
        "Olá,",
        "Se algo não estiver claro, basta responder a esta mensagem.",
        "Fontes",
        handed_over="Passei a sua pergunta a um colega que entrará em contacto consigo.",
    ),
    "ru": Phrases(
        "К сожалению, в наших справочных статьях нет ответа на этот вопрос, поэтому я не могу ответить точно.",
        "Здравствуйте, {name}!",
        "Здравствуйте!",
        "Если что-то осталось непонятным, просто ответьте на это сообщение.",
        "Источники",
        "Здравствуйте! Я {name}. Задайте любой вопрос: я отвечаю по нашим справочным статьям, "
        "а если не смогу помочь, подключится сотрудник нашей команды.",
        "Я не нашёл ответа на этот вопрос в базе знаний.",
        handed_over="Я передал ваш вопрос коллеге, который свяжется с вами.",
    ),
}


def phrases(language: str) -> Phrases:
    return PHRASES.get((language or "en").split("-")[0].lower(), PHRASES["en"])


def decline_text(language: str) -> str:
    return phrases(language).decline


def handed_over_text(language: str) -> str:
    """What the assistant says once a person really has the question (never before)."""
    return phrases(language).handed_over


def widget_greeting(language: str, name: str) -> str:
    return phrases(language).widget_greeting.format(name=name)


@dataclass(frozen=True)
class ReplySentence:
    text: str
    ref: int | None


def body(sentences: Sequence[ReplySentence], *, style: str = CitationStyle.BESIDE) -> str:
    """The verified sentences as one plain paragraph (with [n] markers only in the inline style)."""
    parts = []
    for sentence in sentences:
        if style == CitationStyle.INLINE and sentence.ref is not None:
            parts.append(f"{sentence.text.rstrip()} [{sentence.ref}]")
        else:
            parts.append(sentence.text.strip())
    return " ".join(parts)


def draft(
    *,
    sentences: Sequence[ReplySentence],
    sources: Sequence[tuple[int, str]],
    language: str,
    tone: str,
    customer_name: str = "",
    style: str = CitationStyle.BESIDE,
    declined: bool = False,
) -> str:
    """A reply to send to the customer: greeting, the answer, a closing line (and sources when configured)."""
    words = phrases(language)
    text = body(sentences, style=style)
    if tone == "concise":
        parts = [text]
    else:
        first = customer_name.strip().split(" ")[0] if customer_name.strip() else ""
        greeting = words.greeting.format(name=first) if first else words.greeting_anonymous
        parts = [greeting, text] if declined else [greeting, text, words.closing]
    if style == CitationStyle.SOURCES and sources and not declined:
        parts.append(f"{words.sources}: " + "; ".join(f"[{ref}] {title}" for ref, title in sources))
    return "\n\n".join(p for p in parts if p)
