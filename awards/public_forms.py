"""The search, filters and sort order of the public list of holders (GET parameters)."""

from collections.abc import Iterable

from django import forms
from django.utils.translation import gettext_lazy as _

from municipalities.models import Kind, Municipality

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


class HolderFilterForm(forms.Form):
    """Read the list's query string; the Regierungsbezirke and Landkreise come from the view."""

    q = forms.CharField(
        label=_("Name, Postleitzahl oder Regionalschlüssel"),
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        help_text=_("Zum Beispiel Thannhausen, 86470 oder 097745732000"),
        widget=forms.TextInput(
            attrs={"type": "search", "class": "kern-form-input__input", "autocomplete": "off"}
        ),
    )
    regierungsbezirk = forms.ChoiceField(
        label=_("Regierungsbezirk"),
        required=False,
        widget=forms.Select(attrs={"class": "kern-form-input__select"}),
    )
    landkreis = forms.ChoiceField(
        label=_("Landkreis"),
        required=False,
        help_text=_("Kreisfreie Städte gehören zu keinem Landkreis."),
        widget=forms.Select(attrs={"class": "kern-form-input__select"}),
    )
    art = forms.ChoiceField(
        label=_("Art"),
        required=False,
        choices=[("", _("alle Arten")), *Kind.choices],
        widget=forms.Select(attrs={"class": "kern-form-input__select"}),
    )
    sortierung = forms.ChoiceField(
        label=_("Sortierung"),
        required=False,
        choices=SORT_CHOICES,
        widget=forms.Select(attrs={"class": "kern-form-input__select"}),
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
