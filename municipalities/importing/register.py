"""Read the official municipal register (Destatis GV100AD) and bring the Kommunen up to date.

The importer works in three steps that tests and benchmarks can call one by one:

1. `parse_register()` (gv100ad.py) turns the text of a GV100AD file into `RegisterRecord`s and
   checks every line before anything else happens; `read_coordinates()` (coordinates.py) does
   the same for the Destatis "Auszug" CSV with the coordinates.
2. `build_units()` (units.py) maps the Bavarian records to `Unit`s, one per Kommune that can
   hold the award, with its links, totals and coordinates.
3. `apply_units()` (units.py) writes them in one transaction with bulk operations.

`import_register()` runs all three. Every problem is collected as a `Problem` and raised together
in an `ImportFileError` (files.py), so a bad file is reported in full and changes nothing.
"""

from pathlib import Path

from .coordinates import read_coordinates
from .files import DATA_DIR, ImportFileError, Problem, read_text
from .gv100ad import RegisterRecord, parse_register
from .units import ImportResult, Unit, apply_units, build_units, clean_name

__all__ = [
    "DATA_DIR",
    "DEFAULT_COORDINATES",
    "DEFAULT_REGISTER",
    "ImportFileError",
    "ImportResult",
    "Problem",
    "RegisterRecord",
    "Unit",
    "apply_units",
    "build_units",
    "clean_name",
    "import_register",
    "parse_register",
    "read_coordinates",
    "read_text",
]

DEFAULT_REGISTER = DATA_DIR / "GV100AD_31082025_BY.txt"
DEFAULT_COORDINATES = DATA_DIR / "31122021_Auszug_GV_BY.csv"


def import_register(
    register_path: Path | str = DEFAULT_REGISTER,
    coordinates_path: Path | str | None = DEFAULT_COORDINATES,
) -> ImportResult:
    """Read, check and apply a GV100AD file (and the coordinates); raise ImportFileError if bad."""
    text, encoding = read_text(register_path)
    records = parse_register(text, path=register_path)
    coordinates = read_coordinates(coordinates_path) if coordinates_path else {}
    units = build_units(records, coordinates, path=register_path)
    result = apply_units(units)
    result.encoding = encoding
    return result
