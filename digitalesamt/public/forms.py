"""Forms of the public site: the list's search and filters, the accessibility feedback."""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from digitalesamt.lib.forms import SaysWhatToDo
from municipalities.constants import Kind
from municipalities.models import Municipality

# Sort orders by their value in the query string; the first is the default.
SORT_NEWEST = "neueste"
SORT_OLDEST = "aelteste"
SORT_NAME = "name"
SORT_PROCEDURES = "verfahren"
SORT_CHOICES = [
    (SORT_NEWEST, _("Neueste zuerst")),
    (SORT_OLDEST, _("Älteste zuerst")),
    (SORT_NAME, _("Name (A–Z)")),
    (SORT_PROCEDURES, _("Meiste Online-Verfahren zuerst")),
]
SORT_ORDERS = {
    SORT_NEWEST: ("-issued_on", "-number"),
    SORT_OLDEST: ("issued_on", "number"),
    SORT_NAME: ("municipality__name", "municipality__ars"),
    SORT_PROCEDURES: ("-procedure_count", "municipality__name", "municipality__ars"),
}

SEARCH_MAX_LENGTH = 100
# The choices that narrow the list (the summary of the folded filters counts them).
FILTERS = ("regierungsbezirk", "landkreis", "art")


class HolderFilterForm(forms.Form):
    """Read the list's query string; the Regierungsbezirke and Landkreise come from the view."""

    mark_optional = False  # every filter is optional

    q = forms.CharField(
        label=_("Name, Postleitzahl oder Regionalschlüssel"),
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        help_text=_("Zum Beispiel Thannhausen, 86470 oder 097745732000"),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    regierungsbezirk = forms.ChoiceField(
        label=_("Regierungsbezirk"),
        required=False,
    )
    landkreis = forms.ChoiceField(
        label=_("Landkreis"),
        required=False,
        help_text=_("Kreisfreie Städte gehören zu keinem Landkreis."),
    )
    art = forms.ChoiceField(
        label=_("Art"),
        required=False,
        choices=[("", _("alle Arten")), *Kind.choices],
    )
    sortierung = forms.ChoiceField(
        label=_("Sortierung"),
        required=False,
        choices=SORT_CHOICES,
    )

    def __init__(self, data, *, areas: Iterable[Municipality]) -> None:
        """Build the area choices from the Regierungsbezirke and Landkreise, in ARS order."""
        super().__init__(data)
        areas = list(areas)
        bezirke = [area for area in areas if area.kind == Kind.BEZIRK]
        landkreise = sorted(
            (area for area in areas if area.kind == Kind.LANDKREIS),
            key=lambda area: (area.name, area.ars),
        )
        self.fields["regierungsbezirk"].choices = [
            ("", _("alle Regierungsbezirke")),
            *((bezirk.ars, bezirk.name) for bezirk in bezirke),
        ]
        # Landkreise grouped by Regierungsbezirk, as people look for them.
        groups = [
            (
                bezirk.name,
                [
                    (landkreis.ars, landkreis.name)
                    for landkreis in landkreise
                    if landkreis.regierungsbezirk_id == bezirk.pk
                ],
            )
            for bezirk in bezirke
        ]
        ungrouped = [
            (landkreis.ars, landkreis.name)
            for landkreis in landkreise
            if landkreis.regierungsbezirk_id not in {bezirk.pk for bezirk in bezirke}
        ]
        self.fields["landkreis"].choices = [
            ("", _("alle Landkreise")),
            *ungrouped,
            *((name, options) for name, options in groups if options),
        ]
        self.areas_by_ars = {area.ars: area for area in areas}

    def valid_values(self) -> dict[str, str]:
        """Return the values that passed validation; a wrong value is left out, not fatal."""
        self.is_valid()
        values = {}
        for name in self.fields:
            value = "" if name in self.errors else (self.cleaned_data.get(name) or "")
            values[name] = " ".join(value.split()) if name == "q" else value
        return values

    def ignored_labels(self) -> list[str]:
        """Return the labels of the fields whose value was wrong and is ignored."""
        return [str(self.fields[name].label) for name in self.fields if name in self.errors]

    def active_filter_count(self) -> int:
        """Count the filters that narrow the list; the search term and the order are none."""
        return sum(1 for name in FILTERS if self.data.get(name))

    def sorted_otherwise(self) -> bool:
        """Tell whether the list is in another order than newest first."""
        return self.data.get("sortierung", "") not in ("", SORT_NEWEST)


MESSAGE_MAX_LENGTH = 5000


class AccessibilityFeedbackForm(SaysWhatToDo, forms.Form):
    """Report a barrier: only the message is required, everything else may stay empty."""

    message = forms.CharField(
        label=_("Ihre Nachricht"),
        # The validator, not max_length: browsers cut a pasted text at maxlength silently,
        # the server says so instead.
        validators=[MaxLengthValidator(MESSAGE_MAX_LENGTH)],
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={
            "required": _("Beschreiben Sie, was Sie auf der Seite nicht nutzen konnten.")
        },
    )
    page = forms.CharField(
        label=_("Betroffene Seite"),
        help_text=_("Die Adresse oder der Name der Seite, zum Beispiel „/karte/“ oder „Karte“."),
        required=False,
        max_length=500,
    )
    name = forms.CharField(
        label=_("Ihr Name"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Ihre E-Mail-Adresse"),
        help_text=_("Nur wenn Sie eine Antwort wünschen."),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "invalid": _(
                "Geben Sie eine E-Mail-Adresse im richtigen Format ein, zum Beispiel "
                "name@beispiel.de, oder lassen Sie das Feld leer."
            )
        },
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
