"""Forms for the ministry's decisions: plain forms that validate and never act."""

from django import forms
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from digitalesamt.lib.admin import CONTROL_CHARACTER
from municipalities.constants import LinkCheckResult

from .models import Verdict
from .review import (
    ADDED,
    ANY_CHANGE,
    CHANGED,
    DEFAULT_SAMPLE_SIZE,
    DRAWN,
    NEW_IN_ROUND,
    OPEN,
    REMOVED,
    UNCHECKED,
    EvidenceFilter,
)
from .witness import CONFIRMED, MISSING


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


class EvidenceFilterForm(forms.Form):
    """The filters above the evidence table (GET); the values are those of the page's URL."""

    # URL value -> filter value, where they differ (German in the URL, as the page's own).
    OUTCOMES = {"offen": UNCHECKED}
    VERDICTS = {"offen": OPEN, "gezogen": DRAWN}
    CHANGES = {"1": ANY_CHANGE, "neu": ADDED, "entfernt": REMOVED, "geaendert": CHANGED}
    ROUND = "runde"
    SOURCES = {"bestaetigt": CONFIRMED, "fehlt": MISSING}

    def __init__(self, *args: object, previous_number: int | None = None, **kwargs: object):
        super().__init__(*args, **kwargs)
        every = [("", _("alle"))]
        self.fields["pruefung"] = forms.ChoiceField(
            label=_("Linkprüfung"),
            required=False,
            choices=[*every, *LinkCheckResult.choices, ("offen", _("noch nicht geprüft"))],
        )
        self.fields["bewertung"] = forms.ChoiceField(
            label=_("Stichprobe"),
            required=False,
            choices=[
                *every,
                ("gezogen", _("gezogen")),
                ("offen", _("gezogen, offen")),
                *Verdict.choices,
            ],
        )
        changes = [
            *every,
            ("1", _("jede Abweichung")),
            ("neu", _("neu seit Einreichung")),
            ("entfernt", _("entfernt seit Einreichung")),
            ("geaendert", _("geändert")),
        ]
        if previous_number is not None:
            changes.append(
                (
                    self.ROUND,
                    _("neu gegenüber Einreichung Nr. %(number)d") % {"number": previous_number},
                )
            )
        self.fields["abweichung"] = forms.ChoiceField(
            label=_("Abweichung"), required=False, choices=changes
        )
        self.fields["bundesdaten"] = forms.ChoiceField(
            label=_("Bundesdaten"),
            required=False,
            choices=[
                *every,
                ("bestaetigt", _("in den Bundesdaten bestätigt")),
                ("fehlt", _("nicht in den Bundesdaten")),
            ],
        )

    def valid_values(self) -> dict[str, str]:
        """The filters that hold a known value: an unknown one is left out, never an error."""
        self.is_valid()
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if value and name not in self.errors
        }

    def problems(self) -> list[tuple[str, str]]:
        """(label, value) of each filter whose value is unknown, for the message above."""
        self.is_valid()
        return [
            (
                str(self.fields[name].label),
                Truncator(CONTROL_CHARACTER.sub("", self.data.get(name, ""))).chars(40),
            )
            for name in self.errors
        ]

    def to_filter(self, new_in_round: frozenset[str] = frozenset()) -> EvidenceFilter:
        values = self.valid_values()
        outcome = values.get("pruefung", "")
        verdict = values.get("bewertung", "")
        change = values.get("abweichung", "")
        return EvidenceFilter(
            outcome=self.OUTCOMES.get(outcome, outcome),
            verdict=self.VERDICTS.get(verdict, verdict),
            change=NEW_IN_ROUND if change == self.ROUND else self.CHANGES.get(change, ""),
            new_in_round=new_in_round,
            source=self.SOURCES.get(values.get("bundesdaten", ""), ""),
        )


class DrawSampleForm(forms.Form):
    """How many links to draw: 1 up to the links not drawn yet; `size` is the reviewer's last."""

    def __init__(
        self, *args: object, available: int, size: int = DEFAULT_SAMPLE_SIZE, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["count"] = forms.IntegerField(
            label=_("Anzahl der Links"),
            min_value=1,
            max_value=available,
            initial=max(1, min(size, available)),
        )


# A note longer than this is a report, not a note on one link.
NOTE_MAX_LENGTH = 2_000


class VerdictForm(forms.Form):
    """The verdict and note on one drawn link, one of many in the sample's single form.

    Its prefix carries the spot check's id. `seen_*` are the values the page showed, so that
    only what the reviewer changed is saved: a page opened before a colleague judged a link
    does not undo their verdict. A verdict left empty keeps the link open; a verdict once
    given can be changed but not taken back (the radios offer no "open").
    """

    verdict = forms.ChoiceField(
        label=_("Bewertung"),
        # No preselected verdict: an unjudged link must not look like "in Ordnung".
        choices=Verdict.choices,
        required=False,
        widget=forms.RadioSelect,
        error_messages={
            "invalid_choice": _(
                "Wählen Sie „in Ordnung“, „kein Online-Verfahren“ oder „nicht erreichbar“."
            )
        },
    )
    note = forms.CharField(
        label=_("Notiz"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 40}),
        error_messages={
            "max_length": _(
                "Die Notiz darf höchstens %(limit_value)d Zeichen lang sein "
                "(jetzt: %(show_value)d). Kürzen Sie sie."
            )
        },
    )
    seen_verdict = forms.CharField(required=False, widget=forms.HiddenInput)
    seen_note = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("seen_verdict") and "verdict" in data and not data["verdict"]:
            self.add_error(
                "verdict",
                _(
                    "Eine Bewertung lässt sich ändern, aber nicht zurücknehmen: "
                    "wählen Sie eine der drei."
                ),
            )
        return data

    @property
    def changed(self) -> bool:
        """Whether the reviewer changed the verdict or the note against what the page showed."""
        data = self.cleaned_data

        def same(text: str) -> str:
            return text.replace("\r\n", "\n")

        return data["verdict"] != data["seen_verdict"] or same(data["note"]) != same(
            data["seen_note"]
        )
