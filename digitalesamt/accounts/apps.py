from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default = True  # the module also holds the admin's config
    name = "digitalesamt.accounts"
    label = "accounts"
    verbose_name = _("Zugänge")

    def ready(self) -> None:
        from digitalesamt.lib import ratelimit  # noqa: F401 - registers the check of the rates

        from . import second_factor  # noqa: F401 - connects its receiver of user_logged_in


class SecondFactorAdminConfig(admin_apps.AdminConfig):
    """Django's admin, whose default site admits staff only after the second factor."""

    default = False  # named in INSTALLED_APPS in place of django.contrib.admin
    default_site = "digitalesamt.accounts.sites.SecondFactorAdminSite"
