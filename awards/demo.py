"""Believable demo data: the real early holders of the award, procedure lists and logins.

The history follows what the ministry published: the first seven awards on 28 July 2021,
the 100th in July 2022 (VG Iphofen), the 200th in February 2023 (Markt Hösbach), the first
Bezirk in April 2023 (Unterfranken) and about 400 holders by the end of 2023. The procedure
lists are drawn from the LeiKa catalogue and point to hosts under `.example`.
"""

import datetime
import random
import re
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management import CommandError
from django.db import transaction
from django.utils.translation import gettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from digitalesamt.accounts.roles import ADMIN_GROUP, REVIEWER_GROUP, setup_roles
from municipalities.constants import Kind, Scope
from municipalities.models import Membership, Municipality, ProcedureLink, Service

from . import services
from .models import Award, format_award_number

DEMO_PASSWORD = "Digitales-Amt-2021"  # noqa: S105 - documented demo login, refused outside DEBUG
REVIEWER_USERNAME = "pruefer"
ADMIN_USERNAME = "verwaltung"
# The demo staff's authenticator app: a fixed secret, printed by `dev.py start`, so that the
# admin can be tried at once. Development only: refused with DEBUG off (enrol_demo_staff).
DEMO_TOTP_KEY = "4469676974616c65732d416d742d44656d6f2132"  # b"Digitales-Amt-Demo!2"

NUERNBERG = "095640000000"
ERLANGEN = "095620000000"
MUENCHEN = "091620000000"
LANDKREIS_REGENSBURG = "093750000000"
BEZIRK_UNTERFRANKEN = "096000000000"
VG_IPHOFEN = "096755616000"
MARKT_HOESBACH = "096710130130"

FIRST_SEVEN = [
    NUERNBERG,
    "097610000000",  # Augsburg
    "092630000000",  # Straubing
    "093610000000",  # Amberg
    "091610000000",  # Ingolstadt
    "094610000000",  # Bamberg
    "096730141141",  # Bad Königshofen i.Grabfeld
]
FIRST_DAY = datetime.date(2021, 7, 28)

# Counts seen in December 2023; other holders stay below the smallest of them.
TOP_COUNTS = {ERLANGEN: 339, NUERNBERG: 290, LANDKREIS_REGENSBURG: 242, MUENCHEN: 236}

# The history after the first seven, period by period: (first day, last day, number of awards,
# Kommunen that must be among them with their day or None for any day of the period).
# A period that holds one fixed Kommune alone pins its place: the 100th and the 200th award.
PERIODS = [
    (
        datetime.date(2021, 8, 2),
        datetime.date(2022, 7, 15),
        92,
        {ERLANGEN: None, MUENCHEN: None, LANDKREIS_REGENSBURG: None},
    ),
    (datetime.date(2022, 7, 20), datetime.date(2022, 7, 20), 1, {VG_IPHOFEN: None}),
    (datetime.date(2022, 7, 25), datetime.date(2023, 2, 10), 99, {}),
    (datetime.date(2023, 2, 15), datetime.date(2023, 2, 15), 1, {MARKT_HOESBACH: None}),
    (
        datetime.date(2023, 2, 20),
        datetime.date(2023, 12, 15),
        200,
        {BEZIRK_UNTERFRANKEN: datetime.date(2023, 4, 19)},
    ),
    (datetime.date(2024, 1, 15), datetime.date(2026, 10, 30), 50, {"bezirke": None}),
]
LATER_BEZIRKE = 3

NEAR_THRESHOLD = 25  # Kommunen with 40-49 procedures: almost there
STARTED = 150  # Kommunen that have begun linking (5-39 procedures)
AT_RISK = 2  # holders whose live count has since fallen below the threshold
READY = 6  # Kommunen with enough procedures that have not been awarded yet
QUEUED = 3  # of those, how many have submitted their application (the first one is in review)


@dataclass
class DemoPlan:
    """Who gets what: awards in date order and the procedure count of every demo Kommune."""

    awards: list[tuple[Municipality, datetime.date, int]] = field(default_factory=list)
    live_counts: dict[int, int] = field(default_factory=dict)
    ready: list[Municipality] = field(default_factory=list)
    usernames: dict[int, str] = field(default_factory=dict)


def slugify_ascii(name: str) -> str:
    name = name.replace("ß", "ss").replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    name = name.replace("Ä", "Ae").replace("Ö", "Oe").replace("Ü", "Ue")
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def spread_dates(rng: random.Random, start: datetime.date, end: datetime.date, n: int) -> list:
    """Return n sorted dates between start and end, bunched on working days as ceremonies are."""
    days = (end - start).days
    dates = []
    for _ in range(n):
        day = start + datetime.timedelta(days=rng.randint(0, days))
        while day.weekday() >= 5:
            day -= datetime.timedelta(days=1)
        dates.append(max(day, start))
    return sorted(dates)


