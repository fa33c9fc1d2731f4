"""Forms of the municipal portal: procedures, the procedure file, the coat of arms, the application.

The site's form renderer (digitalesamt.lib.forms) gives every widget its KERN class.
"""

import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from digitalesamt.lib.forms import PageForm, SaysWhatToDo
from digitalesamt.lib.uploads import LimitedUploadForm, megabytes
from municipalities.constants import Scope
from municipalities.models import Municipality, ProcedureLink, Service, SourceRecord
from municipalities.validation import (
    clean_procedure_url,
    clean_text,
    control_character,
    control_character_message,
    leika_key_problem,
    number,
)

KEY_SEPARATORS = re.compile(r"[\s,;|]+")
# Room for more than a thousand keys; the catalogue query takes one parameter per key.
LEIKA_KEYS_MAX_LENGTH = 20_000


def split_leika_keys(value: str) -> list[str]:
    """Split typed LeiKa keys at commas, semicolons, spaces or "|"; keep the order, drop repeats."""
    return list(dict.fromkeys(key for key in KEY_SEPARATORS.split(value) if key))


class CommentField(forms.CharField):
    """A multi-line comment: tabs and line breaks allowed, other control characters refused."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 5000)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        super().__init__(**kwargs)

    def clean(self, value: str) -> str:
        return clean_text(super().clean(value), multiline=True)


URL_REQUIRED = gettext_lazy(
    "Geben Sie die Adresse des Online-Verfahrens ein, zum Beispiel "
    "https://www.buergerservice.example/antrag"
)


class ProcedureLinkForm(SaysWhatToDo, forms.ModelForm):
    """Add or edit one online procedure of the user's Kommune."""

    leika_keys = forms.CharField(
        label=gettext_lazy("Leistungen (LeiKa-Schlüssel)"),
        help_text=gettext_lazy(
            "Ein oder mehrere 14-stellige LeiKa-Schlüssel, getrennt durch Komma, Leerzeichen "
            "oder „|“, z. B. 99050012104000."
        ),
        max_length=LEIKA_KEYS_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={
            "required": gettext_lazy(
                "Geben Sie mindestens einen LeiKa-Schlüssel ein, zum Beispiel 99050012104000."
            )
        },
    )
    # A plain text field: the form field for URLs would add https:// to anything and answer a
    # "javascript:" address with a generic message; clean_url (clean_procedure_url) completes an
    # address typed without https:// and says what is wrong with any other.
    url = forms.CharField(
        label=gettext_lazy("URL"),
        max_length=ProcedureLink._meta.get_field("url").max_length,
        help_text=gettext_lazy("Die Adresse, unter der das Verfahren online beginnt (https://…)."),
        widget=forms.URLInput(),
        error_messages={"required": URL_REQUIRED},
    )

    class Meta:
        model = ProcedureLink
        fields = ["title", "url", "scope"]
        widgets = {
            "title": forms.TextInput(),
            "scope": forms.RadioSelect(),
        }
        error_messages = {
            "title": {
                "required": gettext_lazy(
                    "Geben Sie einen Titel ein, zum Beispiel „Hundesteuer anmelden“."
                )
            },
            "scope": {
                "required": gettext_lazy(
                    "Wählen Sie aus, wer das Verfahren betreibt: Ihre Kommune (kommunal) oder "
                    "der Freistaat (zentral)."
                )
            },
        }
        help_texts = {
            "scope": gettext_lazy(
                "Kommunal: Ihre Kommune betreibt das Verfahren. Zentral: der Freistaat stellt es "
                "bereit und Ihre Kommune verlinkt es."
            ),
        }

    def __init__(self, *args, municipality: Municipality, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.instance.municipality = municipality
        self.services: list[Service] = []
        self.fields["scope"].choices = Scope.choices
        if self.instance.pk and not self.is_bound:
            keys = self.instance.services.order_by("leika_key").values_list("leika_key", flat=True)
            self.initial["leika_keys"] = ", ".join(keys)

    def clean_title(self) -> str:
        title = self.cleaned_data["title"]
        # Before collapsing white space: str.split() takes some control characters for spaces.
        character = control_character(title)
        if character is not None:
            raise ValidationError(control_character_message(character), code="control_character")
        return " ".join(title.split())

    def clean_url(self) -> str:
        url = clean_procedure_url(self.cleaned_data["url"])
        if url != self.data.get(self.add_prefix("url")):
            # Show the completed address back if the form comes back with another error.
            self.data = self.data.copy()
            self.data[self.add_prefix("url")] = url
        other = (
            ProcedureLink.objects.same_procedure(self.municipality, url)
            .exclude(pk=self.instance.pk)
            .first()
        )
        if other is not None:
            raise ValidationError(
                _("Diese URL ist für Ihre Kommune schon eingetragen: „%(title)s“.")
                % {"title": other.title}
            )
        return url

    def clean_leika_keys(self) -> str:
        keys = split_leika_keys(self.cleaned_data["leika_keys"])
        if not keys:
            raise ValidationError(_("Bitte mindestens einen LeiKa-Schlüssel angeben."))
        services = {
            service.leika_key: service for service in Service.objects.filter(leika_key__in=keys)
        }
        problems = [leika_key_problem(key, known=key in services) for key in keys]
        if any(problems):
            raise ValidationError([problem for problem in problems if problem])
        self.services = [services[key] for key in keys]
        return ", ".join(keys)

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.instance.pk is None:
            # The cap per Kommune (settings.PROCEDURE_LINKS_PER_KOMMUNE); the view checks it
            # again with the Kommune locked, as it saves.
            try:
                ProcedureLink.objects.check_room(self.municipality)
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned

    def save(self, commit: bool = True) -> ProcedureLink:
        link = super().save(commit=commit)
        if commit:
            link.services.set(self.services)
        return link


class ProcedureFileForm(LimitedUploadForm):
    """Upload a procedure file (CSV, XLSX or JSON in the import format) for a preview."""

    file = forms.FileField(
        label=gettext_lazy("Datei (CSV, Excel oder JSON)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": (
                    ".csv,.xlsx,.json,text/csv,application/json,"
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                ),
            }
        ),
        error_messages={
            "required": gettext_lazy("Bitte wählen Sie eine Datei aus."),
            "empty": gettext_lazy("Die Datei ist leer."),
        },
    )

    upload_field = "file"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "Höchstens %(size)s und %(rows)s Zeilen, im Importformat der Online-Verfahren."
        ) % {"size": megabytes(self.max_bytes), "rows": number(settings.PROCEDURE_FILE_MAX_ROWS)}

    @property
    def max_bytes(self) -> int:
        return settings.PROCEDURE_FILE_MAX_BYTES

    def too_large_message(self) -> str:
        return _(
            "Die Datei ist größer als %(size)s. Bitte teilen Sie sie auf oder laden Sie nur die "
            "Verfahren Ihrer Kommune hoch."
        ) % {"size": megabytes(self.max_bytes)}

    def clean_file(self) -> UploadedFile:
        return self.check_size(self.cleaned_data["file"])


