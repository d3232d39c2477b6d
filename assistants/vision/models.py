"""The tenant's screenshot labels and what was read from each image attachment."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


class ScreenshotLabel(models.Model):
    """A category screenshots are sorted into: its description is the CLIP prompt, its examples train the text side."""

    name = models.SlugField(
        max_length=50,
        unique=True,
        help_text=_("Stored as the ticket's category, e.g. payment_problem."),
        verbose_name=_("name"),
    )
    title = models.CharField(
        max_length=100, help_text=_("What agents see, e.g. Payment problem."), verbose_name=_("title")
    )
    description = models.CharField(
        max_length=300,
        help_text=_(
            "What such a screenshot shows, e.g. 'a checkout page saying the card was declined' (CLIP's prompt)."
        ),
        verbose_name=_("description"),
    )
    examples = models.TextField(
        blank=True,
        help_text=_("Text such screenshots contain, one example per line (the text classifier learns them)."),
        verbose_name=_("examples"),
    )
    is_fallback = models.BooleanField(
        default=False,
        help_text=_("Images with nothing to go on (no text, no CLIP) get this label."),
        verbose_name=_("fallback"),
    )
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("screenshot category")
        verbose_name_plural = _("screenshot categories")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_fallback"], condition=models.Q(is_fallback=True), name="screenshot_label_single_fallback"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def example_lines(self) -> list[str]:
        return [line.strip() for line in self.examples.splitlines() if line.strip()]


class AnalysisStatus(models.TextChoices):
    PROCESSING = "processing", _("Reading")
    DONE = "done", _("Read")
    INVALID = "invalid", _("Not a readable image")
    FAILED = "failed", _("Failed")


class Source(models.TextChoices):
    OCR = "ocr", _("Text (OCR)")
    CLIP = "clip", _("Image (CLIP)")
    BOTH = "both", _("Text and image")
    NONE = "none", _("Nothing to go on")


class AttachmentAnalysis(models.Model):
    """What the screenshot reader made of one image attachment (one row per attachment, replaced on re-runs)."""

    attachment = models.OneToOneField(
        "tickets.Attachment", on_delete=models.CASCADE, related_name="analysis", verbose_name=_("attachment")
    )
    status = models.CharField(
        max_length=12, choices=AnalysisStatus.choices, default=AnalysisStatus.PROCESSING, verbose_name=_("status")
    )
    error = models.CharField(
        max_length=300, blank=True, help_text=_("Why the image could not be read."), verbose_name=_("error")
    )
    width = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("width"))
    height = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("height"))
    image_format = models.CharField(max_length=20, blank=True, verbose_name=_("image format"))
    frames = models.PositiveIntegerField(
        default=1, help_text=_("Frames of an animated image; the first one is read."), verbose_name=_("frames")
    )
    thumbnail = models.BinaryField(null=True, blank=True, editable=False, verbose_name=_("thumbnail"))
    text = models.TextField(
        blank=True, help_text=_("The text read, line by line, top to bottom."), verbose_name=_("text")
    )
    lines = models.JSONField(
        default=list, blank=True, help_text=_("[{text, confidence, box}] per line."), verbose_name=_("lines")
    )
    error_codes = ArrayField(models.CharField(max_length=100), default=list, blank=True, verbose_name=_("error codes"))
    error_messages = ArrayField(
        models.CharField(max_length=300), default=list, blank=True, verbose_name=_("error messages")
    )
    category = models.CharField(max_length=50, blank=True, verbose_name=_("category"))
    confidence = models.FloatField(null=True, blank=True, verbose_name=_("confidence"))
    source = models.CharField(max_length=4, choices=Source.choices, blank=True, verbose_name=_("source"))
    scores = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("Probability per label of the combined classifier."),
        verbose_name=_("scores"),
    )
    timings_ms = models.JSONField(default=dict, blank=True, verbose_name=_("timings, ms"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("screenshot analysis")
        ordering = ["attachment_id"]
        verbose_name_plural = _("attachment analyses")

    def __str__(self) -> str:
        return f"{self.attachment_id}: {self.status} {self.category}"
