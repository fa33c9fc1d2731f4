from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    name = "digitalesamt.public"
    label = "public"
    verbose_name = _("Öffentliche Seiten")

    def ready(self) -> None:
        from . import version  # noqa: F401 - connects the receiver of the register's signal
