from django.apps import AppConfig

_MODELS = ("dataset", "upload", "run", "row", "reviewdecision", "version", "versionrow", "classifier")


class DatasetsConfig(AppConfig):
    name = "datasets"
    label = "datasets"
    verbose_name = "Datasets"
    # Codenames of this app's permissions per role (see helpdesk.accounts.roles); admin gets all.
    # Agents may look and review; managers upload, run, write and check out versions.
    role_permissions: dict[str, list[str]] = {
        "agent": [f"view_{model}" for model in _MODELS] + ["change_row", "add_reviewdecision"],
        "manager": [f"{action}_{model}" for action in ("view", "add", "change", "delete") for model in _MODELS],
    }
