"""The feedback form of the accessibility statement."""

from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

MESSAGE_MAX_LENGTH = 5000


class AccessibilityFeedbackForm(forms.Form):
    """Report a barrier: only the message is required, everything else may stay empty."""

    message = forms.CharField(
        label=_("Ihre Nachricht"),
        # The validator, not max_length: browsers cut a pasted text at maxlength silently,
        # the server says so instead.
        validators=[MaxLengthValidator(MESSAGE_MAX_LENGTH)],
        widget=forms.Textarea(attrs={"rows": 8, "class": "kern-form-input__input"}),
    )
    page = forms.CharField(
        label=_("Betroffene Seite"),
        help_text=_("Die Adresse oder der Name der Seite, zum Beispiel „/karte/“ oder „Karte“."),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"class": "kern-form-input__input"}),
    )
    name = forms.CharField(
        label=_("Ihr Name"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"class": "kern-form-input__input", "autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Ihre E-Mail-Adresse"),
        help_text=_("Nur wenn Sie eine Antwort wünschen."),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"class": "kern-form-input__input", "autocomplete": "email"}),
    )
    # A trap for spam bots: hidden from people (and from screen readers) by the stylesheet;
    # whoever fills it in is not a person reading the page.
    website = forms.CharField(
        label=_("Bitte lassen Sie dieses Feld leer."),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built per request: the limit is formatted in the reader's language.
        self.fields["message"].help_text = gettext(
            "Beschreiben Sie bitte, was Sie nicht nutzen konnten und womit Sie die Seite "
            "aufgerufen haben (zum Beispiel Browser, Screenreader, Vergrößerung). "
            "Höchstens %(limit)s Zeichen."
        ) % {"limit": number_format(MESSAGE_MAX_LENGTH, force_grouping=True)}

    def is_spam(self) -> bool:
        """Tell whether the trap field was filled in (call after is_valid())."""
        return bool(self.cleaned_data.get("website"))
