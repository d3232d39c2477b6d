from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from helpdesk.ai import classifiers, examples

_MODELS = ("dataset", "upload", "run", "row", "reviewdecision", "version", "versionrow", "classifier")


class DatasetsConfig(AppConfig):
    name = "datasets"
    label = "datasets"
    verbose_name = _("Datasets")
    # Codenames of this app's permissions per role (see helpdesk.accounts.roles); admin gets all.
    # Agents may look and review; managers upload, run, write and check out versions.
    role_permissions: dict[str, list[str]] = {
        "agent": [f"view_{model}" for model in _MODELS] + ["change_row", "add_reviewdecision"],
        "manager": [f"{action}_{model}" for action in ("view", "add", "change", "delete") for model in _MODELS],
    }

    def ready(self) -> None:
        # reason: these modules import this app's models, loadable only once the app registry is ready
        from datasets.classifier import classify_one
        from datasets.examples import COLLECTION

        # A version's trained classifier labels requests for assistants that chose it; LoRA trains on versions.
        classifiers.register("request_type", classify_one)
        examples.register_collection(COLLECTION)
