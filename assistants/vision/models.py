"""The tenant's screenshot labels and what was read from each image attachment."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


class ScreenshotLabel(models.Model):
    """A category screenshots are sorted into: its description is the CLIP prompt, its examples train the text side."""

    name = models.SlugField(
        max_length=50, unique=True, help_text=_("Stored as the ticket's category, e.g. payment_problem.")
    )
    title = models.CharField(max_length=100, help_text=_("What agents see, e.g. Payment problem."))
    description = models.CharField(
        max_length=300,
        help_text=_(
            "What such a screenshot shows, e.g. 'a checkout page saying the card was declined' (CLIP's prompt)."
        ),
    )
    examples = models.TextField(
        blank=True,
        help_text=_("Text such screenshots contain, one example per line (the text classifier learns them)."),
    )
    is_fallback = models.BooleanField(
        default=False, help_text=_("Images with nothing to go on (no text, no CLIP) get this label.")
    )
    position = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
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

    attachment = models.OneToOneField("tickets.Attachment", on_delete=models.CASCADE, related_name="analysis")
    status = models.CharField(max_length=12, choices=AnalysisStatus.choices, default=AnalysisStatus.PROCESSING)
    error = models.CharField(max_length=300, blank=True, help_text=_("Why the image could not be read."))
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    image_format = models.CharField(max_length=20, blank=True)
    frames = models.PositiveIntegerField(default=1, help_text=_("Frames of an animated image; the first one is read."))
    thumbnail = models.BinaryField(null=True, blank=True, editable=False)
    text = models.TextField(blank=True, help_text=_("The text read, line by line, top to bottom."))
    lines = models.JSONField(default=list, blank=True, help_text=_("[{text, confidence, box}] per line."))
    error_codes = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    error_messages = ArrayField(models.CharField(max_length=300), default=list, blank=True)
    category = models.CharField(max_length=50, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    source = models.CharField(max_length=4, choices=Source.choices, blank=True)
    scores = models.JSONField(
        default=dict, blank=True, help_text=_("Probability per label of the combined classifier.")
    )
    timings_ms = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["attachment_id"]
        verbose_name_plural = _("attachment analyses")

    def __str__(self) -> str:
        return f"{self.attachment_id}: {self.status} {self.category}"
