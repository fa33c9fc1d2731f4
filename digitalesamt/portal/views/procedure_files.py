"""The Kommune's procedures as a file: the export in the import format, the template to fill in."""

from collections.abc import Iterable, Sequence

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from digitalesamt.lib.spreadsheet import csv_bytes, xlsx_bytes
from municipalities.importing.procedure_export import HEADER, export_rows, template_rows

from ..access import municipal_staff_required

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _file(name: str, file_format: str, sheet: str, rows: Iterable[Sequence[str]]) -> HttpResponse:
    body = csv_bytes(HEADER, rows) if file_format == "csv" else xlsx_bytes(sheet, HEADER, rows)
    response = HttpResponse(body, content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    # The Kommune's own data: never kept by a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response


def _export(request: HttpRequest, file_format: str) -> HttpResponse:
    municipality = request.municipality
    stamp = timezone.localdate().isoformat()
    return _file(
        f"online-verfahren-{municipality.ars}-{stamp}",
        file_format,
        _("Online-Verfahren"),
        export_rows(municipality),
    )


def _template(request: HttpRequest, file_format: str) -> HttpResponse:
    return _file(
        "vorlage-online-verfahren",
        file_format,
        _("Online-Verfahren"),
        template_rows(request.municipality),
    )


@municipal_staff_required
@require_GET
def procedure_export_csv(request: HttpRequest) -> HttpResponse:
    """Download the Kommune's procedures as CSV in the import format."""
    return _export(request, "csv")


@municipal_staff_required
@require_GET
def procedure_export_xlsx(request: HttpRequest) -> HttpResponse:
    """Download the Kommune's procedures as an Excel workbook in the import format."""
    return _export(request, "xlsx")


@municipal_staff_required
@require_GET
def procedure_template_csv(request: HttpRequest) -> HttpResponse:
    """Download the import's columns with one example row, as CSV."""
    return _template(request, "csv")


@municipal_staff_required
@require_GET
def procedure_template_xlsx(request: HttpRequest) -> HttpResponse:
    """Download the import's columns with one example row, as an Excel workbook."""
    return _template(request, "xlsx")
