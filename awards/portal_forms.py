"""Forms of the municipal portal's application page: decisions, so plain forms."""

from django import forms
from django.utils.translation import gettext_lazy as _


class PageForm(forms.Form):
    """A form that shares its page with others: its ids carry its own prefix, names do not."""

    id_prefix = "form"

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class SubmitForm(PageForm):
    """Submit the draft application, with an optional note for the ministry."""

    id_prefix = "submit"

    comment = forms.CharField(
        label=_("Anmerkung für das Staatsministerium"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "kern-form-input__input"}),
    )


class AnswerForm(PageForm):
    """Answer a request for changes; answering resubmits the application."""

    id_prefix = "answer"

    comment = forms.CharField(
        label=_("Ihre Antwort an das Staatsministerium"),
        help_text=_(
            "Beschreiben Sie, was Sie geändert haben. Mit dem Absenden wird der Antrag mit der "
            "aktuellen Liste Ihrer Online-Verfahren erneut eingereicht."
        ),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4, "class": "kern-form-input__input"}),
        error_messages={"required": _("Bitte schreiben Sie eine Antwort.")},
    )

    def clean_comment(self) -> str:
        comment = self.cleaned_data["comment"].strip()
        if not comment:
            raise forms.ValidationError(_("Bitte schreiben Sie eine Antwort."))
        return comment


class WithdrawForm(PageForm):
    """Withdraw the application; the checkbox stands in for a confirmation dialog."""

    id_prefix = "withdraw"

    confirm = forms.BooleanField(
        label=_("Ja, ich möchte den Antrag zurückziehen."),
        error_messages={
            "required": _("Bitte bestätigen Sie, dass Sie den Antrag zurückziehen möchten.")
        },
        widget=forms.CheckboxInput(attrs={"class": "kern-form-check__checkbox"}),
    )
    comment = forms.CharField(
        label=_("Grund"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "kern-form-input__input"}),
    )
