from django.apps import AppConfig
from django.db.models.signals import post_migrate


class KkrPortalConfig(AppConfig):
    name = "kkr_portal"
    verbose_name = "KKR Portal"

    def ready(self) -> None:
        from . import checks  # noqa: F401 (registers the portal's system checks)
        from .versioning import install_triggers

        # After every migrate, also of a test database: tables added since get their trigger.
        post_migrate.connect(install_triggers, sender=self, dispatch_uid="kkr_directory_triggers")
