from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForaConfig(AppConfig):
    name = "fora"
    verbose_name = _("Fora")
