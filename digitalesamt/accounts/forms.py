"""The forms of login, password reset and invitations; the site's form renderer styles them."""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.core.validators import MaxLengthValidator
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from digitalesamt.lib import mail
from digitalesamt.lib.forms import SaysWhatToDo
from municipalities.models import Membership, Municipality

from . import second_factor
from .invitations import InvitationError, check_new_email, pending_invitation, same_address


class LoginForm(SaysWhatToDo, AuthenticationForm):
    """Log in by e-mail address (the username of invited users) or username."""

    error_messages = {
        "invalid_login": gettext_lazy(
            "Anmeldung fehlgeschlagen: E-Mail-Adresse oder Passwort ist falsch. "
            "Achten Sie auf Groß- und Kleinschreibung beim Passwort."
        ),
        "inactive": gettext_lazy("Dieser Zugang ist gesperrt."),
    }

    def __init__(self, request: HttpRequest | None = None, *args: object, **kwargs: object):
        super().__init__(request, *args, **kwargs)
        username = self.fields["username"]
        username.label = _("E-Mail-Adresse oder Benutzername")
        username.error_messages["required"] = _(
            "Geben Sie Ihre E-Mail-Adresse oder Ihren Benutzernamen ein."
        )
        self.fields["password"].label = _("Passwort")
        self.fields["password"].error_messages["required"] = _("Geben Sie Ihr Passwort ein.")
        # Django sets max_length after the field is built, so nothing checks it: a name no
        # user can have would reach authenticate() and the record of failed attempts.
        username.validators.append(
            MaxLengthValidator(
                username.max_length,
                _(
                    "Geben Sie höchstens %(limit_value)d Zeichen ein: so lang ist eine "
                    "E-Mail-Adresse oder ein Benutzername hier höchstens."
                ),
            )
        )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        # Invited users' usernames are their lower-cased addresses.
        return username.lower() if "@" in username else username


class PasswordResetRequestForm(SaysWhatToDo, PasswordResetForm):
    """Send the reset link from SITE_URL; an invited user who lost the invitation gets one too.

    Saved by the worker (digitalesamt.accounts.tasks), never in a request; each mail is then
    queued once more, so that a mail server down gets it tried again later.
    """

    def __init__(self, *args: object, **kwargs: object):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("E-Mail-Adresse")
        self.fields["email"].error_messages["required"] = _(
            "Geben Sie die E-Mail-Adresse ein, mit der Sie sich anmelden."
        )

    def get_users(self, email: str):
        users = get_user_model()._default_manager.filter(email__iexact=email, is_active=True)
        return (
            user
            for user in users
            # As Django does: iexact may match a different address under Unicode case folding.
            if same_address(email, user.email)
            and (user.has_usable_password() or pending_invitation(user))
        )

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict,
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        # The templates are <name>_subject.txt and <name>.txt, as digitalesamt.lib.mail reads them.
        mail.send_later(email_template_name.removesuffix(".txt"), context, [to_email])


class NewPasswordForm(SaysWhatToDo, SetPasswordForm):
    """Choose a password, with German labels."""

    def __init__(self, *args: object, **kwargs: object):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = _("Neues Passwort")
        self.fields["new_password2"].label = _("Neues Passwort wiederholen")
        self.fields["new_password1"].error_messages["required"] = _(
            "Geben Sie ein neues Passwort ein."
        )
        self.fields["new_password2"].error_messages["required"] = _(
            "Geben Sie das neue Passwort noch einmal ein."
        )


class InviteForm(SaysWhatToDo, forms.Form):
    """Invite a clerk of a Kommune or a reviewer of the ministry."""

    email = forms.EmailField(
        label=gettext_lazy("E-Mail-Adresse"),
        help_text=gettext_lazy("wird der Benutzername"),
        error_messages={
            "required": gettext_lazy(
                "Geben Sie die E-Mail-Adresse der Person ein, die Sie einladen."
            )
        },
    )
    municipality = forms.ModelChoiceField(
        label=gettext_lazy("Kommune"),
        queryset=Municipality.objects.all(),
        required=False,
        widget=AutocompleteSelect(Membership._meta.get_field("municipality"), admin.site),
    )
    ministry = forms.BooleanField(
        label=gettext_lazy("Ministerium (Prüfung)"),
        required=False,
        help_text=gettext_lazy("statt einer Kommune: Zugang zur Prüfung im Staatsministerium"),
    )

    def clean_email(self) -> str:
        try:
            return check_new_email(self.cleaned_data["email"])
        except InvitationError as error:
            raise forms.ValidationError(error.message, code=error.code) from None

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("municipality") and cleaned.get("ministry"):
            raise forms.ValidationError(
                _("Entweder eine Kommune oder das Ministerium wählen, nicht beides.")
            )
        if not cleaned.get("municipality") and not cleaned.get("ministry"):
            raise forms.ValidationError(_("Bitte eine Kommune oder das Ministerium wählen."))
        return cleaned


class AppCodeForm(SaysWhatToDo, forms.Form):
    """The six-digit code an authenticator app shows."""

    code = forms.CharField(
        label=gettext_lazy("Code aus der Authenticator-App"),
        help_text=gettext_lazy("6 Ziffern; die App zeigt alle 30 Sekunden einen neuen."),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
        error_messages={
            "required": gettext_lazy(
                "Geben Sie die 6 Ziffern ein, die Ihre Authenticator-App gerade zeigt."
            )
        },
    )

    def clean_code(self) -> str:
        code = second_factor.parse_code(self.cleaned_data["code"])
        if not code:
            raise forms.ValidationError(
                _("Geben Sie die 6 Ziffern ein, die Ihre Authenticator-App gerade zeigt.")
            )
        return code


class RecoveryCodeForm(SaysWhatToDo, forms.Form):
    """One of the ten recovery codes, e.g. "k3f9-q2mx"."""

    code = forms.CharField(
        label=gettext_lazy("Wiederherstellungscode"),
        help_text=gettext_lazy(
            "8 Zeichen, z. B. k3f9-q2mx; mit oder ohne Bindestrich. Jeder Code gilt nur einmal."
        ),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={
            "required": gettext_lazy(
                "Geben Sie einen Ihrer Wiederherstellungscodes ein, z. B. k3f9-q2mx."
            )
        },
    )

    def clean_code(self) -> str:
        code = second_factor.normalise_code(self.cleaned_data["code"])
        if len(code) != 8:
            raise forms.ValidationError(
                _("Ein Wiederherstellungscode hat 8 Zeichen, z. B. k3f9-q2mx.")
            )
        return code