class ProcedureFilterForm(forms.Form):
    """Search and filters of the procedure list (GET parameters)."""

    mark_optional = False  # every filter is optional
    ACTIVE = "aktiv"
    INACTIVE = "inaktiv"

    q = forms.CharField(
        label=gettext_lazy("Suche in Titel und URL"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    zustaendigkeit = forms.ChoiceField(
        label=gettext_lazy("Zuständigkeit"),
        required=False,
        choices=[("", gettext_lazy("alle"))] + Scope.choices,
        widget=forms.Select(),
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[
            ("", gettext_lazy("alle")),
            (ACTIVE, gettext_lazy("aktiv (wird gezählt)")),
            (INACTIVE, gettext_lazy("deaktiviert")),
        ],
        widget=forms.Select(),
    )


class CentralSearchForm(forms.Form):
    """Search in the catalogue of central procedures (GET parameter)."""

    mark_optional = False

    q = forms.CharField(
        label=gettext_lazy("Suche nach Leistung, LeiKa-Schlüssel oder URL"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search"}),
    )


class CentralProceduresForm(SaysWhatToDo, forms.Form):
    """The central procedures a clerk ticked to add to the Kommune's list."""

    record = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Zentrale Verfahren"),
        queryset=SourceRecord.objects.none(),
        widget=forms.CheckboxSelectMultiple(),
        error_messages={
            "required": gettext_lazy(
                "Wählen Sie mindestens ein zentrales Verfahren aus, das Ihre Kommune verlinkt."
            ),
            "invalid_choice": gettext_lazy(
                "Ein ausgewähltes Verfahren gibt es im Katalog nicht mehr. Bitte wählen Sie "
                "erneut aus."
            ),
            "invalid_pk_value": gettext_lazy(
                "Ein ausgewähltes Verfahren gibt es im Katalog nicht mehr. Bitte wählen Sie "
                "erneut aus."
            ),
        },
    )

    def __init__(self, *args, records: QuerySet[SourceRecord], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["record"].queryset = records


# A coat of arms for the plaque: a real PNG or JPEG, re-encoded before anything uses it.
MAX_COAT_OF_ARMS_SIDE = 4000  # pixels; a plaque prints it at 3 cm
MIN_COAT_OF_ARMS_SIDE = 64
STORED_COAT_OF_ARMS_SIDE = 1000  # 1,000 pixels on 3 cm is well above print resolution


class CoatOfArmsForm(LimitedUploadForm):
    """Upload the Kommune's coat of arms; `clean_image` leaves a re-encoded PNG in `png`."""

    image = forms.FileField(
        label=gettext_lazy("Wappen (PNG oder JPEG)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".png,.jpg,.jpeg,image/png,image/jpeg",
            }
        ),
        error_messages={
            "required": gettext_lazy("Bitte wählen Sie eine Bilddatei aus."),
            "empty": gettext_lazy("Die Datei ist leer."),
        },
    )

    upload_field = "image"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.png = b""
        self.fields["image"].help_text = _(
            "Höchstens %(size)s und 4.000 × 4.000 Pixel, mindestens 64 × 64 Pixel. "
            "Am besten ein PNG mit durchsichtigem Hintergrund."
        ) % {"size": megabytes(self.max_bytes)}

    @property
    def max_bytes(self) -> int:
        return settings.COAT_OF_ARMS_MAX_BYTES

    def too_large_message(self) -> str:
        return _(
            "Das Bild ist größer als %(size)s. Bitte verkleinern Sie es und laden Sie es "
            "erneut hoch."
        ) % {"size": megabytes(self.max_bytes)}

    def clean_image(self) -> UploadedFile:
        upload = self.check_size(self.cleaned_data["image"])
        self.png = reencode_coat_of_arms(upload.read())
        return upload


def reencode_coat_of_arms(data: bytes) -> bytes:
    """Check that the bytes are a sane PNG or JPEG and return them re-encoded as a clean PNG.

    Pillow reads the header first, so an image with huge dimensions (a decompression
    bomb) is refused before any pixel is decoded. Re-encoding drops metadata and
    anything hidden after the image data.
    """
    import io
    import warnings

    from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

    unreadable = ValidationError(
        _("Die Datei ist kein lesbares PNG- oder JPEG-Bild. Bitte wählen Sie eine Bilddatei."),
        code="invalid_image",
    )
    too_many_pixels = ValidationError(
        _("Das Bild hat zu viele Pixel; erlaubt sind höchstens 4.000 × 4.000 Pixel."),
        code="too_many_pixels",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=["PNG", "JPEG"]) as image:
                width, height = image.size
                if max(width, height) > MAX_COAT_OF_ARMS_SIDE:
                    raise ValidationError(
                        _(
                            "Das Bild ist %(width)s × %(height)s Pixel groß; erlaubt sind "
                            "höchstens 4.000 × 4.000 Pixel."
                        )
                        % {"width": width, "height": height},
                        code="too_many_pixels",
                    )
                if min(width, height) < MIN_COAT_OF_ARMS_SIDE:
                    raise ValidationError(
                        _(
                            "Das Bild ist mit %(width)s × %(height)s Pixeln zu klein für den "
                            "Druck; nötig sind mindestens 64 × 64 Pixel."
                        )
                        % {"width": width, "height": height},
                        code="too_small",
                    )
                # WeasyPrint switches Pillow to accept truncated files for the whole process;
                # an upload must be complete, so load it strictly.
                lenient, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
                try:
                    image.load()
                finally:
                    ImageFile.LOAD_TRUNCATED_IMAGES = lenient
                image = ImageOps.exif_transpose(image)
                image = image.convert("RGBA")
        except ValidationError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise too_many_pixels from error
        except (
            UnidentifiedImageError,
            OSError,
            SyntaxError,
            ValueError,
        ) as error:
            raise unreadable from error
    image.thumbnail((STORED_COAT_OF_ARMS_SIDE, STORED_COAT_OF_ARMS_SIDE))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


# The application page: decisions, so plain forms.


# What the clerk affirms before submitting; stored word for word (Submission.declaration).
DECLARATION = gettext_lazy(
    "Ich versichere, dass die aufgeführten Online-Verfahren auf der Behördenseite meiner Kommune "
    "im BayernPortal verlinkt und für Bürgerinnen und Bürger erreichbar sind."
)


class SubmitForm(PageForm):
    """Submit the draft application: the declaration ticked, an optional note for the ministry."""

    id_prefix = "submit"

    comment = CommentField(
        label=gettext_lazy("Anmerkung für das Staatsministerium"),
        required=False,
    )
    confirm = forms.BooleanField(
        label=DECLARATION,
        error_messages={
            "required": gettext_lazy(
                "Bestätigen Sie die Versicherung, bevor Sie den Antrag einreichen."
            )
        },
    )

    @property
    def declaration(self) -> str:
        """The declaration as the clerk read it, in the language of the page."""
        return str(self.fields["confirm"].label)


class AnswerForm(PageForm):
    """Answer a request for changes: the answer the check page asks for before resubmitting."""

    id_prefix = "answer"

    comment = CommentField(
        label=gettext_lazy("Ihre Antwort an das Staatsministerium"),
        help_text=gettext_lazy(
            "Beschreiben Sie, was Sie geändert haben. Mit dem Absenden wird der Antrag mit der "
            "aktuellen Liste Ihrer Online-Verfahren erneut eingereicht."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": gettext_lazy("Bitte schreiben Sie eine Antwort.")},
    )

    def clean_comment(self) -> str:
        comment = self.cleaned_data["comment"].strip()
        if not comment:
            raise forms.ValidationError(_("Bitte schreiben Sie eine Antwort."))
        return comment


class ResubmitForm(AnswerForm):
    """Answer a request for changes on the check page and resubmit: the answer, the declaration.

    The same declaration as a first submission, stored word for word with the resubmission.
    """

    id_prefix = "resubmit"

    confirm = forms.BooleanField(
        label=DECLARATION,
        error_messages={
            "required": gettext_lazy(
                "Bestätigen Sie die Versicherung, bevor Sie den Antrag erneut einreichen."
            )
        },
    )

    @property
    def declaration(self) -> str:
        """The declaration as the clerk read it, in the language of the page."""
        return str(self.fields["confirm"].label)


class WithdrawForm(PageForm):
    """Withdraw the application: `confirm` is the confirmation page's button, not a checkbox."""

    id_prefix = "withdraw"

    confirm = forms.BooleanField(
        label=gettext_lazy("Ja, ich möchte den Antrag zurückziehen."),
        error_messages={
            "required": gettext_lazy(
                "Bitte bestätigen Sie, dass Sie den Antrag zurückziehen möchten."
            )
        },
    )
    comment = CommentField(
        label=gettext_lazy("Grund"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
