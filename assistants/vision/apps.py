from django.apps import AppConfig

from tickets.extensions import register_attachment_processor


class VisionConfig(AppConfig):
    """Screenshot triage: OCR, classification and thumbnails of the images attached to tickets."""

    name = "assistants.vision"
    label = "vision"
    verbose_name = "Screenshot triage"
    # Codenames of this app's permissions per role (see helpdesk.accounts.roles); admin gets all.
    role_permissions: dict[str, list[str]] = {
        "agent": ["view_screenshotlabel", "view_attachmentanalysis"],
        "manager": [
            "view_attachmentanalysis",
            *(f"{action}_screenshotlabel" for action in ("view", "add", "change", "delete")),
        ],
    }

    def ready(self) -> None:
        # Ticket extensions: every new attachment goes to the screenshot reader, whose results show under it.
        # reason: these modules import models, which load only once the app registry is ready
        from assistants.vision.selectors import attachment_details
        from assistants.vision.templatetags.vision import thread_context

        register_attachment_processor(
            "vision",
            task="assistants.vision.tasks.analyse_attachment",
            details=attachment_details,
            template="vision/thread.html",
            context=thread_context,
        )
