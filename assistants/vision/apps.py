from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from tickets.extensions import register_attachment_processor


class VisionConfig(AppConfig):
    """Screenshot triage: OCR, classification and thumbnails of the images attached to tickets."""

    name = "assistants.vision"
    label = "vision"
    verbose_name = _("Screenshot triage")
    # Codenames of this app's permissions per role (see helpdesk.accounts.roles); admin gets all.
    role_permissions: dict[str, list[str]] = {
        "agent": ["view_screenshotlabel", "view_attachmentanalysis"],
        "manager": [
            "view_attachmentanalysis",
            *(f"{action}_screenshotlabel" for action in ("view", "add", "change", "delete")),
        ],
    }

    def ready(self) -> None:
        # reason: the engine registry and these modules import models, which load only once the app registry is ready
        from assistants.engine.registry import register_question_enricher
        from assistants.vision.selectors import attachment_details, screenshot_question_text
        from assistants.vision.templatetags.vision import thread_context

        # The answer to a ticket also reads what its screenshots say.
        register_question_enricher("vision.screenshots", screenshot_question_text)
        # Ticket extensions: every new attachment goes to the screenshot reader, whose results show under it.
        register_attachment_processor(
            "vision",
            task="assistants.vision.tasks.analyse_attachment",
            details=attachment_details,
            template="vision/thread.html",
            context=thread_context,
        )
