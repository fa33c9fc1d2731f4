"""Forms for the ministry's decisions: plain forms that validate and never act."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Verdict
from .review import DEFAULT_SAMPLE_SIZE


def _textarea() -> forms.Textarea:
    return forms.Textarea(attrs={"rows": 4, "cols": 60})


class RequestChangesForm(forms.Form):
    message = forms.CharField(
        label=_("Was soll die Kommune nachbessern?"),
        widget=_textarea(),
        error_messages={"required": _("Bitte schreiben Sie, was die Kommune nachbessern soll.")},
        help_text=_("Die Kommune erhält diesen Text per E-Mail und im Portal."),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Grund der Ablehnung"),
        widget=_textarea(),
        error_messages={"required": _("Bitte geben Sie den Grund der Ablehnung an.")},
        help_text=_("Die Kommune erhält diesen Text per E-Mail."),
    )


JUSTIFICATION_MAX_LENGTH = 2000
NOTE_MAX_LENGTH = 2000


class ApproveForm(forms.Form):
    """The confirmation of an approval; the justification is needed while concerns are listed."""

    justification = forms.CharField(
        label=_("Begründung"),
        required=False,
        max_length=JUSTIFICATION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 60}),
        error_messages={
            "max_length": _(
                "Die Begründung darf höchstens %(limit_value)d Zeichen lang sein "
                "(jetzt %(show_value)d)."
            )
        },
        help_text=_(
            "Schreiben Sie, warum Sie trotz der genannten Punkte bewilligen. Die Begründung steht "
            "im Verlauf des Antrags, den auch die Kommune sieht, und bei der Auszeichnung."
        ),
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Interne Notiz"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        error_messages={
            "required": _("Bitte schreiben Sie die Notiz."),
            "max_length": _(
                "Die Notiz darf höchstens %(limit_value)d Zeichen lang sein (jetzt %(show_value)d)."
            ),
        },
        help_text=_("Nur das Ministerium sieht diese Notiz, die Kommune nicht."),
    )


class RevocationForm(forms.Form):
    reason = forms.CharField(
        label=_("Grund des Widerrufs"),
        widget=_textarea(),
        error_messages={"required": _("Bitte geben Sie den Grund des Widerrufs an.")},
        help_text=_("Die Kommune erhält diesen Text per E-Mail."),
    )


class DrawSampleForm(forms.Form):
    """How many links to draw: 1 up to the links not drawn yet."""

    def __init__(self, *args: object, available: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["count"] = forms.IntegerField(
            label=_("Anzahl der Links"),
            min_value=1,
            max_value=available,
            initial=min(DEFAULT_SAMPLE_SIZE, available),
        )


class VerdictForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("Bewertung"),
        # No preselected verdict: an unjudged link must not look like "in Ordnung".
        choices=[("", _("– bitte wählen –")), *Verdict.choices],
        error_messages={"required": _("Bitte wählen Sie eine Bewertung.")},
    )
    note = forms.CharField(
        label=_("Notiz"), required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 40})
    )
