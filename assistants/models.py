import secrets
import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from assistants.engine import STRATEGY_CHOICES, strategy_for
from assistants.replies import CitationStyle
from helpdesk.ai import PROVIDER_KEYS, chat_models


class Tone(models.TextChoices):
    FRIENDLY = "friendly", _("Friendly")
    FORMAL = "formal", _("Formal")
    CONCISE = "concise", _("Concise")


DEFAULT_ESCALATION_KEYWORDS = [
    "lawyer", "lawsuit", "legal action", "chargeback", "data breach", "gdpr request",
    # Russian, matched in any grammatical form (assistants.engine.escalation)
    "жалоба", "претензия", "суд", "юрист", "адвокат", "прокуратура", "роспотребнадзор", "возврат денег",
    "верните деньги", "мошенничество", "мошенники", "срочно", "угроза", "угрожать", "отменить договор",
    "расторгнуть договор", "утечка данных",
]  # fmt: skip


class Assistant(models.Model):
    """An AI assistant of a tenant: its policy, model, retrieval and escalation settings."""

    name = models.CharField(verbose_name=_("Name"), max_length=100, unique=True)
    policy = models.TextField(
        verbose_name=_("Policy"),
        help_text=_("The system prompt: who the assistant is, what it helps with and what it must never do."),
    )
    tone = models.CharField(verbose_name=_("Tone"), max_length=10, choices=Tone.choices, default=Tone.FRIENDLY)
    language = models.CharField(
        verbose_name=_("Language"), max_length=10, default="en", help_text=_("Language of the answers, e.g. en or ru.")
    )
    provider = models.CharField(
        verbose_name=_("Provider"),
        max_length=20,
        blank=True,
        choices=[(p, p) for p in PROVIDER_KEYS],
        help_text=_("Empty: the server's default (LLM_PROVIDER)."),
    )
    model_name = models.CharField(
        verbose_name=_("Model name"),
        max_length=200,
        blank=True,
        help_text=_(
            "llama.cpp: smollm2-135m (English, fast) or qwen2.5-1.5b (multilingual); Ollama: its model name. "
            "Empty: SmolLM2 for English, Qwen for any other language (llama.cpp), else the server's model."
        ),
    )
    temperature = models.FloatField(
        verbose_name=_("Temperature"), default=0.2, validators=[MinValueValidator(0.0), MaxValueValidator(2.0)]
    )
    max_new_tokens = models.PositiveIntegerField(
        verbose_name=_("Max new tokens"), default=128, validators=[MinValueValidator(16), MaxValueValidator(1024)]
    )
    top_k = models.PositiveSmallIntegerField(
        verbose_name=_("Top k"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_("Knowledge chunks in a prompt of whole chunks; answers built from sentences read twice as many."),
    )
    min_similarity = models.FloatField(
        verbose_name=_("Min similarity"),
        default=0.2,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("Chunks less similar to the question than this are not used."),
    )
    tag_filters = ArrayField(
        models.CharField(max_length=50),
        blank=True,
        default=list,
        verbose_name=_("Tag filters"),
        help_text=_("Only knowledge with one of these tags."),
    )
    history_turns = models.PositiveSmallIntegerField(
        verbose_name=_("History turns"),
        default=6,
        validators=[MaxValueValidator(50)],
        help_text=_("Earlier messages kept in a conversation's prompt."),
    )
    escalation_keywords = ArrayField(
        models.CharField(max_length=100),
        blank=True,
        default=list,
        verbose_name=_("Escalation keywords"),
        help_text=_("Any of these in a message escalates."),
    )
    escalate_below_similarity = models.FloatField(
        verbose_name=_("Escalate below similarity"),
        default=0.35,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("Escalate when the best knowledge match is weaker than this."),
    )
    always_escalate_types = ArrayField(
        models.CharField(max_length=50),
        blank=True,
        default=list,
        verbose_name=_("Always escalate types"),
        help_text=_("Request types that always go to a person, e.g. complaint."),
    )
    strategy = models.CharField(
        verbose_name=_("Strategy"),
        max_length=20,
        blank=True,
        choices=STRATEGY_CHOICES,
        help_text=_("How the model answers; empty: the server's default (ASSISTANTS_ANSWER_STRATEGY)."),
    )
    citation_style = models.CharField(
        verbose_name=_("Citation style"),
        max_length=10,
        choices=CitationStyle.CHOICES,
        default=CitationStyle.BESIDE,
        help_text=_(
            "Where citations go in a ticket draft: beside it (links), as [n] in the text, or a list of sources."
        ),
    )
    # --- datasets: when set, request types come from the classifier trained from this version.
    classifier_version = models.ForeignKey(
        "datasets.Version",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Classifier version"),
        help_text=_(
            "Classify request types with the classifier trained from this dataset version "
            "(its labels become the request types); empty: the labelled examples below."
        ),
    )
    # The LoRA issue points this at a trained adapter; None means the base model.
    adapter = models.CharField(max_length=300, null=True, blank=True, verbose_name=_("adapter"))
    is_default = models.BooleanField(default=False, verbose_name=_("default"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("assistant")
        verbose_name_plural = _("assistants")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="assistant_single_default"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        problem = chat_models.check_choice(provider=self.provider or settings.LLM_PROVIDER, model_name=self.model_name)
        if problem:
            raise ValidationError({"model_name": problem})

    @property
    def chat_model(self) -> str:
        """The model this assistant answers with: its own, or its language's default; "" the provider's own."""
        return chat_models.model_for(
            provider=self.provider or settings.LLM_PROVIDER, model_name=self.model_name, language=self.language
        )

    @property
    def chat_model_label(self) -> str:
        return chat_models.label(self.chat_model) or gettext("the server's model")

    @property
    def answer_strategy_label(self) -> str:
        """How this assistant answers now: its own strategy, else the server's or its chat model's default."""
        chosen = strategy_for(self, self.provider or settings.LLM_PROVIDER)
        return str(dict(STRATEGY_CHOICES).get(chosen, chosen))


class RequestType(models.Model):
    """A kind of request (support, sales, complaint…) with its own instructions and labelled examples."""

    assistant = models.ForeignKey(
        Assistant, on_delete=models.CASCADE, related_name="request_types", verbose_name=_("assistant")
    )
    name = models.SlugField(verbose_name=_("Name"), max_length=50)
    prompt = models.TextField(
        verbose_name=_("Prompt"), blank=True, help_text=_("Extra instructions for answers to this kind of request.")
    )
    examples = models.TextField(
        verbose_name=_("Examples"),
        blank=True,
        help_text=_("Typical messages of this kind, one per line: the classifier learns from them."),
    )

    class Meta:
        verbose_name = _("request type")
        verbose_name_plural = _("request types")
        ordering = ["assistant", "name"]
        constraints = [models.UniqueConstraint(fields=["assistant", "name"], name="request_type_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def example_lines(self) -> list[str]:
        return [line.strip() for line in self.examples.splitlines() if line.strip()]


class Channel(models.TextChoices):
    API = "api", "API"
    WIDGET = "widget", _("Website widget")
    PLAYGROUND = "playground", _("Playground")


class Conversation(models.Model):
    """A chat session with an assistant; the API calls its ``session_id``."""

    assistant = models.ForeignKey(
        Assistant, on_delete=models.CASCADE, related_name="conversations", verbose_name=_("assistant")
    )
    session_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False, verbose_name=_("session ID"))
    channel = models.CharField(max_length=12, choices=Channel.choices, default=Channel.API, verbose_name=_("channel"))
    ticket_number = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Ticket opened when it escalated."), verbose_name=_("ticket number")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"{self.assistant} · {self.session_id}"


class ChatMessage(models.Model):
    class Role(models.TextChoices):
        USER = "user", _("User")
        ASSISTANT = "assistant", _("Assistant")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages", verbose_name=_("conversation")
    )
    role = models.CharField(max_length=10, choices=Role.choices, verbose_name=_("role"))
    content = models.TextField(verbose_name=_("content"))
    citations = models.JSONField(default=list, blank=True, verbose_name=_("citations"))
    request_type = models.CharField(max_length=50, blank=True, verbose_name=_("request type"))
    escalate = models.BooleanField(default=False, verbose_name=_("escalate"))
    reasons = models.JSONField(default=list, blank=True, verbose_name=_("reasons"))
    provider = models.CharField(max_length=20, blank=True, verbose_name=_("provider"))
    latency_ms = models.FloatField(null=True, blank=True, verbose_name=_("latency, ms"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.role}: {self.content[:40]}"


class TicketAnswer(models.Model):
    """An AI draft for a ticket: the stored answer result, the agent's thumbs, and the draft reply."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="ai_answers", verbose_name=_("ticket")
    )
    assistant = models.ForeignKey(
        Assistant, null=True, on_delete=models.SET_NULL, related_name="ticket_answers", verbose_name=_("assistant")
    )
    draft = models.OneToOneField(
        "tickets.Reply", null=True, on_delete=models.SET_NULL, related_name="ai_answer", verbose_name=_("draft")
    )
    result = models.JSONField(
        help_text=_("text, citations, request type, confidence, priority, tags, escalation"), verbose_name=_("result")
    )
    feedback = models.SmallIntegerField(
        null=True, blank=True, choices=[(1, "Helpful"), (-1, "Not helpful")], verbose_name=_("feedback")
    )
    feedback_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("feedback by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("AI answer")
        verbose_name_plural = _("AI answers")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"AI draft for #{self.ticket_id}"

    @property
    def unverified(self) -> list[dict[str, object]]:
        """The model's sentences that failed verification (shown marked, never inserted into the reply)."""
        return [s for s in self.result.get("sentences", []) if not s.get("verified")]


def _widget_key() -> str:
    return "wk_" + secrets.token_urlsafe(18)


class WidgetKey(models.Model):
    """A public key for the website chat widget: one assistant, a list of sites allowed to use it."""

    assistant = models.ForeignKey(
        Assistant, on_delete=models.CASCADE, related_name="widget_keys", verbose_name=_("assistant")
    )
    key = models.CharField(max_length=40, unique=True, default=_widget_key, editable=False, verbose_name=_("key"))
    allowed_origins = ArrayField(
        models.CharField(max_length=200),
        help_text=_("Sites that may embed the widget, e.g. https://www.acme.com"),
        verbose_name=_("allowed origins"),
    )
    is_active = models.BooleanField(default=True, verbose_name=_("active"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("widget key")
        verbose_name_plural = _("widget keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.key[:10]}… for {self.assistant}"
