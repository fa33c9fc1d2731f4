"""How the public site groups the kinds of Kommune on the map and in the statistics."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from municipalities.constants import GEMEINDE_KINDS, Kind


@dataclass(frozen=True)
class KindGroup:
    """Kinds of Kommune shown together on the map and in the statistics, with one marker shape."""

    key: str
    label: Promise
    kinds: tuple[str, ...]
    shape: str


KIND_GROUPS = (
    KindGroup("gemeinde", gettext_lazy("Gemeinden, Märkte und Städte"), GEMEINDE_KINDS, "circle"),
    KindGroup("vg", gettext_lazy("Verwaltungsgemeinschaften"), (Kind.VG,), "diamond"),
    KindGroup("landkreis", gettext_lazy("Landkreise"), (Kind.LANDKREIS,), "square"),
    KindGroup("bezirk", gettext_lazy("Bezirke"), (Kind.BEZIRK,), "triangle"),
)
GROUP_OF_KIND = {kind: group for group in KIND_GROUPS for kind in group.kinds}