def award_count(rng: random.Random, kind: str) -> int:
    """Return a believable count at the award: most holders link 50-120, cities many more."""
    if kind == Kind.BEZIRK:
        return rng.randint(30, 70)
    if kind in (Kind.KREISFREIE_STADT, Kind.LANDKREIS):
        return rng.randint(80, 220)
    return min(50 + int(rng.expovariate(1 / 28)), 220)


def plan_demo(rng: random.Random) -> DemoPlan:
    by_ars = Municipality.objects.in_bulk(field_name="ars")
    fixed = set(FIRST_SEVEN) | {ars for *_, forced in PERIODS for ars in forced}
    later_bezirke = sorted(
        (m for m in by_ars.values() if m.kind == Kind.BEZIRK and m.ars not in fixed),
        key=lambda m: m.ars,
    )[:LATER_BEZIRKE]
    # Member Gemeinden of a VG are served through their VG, which applies as one unit.
    candidates = sorted(
        (
            m
            for m in by_ars.values()
            if m.kind != Kind.BEZIRK and m.verwaltungsgemeinschaft_id is None and m.ars not in fixed
        ),
        key=lambda m: m.ars,
    )
    rng.shuffle(candidates)

    sequence = [(by_ars[ars], FIRST_DAY) for ars in FIRST_SEVEN]
    for start, end, total, forced in PERIODS:
        chosen = []
        for ars, day in forced.items():
            members = later_bezirke if ars == "bezirke" else [by_ars[ars]]
            chosen += [(m, day or spread_dates(rng, start, end, 1)[0]) for m in members]
        days = spread_dates(rng, start, end, total - len(chosen))
        chosen += [(candidates.pop(), day) for day in days]
        sequence += sorted(chosen, key=lambda item: item[1])

    plan = DemoPlan()
    for municipality, day in sequence:
        at_award = TOP_COUNTS.get(municipality.ars) or award_count(rng, municipality.kind)
        plan.awards.append((municipality, day, at_award))
        growth = 0 if municipality.ars in TOP_COUNTS else rng.randint(0, 12)
        plan.live_counts[municipality.pk] = at_award + growth
    # A few holders have lost procedures since: the ministry's re-check lists them at risk.
    for municipality, _day, _count in plan.awards[300 : 300 + AT_RISK]:
        plan.live_counts[municipality.pk] = rng.randint(44, 49)

    for municipality in candidates[:NEAR_THRESHOLD]:
        plan.live_counts[municipality.pk] = rng.randint(40, 49)
    for municipality in candidates[NEAR_THRESHOLD : NEAR_THRESHOLD + STARTED]:
        plan.live_counts[municipality.pk] = rng.randint(5, 39)
    plan.ready = candidates[NEAR_THRESHOLD + STARTED : NEAR_THRESHOLD + STARTED + READY]
    for municipality in plan.ready:
        plan.live_counts[municipality.pk] = rng.randint(52, 75)
    return plan


def build_links(
    rng: random.Random, municipality: Municipality, count: int, services: list[Service]
):
    """Yield (link, services) pairs: a mix of the Kommune's own and the Freistaat's procedures."""
    host = f"{slugify_ascii(municipality.name)}.example"
    for service in rng.sample(services, count):
        central = service.leika_type.startswith(("1", "4")) or rng.random() < 0.3
        if central:
            url = f"https://formulare.freistaat-bayern.example/leistung/{service.leika_key}"
        else:
            url = f"https://{host}/buergerservice/{service.leika_key}"
        served = [service]
        if rng.random() < 0.15:
            served.append(rng.choice(services))
        link = ProcedureLink(
            municipality=municipality,
            title=service.name[:300],
            url=url,
            scope=Scope.ZENTRAL if central else Scope.KOMMUNAL,
            ozg_id=service.ozg_id,
        )
        yield link, served


