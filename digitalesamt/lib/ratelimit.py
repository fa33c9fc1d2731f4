"""Limits on how often one client, or everybody together, may do something costly.

    FEEDBACK = Limit("feedback", "RATE_LIMIT_FEEDBACK", gettext_lazy("… %(count)s je %(period)s"))
    FEEDBACK.hit()  # everybody together; raises RateLimited once the rate is used up
    FEEDBACK_PER_ADDRESS.hit(address_key(client_ip(request)))  # one client

A rate such as "5/h" or "30/5m" allows that many uses per window (fixed windows: up to twice
as many across the end of one and the start of the next). The count lives in the shared cache,
so every process and host sees the same one, and it is exact on every shared cache: a use claims
a numbered slot with `cache.add`, which the database cache (a primary key) and Redis (SET NX)
make atomic.

Why not django-ratelimit: it counts with `cache.incr`, which Django's database cache (the
default here) does as a read and a write. Under N concurrent requests up to N-1 uses are lost
each round, so a limit holds only up to N times over; and the write resets the entry's timeout
to the cache's default (300 s), so a window longer than that starts afresh after a pause of five
minutes. Its own system check refuses the database cache for that reason.

The cost: an allowed use reads a hint and adds a slot (with the database cache a few queries of
a millisecond each); a refused one only reads the hint. A cache that is culled when full (the
database cache past MAX_ENTRIES) may drop slots and let a few more through; nothing else does.
"""

import datetime
import ipaddress
import math
import re
from dataclasses import dataclass

from django.conf import settings
from django.core import checks
from django.core.cache import cache
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import ngettext

from .http import digest

RATE = re.compile(r"(\d+)/(\d*)([smhd])")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# An IPv6 client stands for its /64 network: one connection may use any address in it.
IPV6_PREFIX = 64
# Slots outlive their window by a little, so that a clock a second off finds them.
EXPIRY_FUDGE = 5


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def parse_rate(text: str) -> Rate | None:
    """Read "5/h", "30/5m", "100/d" (uses per period); "" or "0" turns the limit off."""
    text = text.strip().replace(" ", "")
    if text in ("", "0"):
        return None
    match = RATE.fullmatch(text)
    if not match or int(match[1]) < 1 or match[2] == "0":
        raise ValueError(f"not a rate like 5/h or 30/5m: {text!r}")
    return Rate(int(match[1]), int(match[2] or 1) * UNIT_SECONDS[match[3]])


def period_label(seconds: int) -> str:
    """Return a period as it reads after "je": "Stunde", "5 Minuten", "Tag"."""
    for unit, name in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds % unit == 0:
            return _count_of(name, seconds // unit)
    return _count_of("second", seconds)


def _count_of(name: str, count: int) -> str:
    if name == "day":
        text = ngettext("Tag", "%(count)s Tage", count)
    elif name == "hour":
        text = ngettext("Stunde", "%(count)s Stunden", count)
    elif name == "minute":
        text = ngettext("Minute", "%(count)s Minuten", count)
    else:
        text = ngettext("Sekunde", "%(count)s Sekunden", count)
    return text % {"count": count}


def address_key(address: str | None) -> str:
    """Return what a client's limits are counted by: its address, or its /64 for IPv6."""
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_PREFIX}", strict=False))
    return str(parsed)


class RateLimited(Exception):
    """A use beyond its limit: the middleware answers 429 with the German page."""

    def __init__(self, limit: "Limit", rate: Rate, retry_after: int) -> None:
        super().__init__(f"{limit.name}: more than {rate.count} in {rate.seconds} s")
        self.limit = limit
        self.rate = rate
        self.retry_after = retry_after

    @property
    def message(self) -> str:
        """Say what was limited and the limit, in the reader's language."""
        return self.limit.message % {
            "count": self.rate.count,
            "period": period_label(self.rate.seconds),
        }

    @property
    def retry_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))

    @property
    def retry_at(self) -> datetime.datetime:
        return timezone.localtime() + datetime.timedelta(seconds=self.retry_after)


@dataclass(frozen=True)
class Limit:
    """A named limit whose rate is the setting `setting`; `message` names it for people."""

    name: str
    setting: str
    message: Promise  # with %(count)s and %(period)s

    def rate(self) -> Rate | None:
        return parse_rate(getattr(settings, self.setting))

    def hit(self, key: str = "") -> None:
        """Count one use for `key` (empty: everybody together); raise RateLimited past the rate."""
        rate = self.rate()
        if rate is None:
            return
        now = timezone.now().timestamp()
        window = int(now // rate.seconds)
        ends = (window + 1) * rate.seconds
        base = f"ratelimit:{self.name}:{digest(key)}:{rate.count}/{rate.seconds}:{window}"
        if not _claim(base, rate.count, timeout=math.ceil(ends - now) + EXPIRY_FUDGE):
            raise RateLimited(self, rate, retry_after=max(1, math.ceil(ends - now)))


def _claim(base: str, count: int, *, timeout: int) -> bool:
    """Take the lowest free slot of `count`; False when all are taken.

    `base` itself holds a hint: a number of slots surely taken, so that a use tries one `add`
    and not all of them. The hint may lag behind (two uses racing), never run ahead of the
    slots, so a lagging hint costs an `add` that fails, never a wrong count.
    """
    taken = cache.get(base, 0)
    for slot in range(taken + 1, count + 1):
        if cache.add(f"{base}:{slot}", True, timeout):
            cache.set(base, slot, timeout)
            return True
    if taken < count:
        cache.set(base, count, timeout)  # every slot was taken: the next use reads just this
    return False


@checks.register()
def check_rate_settings(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    """Refuse to start with a rate setting that is not a rate: better than a 500 at first use."""
    errors = []
    for name in sorted(set(dir(settings))):  # overridden settings are listed twice
        if name.startswith("RATE_LIMIT_"):
            try:
                parse_rate(str(getattr(settings, name)))
            except ValueError:
                errors.append(
                    checks.Error(
                        f"{name} is not a rate: {getattr(settings, name)!r}",
                        hint='Uses per period, e.g. "5/h", "30/5m", "100/d"; 0 turns it off.',
                        id="digitalesamt.E001",
                    )
                )
    return errors
