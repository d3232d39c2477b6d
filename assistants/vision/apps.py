from django.apps import AppConfig


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
        # reason: the engine package and these selectors import models, loadable only once the registry is ready
        from assistants.engine.registry import register_question_enricher
        from assistants.vision.selectors import screenshot_question_text

        register_question_enricher("vision.screenshots", screenshot_question_text)
