"""The public page of every Kommune of the register: where it belongs, its award or its count.

Rendered once per version of the Kommune (its links, the awards, the syncs and a period of
LIVE_MAX_AGE) and language for every visitor without a session (`shared_page`).
"""

from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from awards.documents import SIGNET_DEFAULT_WIDTH, signet_height
from awards.models import Award
from digitalesamt.lib.http import conditional, shared_page
from municipalities.confirmation import source_index, with_confirmed_count
from municipalities.constants import GEMEINDE_KINDS, Kind
from municipalities.history import history_context
from municipalities.models import Municipality

from ..procedures import procedure_topics
from ..version import LIVE_MAX_AGE, municipality_version


@require_safe
@conditional(municipality_version, max_age=LIVE_MAX_AGE)
@shared_page("public:municipality", timeout=LIVE_MAX_AGE)
def municipality_detail(request: HttpRequest, ars: str) -> HttpResponse:
    """Show a Kommune of the register: where it belongs and whether it holds the title.

    With its count, the last sync with the federal dashboard and how many of the counted
    links it confirms (in the same query as the Kommune); its website and BayernPortal page
    and its active online procedures by topic, each with the source's word once it was synced.
    """
    municipality = get_object_or_404(
        with_confirmed_count(
            Municipality.objects.select_related(
                "regierungsbezirk", "landkreis", "verwaltungsgemeinschaft"
            ).with_progress()
        ),
        ars=ars,
    )
    owners = [municipality.pk]
    if municipality.verwaltungsgemeinschaft_id:
        owners.append(municipality.verwaltungsgemeinschaft_id)
    awards = list(
        Award.objects.filter(municipality_id__in=owners).order_by("-issued_on", "-number")
    )
    own = [award for award in awards if award.municipality_id == municipality.pk]
    award = next((award for award in own if not award.is_revoked), None)
    vg_award = next(
        (
            award
            for award in awards
            if award.municipality_id == municipality.verwaltungsgemeinschaft_id
            and not award.is_revoked
        ),
        None,
    )
    revoked = None if award or vg_award else next(iter(own), None)

    members = []
    area = None
    if municipality.kind == Kind.VG:
        members = list(
            municipality.members.annotate(
                holds=Exists(Award.objects.valid().filter(municipality=OuterRef("pk")))
            ).order_by("name", "ars")
        )
    elif municipality.kind in (Kind.LANDKREIS, Kind.BEZIRK):
        area = _area_counts(municipality)

    # The source's records only say something once the Kommune was synced (the annotated
    # `synced_at` is `confirmation.last_synced`, read in the Kommune's query).
    synced = municipality.synced_at is not None
    topics = (
        procedure_topics(municipality.pk, source_index(municipality.pk) if synced else None)
        if municipality.procedure_count
        else []
    )
    missing = max(municipality.threshold - municipality.procedure_count, 0)
    return render(
        request,
        "public/municipality.html",
        {
            "municipality": municipality,
            "award": award,
            "vg_award": vg_award,
            "revoked_award": revoked,
            "members": members,
            "area": area,
            "missing": missing,
            "topics": topics,
            "synced": synced,
            # Renewed with the page's live version (LIVE_MAX_AGE): a recount shows within it.
            "count_history": history_context(municipality, threshold=municipality.threshold),
            "area_km2": municipality.area_ha / 100 if municipality.area_ha else None,
            "signet_width": SIGNET_DEFAULT_WIDTH,
            "signet_height": signet_height(SIGNET_DEFAULT_WIDTH),
        },
    )


def _area_counts(area: Municipality) -> dict[str, int]:
    """Count the Kommunen in a Landkreis or Regierungsbezirk and their holders (one query)."""
    inside = Q(landkreis=area) if area.kind == Kind.LANDKREIS else Q(regierungsbezirk=area)
    holders = Award.objects.valid().values("municipality")
    return Municipality.objects.filter(inside | Q(pk=area.pk)).aggregate(
        gemeinden=Count("pk", filter=inside & Q(kind__in=GEMEINDE_KINDS)),
        kreisfreie_staedte=Count("pk", filter=inside & Q(kind=Kind.KREISFREIE_STADT)),
        landkreise=Count("pk", filter=inside & Q(kind=Kind.LANDKREIS)),
        vgs=Count("pk", filter=inside & Q(kind=Kind.VG)),
        holders=Count("pk", filter=Q(pk__in=holders)),
    )
