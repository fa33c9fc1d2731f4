from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "digitalesamt.accounts"
    label = "accounts"
    verbose_name = _("Zugänge")

    def ready(self) -> None:
        from digitalesamt.lib import ratelimit  # noqa: F401 - registers the check of the rates
