from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AwardsConfig(AppConfig):
    name = "awards"
    verbose_name = _("Prädikat Digitales Amt")

    def ready(self) -> None:
        from digitalesamt.lib.mail import mail_undelivered

        from .notifications import record_undelivered

        # Mails of every app are given up in the library; the ministry's list of them is here.
        mail_undelivered.connect(record_undelivered, dispatch_uid="awards.record_undelivered")
