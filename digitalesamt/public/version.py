"""The one data version of the public site: what every public page and document is cached by.

Pages, open data and their caches change with the awards: a new award and a revocation set
`Award.updated_at`. A Kommune renamed by a register import or in the admin changes what its
award's public record says, so the register's signal renews the records of the awards that
show it, its own and its VG's (a VG lists its members), and the version follows.

Figures that follow every procedure link (a Kommune's live count, the statistics) are not
versioned exactly, since that would cost a scan of all links per request: `live_version`
adds the current period of LIVE_MAX_AGE seconds, the time a cache may keep them anyway.
"""

from django.db.models import Q
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from awards.models import Award
from digitalesamt.lib.http import Version, newest, time_bucket
from municipalities.signals import register_changed

# How long browsers and shared caches may keep a public page before they ask again.
MAX_AGE = 300
# Pages with live counts take a new version every period.
LIVE_MAX_AGE = 300


def public_version(request: HttpRequest, *args: object, **kwargs: object) -> Version:
    """Return the version of the awards as the public site shows them (one query)."""
    return Award.objects.version()


def live_version(request: HttpRequest, *args: object, **kwargs: object) -> Version:
    """Return the version of a page that also shows live counts (one query)."""
    return newest(public_version(request), time_bucket(LIVE_MAX_AGE, now=timezone.now()))


@receiver(register_changed, dispatch_uid="public.renew_award_records")
def renew_award_records(sender: object, municipality_ids: list[int], **kwargs: object) -> None:
    """Mark the awards that show a changed Kommune as changed, so every cache renews them."""
    if municipality_ids:
        Award.objects.filter(
            Q(municipality__in=municipality_ids) | Q(municipality__members__in=municipality_ids)
        ).update(updated_at=timezone.now())
