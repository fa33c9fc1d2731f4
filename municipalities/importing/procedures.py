"""Read, check and save files of linked online procedures (format: DESIGN section 6).

One core for two callers: the command `import_procedures` loads a file for many Kommunen, the
municipal portal lets one Kommune upload the same format and shows a preview first::

    plan = plan_import(data, filename="verfahren.csv", only_municipality=kommune)
    if not plan.errors:
        apply_plan(plan)

What the format leaves open is decided here:

- Encoding: as for every import (files.py): UTF-8 with or without BOM; a file that is not
  valid UTF-8 is read as Windows-1252, which is what Excel writes for "CSV
  (Trennzeichen-getrennt)". Binary files and UTF-16 ("Unicode-Text") are refused, and so are
  spreadsheets other than .xlsx (.xls, .xlsm, .ods) by their extension, with a hint to save as
  CSV. In an .xlsx, numbers without a fraction are read as digits and TRUE/FALSE as ja/nein; a
  workbook that unpacks to more than 20 times the upload limit is refused.
- A CSV cell of `'` followed by `=`, `+`, `-` or `@` is read without the `'`: that is how
  digitalesamt.lib.spreadsheet keeps Excel from running text as a formula, so the portal's
  export (procedure_export.py) reads back unchanged.
- Format: `.csv`, `.xlsx` (the first sheet of an Excel workbook) or `.json` by extension; any
  other name is sniffed (a file starting with `[` or `{` is JSON). CSV delimiter: whichever
  of `;`, `,` and tab splits the header into the known column names; Excel's `sep=;` first
  line is honoured. Header names are case-insensitive; unknown columns are ignored with a
  warning.
- JSON: a list of objects with the column names as keys, or an object `{"verfahren": [...]}`.
  `leika_schluessel` may also be a list of keys and `aktiv` a boolean.
- Positions: CSV rows by their physical line number (header = line 1, a quoted line break
  counts); JSON items as "Eintrag n", counted from 1.
- `ozg_id` and `aktiv` are optional columns. A file without one of them leaves that field of
  existing links alone (new links get no OZG-ID and are active). An empty `aktiv` cell means "ja".
- Values are checked by the rules of the portal's form (`municipalities.validation`), so a URL
  or LeiKa key is refused with the same words in both.
- Rows with the same ARS and URL, however spelt (the same `url_key` of the canonical form that
  `clean_procedure_url` gives: http and https, ":443", "%61" for "a", a trailing slash ...), are
  one procedure linked under several services: their LeiKa keys are merged. Title, URL, scope
  and `aktiv` come from the first of these rows and the OZG-ID from the first row that has one;
  a later row that says otherwise gets a warning, not an error.
- A procedure's services are the keys the file names for it: keys it had before and the file no
  longer names are removed.
- A file with bad rows is refused as a whole; the portal offers, as an explicit second choice,
  to save only its rows without errors (`apply_plan(plan, skip_rows_with_errors=True)`: the
  same transaction, checks and limits; an error of the file as a whole still refuses it).
- Links in the database that the file does not mention are left alone; a file deactivates a
  procedure with `aktiv` = `nein`, it never deletes one.
- Limits: a file uploaded in the portal has at most settings.PROCEDURE_FILE_MAX_ROWS rows (the
  ministry's command has no row limit); a file whose new procedures would take a Kommune past
  settings.PROCEDURE_LINKS_PER_KOMMUNE links (active or not) is refused as a whole; problems are
  listed up to settings.IMPORT_MAX_REPORTED_PROBLEMS and the rest counted. Text that JSON
  escapes decode to control characters or lone surrogates is refused per row.

Planning costs a few queries, never one a row: the register's ARS, the LeiKa catalogue, then the
existing links of the affected Kommunen and their services (two queries per batch of up to 900
Kommunen and about 20,000 of the file's procedures, read as a stream and compared batch by batch).
`apply_plan` writes in one transaction; a plan that another import overtook raises
`ImportConflict` and leaves nothing half-written.

At full size (the ministry's file of 500,000 rows) memory holds the procedures, not the file:
a CSV file is read as a stream (the command's from the disk), a planned procedure shares what
rows have in common, and a URL of the common shape is checked without a full parse.

The work is split in four modules: procedure_rows.py reads the file into rows,
procedure_plan.py checks them and plans, procedure_saving.py saves a plan, by the bulk paths of
bulk.py (COPY on PostgreSQL, executemany() on SQLite).
"""

from .files import Problem
from .procedure_plan import (
    PROGRESS_EVERY,
    ImportPlan,
    PlannedProcedure,
    field_label,
    plan_import,
)
from .procedure_saving import ImportConflict, PlanHasErrors, ProcedureImportError, apply_plan

__all__ = [
    "PROGRESS_EVERY",
    "ImportConflict",
    "ImportPlan",
    "PlanHasErrors",
    "PlannedProcedure",
    "Problem",
    "ProcedureImportError",
    "apply_plan",
    "field_label",
    "plan_import",
]
