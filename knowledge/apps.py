from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    label = "knowledge"
    # Codenames of this app's permissions per role (see helpdesk.accounts.roles); admin gets all.
    role_permissions: dict[str, list[str]] = {
        "agent": ["view_document", "add_document"],
        "manager": [
            "view_document",
            "add_document",
            "change_document",
            "delete_document",
            # The embedding model: start and cancel a switch on the knowledge settings page.
            "view_embeddingswitch",
            "add_embeddingswitch",
            "change_embeddingswitch",
        ],
    }
