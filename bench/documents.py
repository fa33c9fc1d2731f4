"""Time the award's documents: cold plaques, cached download, signets, beside WeasyPrint's floor.

    .venv/bin/python bench/documents.py [--runs 20]

Builds a temporary SQLite database and storage, creates one award and requests its documents
through the whole Django stack (middleware, view, storage) with the test client. "Cold" means
the document of this version is not stored yet: every run renames the Kommune, which makes a
new version. The one-line page is WeasyPrint rendering "<p>Digitales Amt</p>" in the same
process, the least any PDF costs, both as plain PDF and as PDF/A-3b (as every document is) for
a fair ratio. Targets: cold PDF/A plaque <= 2x the one-line PDF/A page (was <= 3x the plain
one); cached download < 20 ms median. The sign maker's file (?druck=1) is timed beside it.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="digitalesamt-bench-"))
    os.environ.update(
        ENV_FILE=os.devnull,
        SECRET_KEY="bench-only",  # noqa: S106 - a throwaway database
        DEBUG="false",
        DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
        MEDIA_ROOT=str(workdir / "media"),
        TASKS_BACKEND="immediate",
        ALLOWED_HOSTS="testserver",
        SITE_URL="https://digitales-amt.bayern.de",
        LOG_LEVEL="WARNING",
        # Every cold request renders: the limits that guard a server would stop the bench.
        RATE_LIMIT_RENDER_PER_ADDRESS="0",
        RATE_LIMIT_RENDER="0",
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digitalesamt.settings")
    warnings.filterwarnings("ignore", message="No directory at")  # no collectstatic here
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from awards.models import Award
    from municipalities.constants import Kind
    from municipalities.models import Municipality

    call_command("migrate", verbosity=0)
    call_command("createcachetable")
    municipality = Municipality.objects.create(
        ars="096710130000", name="Hösbach", register_name="Hösbach, M", kind=Kind.MARKT
    )
    award = Award.objects.create(
        number="DA-2023-0200",
        municipality=municipality,
        issued_on="2023-02-15",
        procedure_count=57,
    )
    client = Client()

    def get(path: str) -> float:
        started = time.perf_counter()
        response = client.get(path, secure=True)
        body = b"".join(response.streaming_content)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200 and body, (path, response.status_code)
        return elapsed

    def cold(path: str, floors: list[float] | None = None) -> list[float]:
        """Time cold requests; with `floors`, a one-line PDF/A page before each, so that
        the ratio compares times taken under the same load (the machine is shared)."""
        timings = []
        for run in range(args.runs):
            Municipality.objects.filter(pk=municipality.pk).update(name=f"Hösbach {run}")
            if floors is not None:
                floors.append(one_line_page(pdf_variant="pdf/a-3b"))
            timings.append(get(path))
        return timings

    def one_line_page(**options) -> float:
        from weasyprint import HTML

        started = time.perf_counter()
        HTML(string="<p>Digitales Amt</p>").write_pdf(**options)
        return time.perf_counter() - started

    plaque = f"/auszeichnungen/{award.number}/schild.pdf"
    signet = f"/auszeichnungen/{award.number}/signet.png"
    first = get(plaque)  # loads WeasyPrint, Pango and the fonts: once per process
    one_line_page()
    floor = statistics.median(one_line_page() for _ in range(args.runs))
    floors: list[float] = []
    cold_plaque = statistics.median(cold(plaque, floors))
    floor_pdfa = statistics.median(floors)
    cold_a3 = statistics.median(cold(plaque + "?format=a3"))
    cold_print = statistics.median(cold(plaque + "?format=a4&druck=1"))
    cold_signet = statistics.median(cold(signet + "?breite=640"))
    cold_svg = statistics.median(cold(f"/auszeichnungen/{award.number}/signet.svg"))
    cold_signet_pdf = statistics.median(cold(f"/auszeichnungen/{award.number}/signet.pdf"))
    get(plaque)
    get(signet)
    cached_plaque = statistics.median(get(plaque) for _ in range(args.runs * 10))
    cached_signet = statistics.median(get(signet) for _ in range(args.runs * 10))

    ms = 1000
    print(f"first plaque in a fresh process (fonts load)  {first * ms:8.1f} ms")
    print(f"one-line WeasyPrint page, median of {args.runs:<3}       {floor * ms:8.1f} ms")
    print(
        f"one-line page as PDF/A-3b, median of {args.runs:<3}     {floor_pdfa * ms:8.1f} ms"
        "   (each before a cold A4 plaque)"
    )
    print(
        f"cold PDF/A plaque A4, median of {args.runs:<3}           {cold_plaque * ms:8.1f} ms"
        f"   = {cold_plaque / floor_pdfa:.2f}x the one-line PDF/A page (target <= 2x),"
        f" {cold_plaque / floor:.2f}x the plain one"
    )
    print(f"cold PDF/A plaque A3, median of {args.runs:<3}           {cold_a3 * ms:8.1f} ms")
    print(
        f"cold print plaque A4 (druck=1), median of {args.runs:<3} {cold_print * ms:8.1f} ms"
        f"   = {cold_print / floor_pdfa:.2f}x the one-line PDF/A page"
    )
    print(f"cold signet PNG 640 px, median of {args.runs:<3}         {cold_signet * ms:8.1f} ms")
    print(f"cold signet SVG, median of {args.runs:<3}                {cold_svg * ms:8.1f} ms")
    print(
        f"cold signet PDF 40 x 50 mm, median of {args.runs:<3}     {cold_signet_pdf * ms:8.1f} ms"
        f"   = {cold_signet_pdf / floor_pdfa:.2f}x the one-line PDF/A page"
    )
    print(
        f"cached plaque download, median of {args.runs * 10:<4}       {cached_plaque * ms:8.1f} ms"
        "   (target < 20 ms)"
    )
    print(
        f"cached signet PNG download, median of {args.runs * 10:<4}   {cached_signet * ms:8.1f} ms"
    )
    met = cold_plaque <= 2 * floor_pdfa and cached_plaque < 0.020
    print("targets met" if met else "TARGETS MISSED")


if __name__ == "__main__":
    main()