@transaction.atomic
def seed(*, seed_value: int = 2021) -> DemoPlan:
    """Load the demo data set into an empty database; return what was planned."""
    rng = random.Random(seed_value)  # noqa: S311 - repeatable demo data, not secrets
    services = list(Service.objects.order_by("leika_key"))
    plan = plan_demo(rng)
    by_pk = {municipality.pk: municipality for municipality, _day, _count in plan.awards}
    by_pk.update(Municipality.objects.in_bulk(list(plan.live_counts)))

    links, link_services = [], []
    for pk, count in plan.live_counts.items():
        for link, served in build_links(rng, by_pk[pk], count, services):
            links.append(link)
            link_services.append(served)
    ProcedureLink.objects.bulk_create(links, batch_size=2000)
    through = ProcedureLink.services.through
    through.objects.bulk_create(
        [
            through(procedurelink_id=link.pk, service_id=service.pk)
            for link, served in zip(links, link_services, strict=True)
            for service in {s.pk: s for s in served}.values()
        ],
        batch_size=5000,
    )

    per_year: dict[int, int] = {}
    awards = []
    for municipality, day, at_award in plan.awards:
        per_year[day.year] = per_year.get(day.year, 0) + 1
        awards.append(
            Award(
                number=format_award_number(day.year, per_year[day.year]),
                municipality=municipality,
                issued_on=day,
                procedure_count=at_award,
            )
        )
    Award.objects.bulk_create(awards)
    create_logins(plan)
    queue_applications(plan)
    return plan


def queue_applications(plan: DemoPlan) -> None:
    """Put a few applications into the reviewers' queue, through the real workflow."""
    User = get_user_model()
    reviewer = User.objects.get(username=REVIEWER_USERNAME)
    for index, municipality in enumerate(plan.ready[:QUEUED]):
        clerk = User.objects.get(username=plan.usernames[municipality.pk])
        application = services.create_application(municipality=municipality, by=clerk)
        services.submit_application(application=application, by=clerk)
        if index == 0:
            services.start_review(application=application, reviewer=reviewer)


def create_logins(plan: DemoPlan) -> None:
    """Create the reviewer and one clerk per demo Kommune, all with the demo password."""
    User = get_user_model()
    password = make_password(DEMO_PASSWORD)  # hash once: 600 clerks share it
    setup_roles()
    reviewer = User.objects.create(
        username=REVIEWER_USERNAME,
        email="pruefer@stmd.bayern.example",
        first_name="Petra",
        last_name="Prüfer",
        is_staff=True,
        password=password,
    )
    reviewer.groups.add(Group.objects.get(name=REVIEWER_GROUP))
    administrator = User.objects.create(
        username=ADMIN_USERNAME,
        email="verwaltung@stmd.bayern.example",
        first_name="Anton",
        last_name="Verwaltung",
        is_staff=True,
        password=password,
    )
    administrator.groups.add(Group.objects.get(name=ADMIN_GROUP))

    municipalities = Municipality.objects.in_bulk(list(plan.live_counts))
    used: set[str] = set()
    users, memberships = [], []
    for municipality in sorted(municipalities.values(), key=lambda m: m.ars):
        username = slugify_ascii(municipality.name)[:140]
        if municipality.kind in (Kind.LANDKREIS, Kind.VG, Kind.BEZIRK) or username in used:
            username = f"{municipality.kind.replace('_', '-')}-{username}"
        if username in used:
            username = f"{username}-{municipality.ars}"
        used.add(username)
        plan.usernames[municipality.pk] = username
        user = User(username=username, email=f"{username}@kommune.example", password=password)
        users.append(user)
        memberships.append((user, municipality))
    User.objects.bulk_create(users, batch_size=1000)
    Membership.objects.bulk_create(
        [Membership(user=user, municipality=municipality) for user, municipality in memberships]
    )


def enrol_demo_staff() -> list[str]:
    """Give the demo reviewer and administrator the demo app (DEMO_TOTP_KEY); return who has it.

    Refused with DEBUG off: a secret everybody can read is no second factor.
    """
    if not settings.DEBUG:
        raise CommandError(
            gettext(
                "Der Demo-Schlüssel für den zweiten Faktor wird nur mit DEBUG=true vergeben: "
                "er steht im Quelltext. Auf einem Testsystem richten die Zugänge ihren zweiten "
                "Faktor bei der ersten Anmeldung selbst ein."
            )
        )
    enrolled = []
    for user in get_user_model().objects.filter(username__in=[REVIEWER_USERNAME, ADMIN_USERNAME]):
        TOTPDevice.objects.filter(user=user).exclude(key=DEMO_TOTP_KEY).delete()
        TOTPDevice.objects.get_or_create(
            user=user, key=DEMO_TOTP_KEY, defaults={"name": "Demo-App", "confirmed": True}
        )
        enrolled.append(user.username)
    return sorted(enrolled)


def demo_totp_uri(username: str) -> str:
    """Return the otpauth:// address of the demo app for `username`, as a QR code holds it."""
    return TOTPDevice(user=get_user_model()(username=username), key=DEMO_TOTP_KEY).config_url
