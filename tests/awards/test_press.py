"""The press kit of an award: the facts the data knows, the release, the admin page, the desk."""

import datetime
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from docx import Document
from docx.enum.text import WD_COLOR_INDEX

from awards import services
from awards.documents.facts import ISSUER
from awards.models import Award
from awards.press import (
    FEMININE,
    KINDS,
    MASCULINE,
    NEUTER,
    ROUND_AHEAD,
    Milestone,
    Noun,
    Rank,
    holder_of,
    next_milestone,
    press_facts,
    press_release,
    release_docx,
    release_text,
)
from municipalities.constants import Kind
from municipalities.models import Threshold
from tests.factories import AwardFactory, MunicipalityFactory, ProcedureLinkFactory
from tests.helpers import PASSWORD, count_queries

from .test_desk import INDEX, section

pytestmark = pytest.mark.django_db

DAY = datetime.date(2023, 2, 15)


def award(municipality, number: str, day: datetime.date = DAY, count: int = 60, **fields):
    return AwardFactory(
        municipality=municipality, number=number, issued_on=day, procedure_count=count, **fields
    )


def revoked(**fields) -> dict:
    return {"revoked_at": timezone.now(), "revocation_reason": "Verfahren entfernt", **fields}


@pytest.fixture
def schwaben(db):
    return MunicipalityFactory(name="Schwaben", kind=Kind.BEZIRK)


@pytest.fixture
def guenzburg(schwaben):
    return MunicipalityFactory(name="Günzburg", kind=Kind.LANDKREIS, regierungsbezirk=schwaben)


def in_landkreis(landkreis, name: str, kind: str = Kind.GEMEINDE):
    return MunicipalityFactory(
        name=name, kind=kind, landkreis=landkreis, regierungsbezirk=landkreis.regierungsbezirk
    )


# The facts


def test_the_nth_award_counts_every_award_ever_issued_by_date_then_number():
    first = award(MunicipalityFactory(), "DA-2021-0009", datetime.date(2021, 7, 1))
    second = award(MunicipalityFactory(), "DA-2021-0001", datetime.date(2021, 7, 28))
    gone = award(MunicipalityFactory(), "DA-2021-0002", datetime.date(2021, 7, 28), **revoked())
    after = award(MunicipalityFactory(), "DA-2022-0001", datetime.date(2022, 1, 5))

    ordinals = [press_facts(a).ordinal for a in (first, second, gone, after)]

    # The revoked award keeps its place: "das 4. Digitale Amt" was announced as such.
    assert ordinals == [1, 2, 3, 4]
    assert press_facts(first).ordinal_text == "das erste Digitale Amt"
    assert press_facts(after).ordinal_text == "das 4. Digitale Amt"


def test_the_first_kommune_in_its_landkreis_and_the_next_one(guenzburg, schwaben):
    award(guenzburg, "DA-2023-0001", datetime.date(2023, 1, 2))  # the Landratsamt first
    leipheim = in_landkreis(guenzburg, "Leipheim", Kind.STADT)
    bubesheim = in_landkreis(guenzburg, "Bubesheim")
    first = award(leipheim, "DA-2023-0002", datetime.date(2023, 1, 3))
    second = award(bubesheim, "DA-2023-0003", datetime.date(2023, 1, 4))

    facts, later = press_facts(first), press_facts(second)

    # The Landratsamt is the Kreis's own: Leipheim is still the first Kommune in it.
    assert facts.first_in_landkreis is True
    assert facts.first_in_landkreis_text == "als erste Kommune im Landkreis Günzburg"
    assert later.first_in_landkreis is False
    assert later.first_in_landkreis_text == ""
    assert (facts.landkreis, facts.regierungsbezirk) == ("Günzburg", "Schwaben")


def test_a_revoked_earlier_award_in_the_landkreis_still_came_first(guenzburg):
    award(in_landkreis(guenzburg, "Bubesheim"), "DA-2023-0001", **revoked())
    later = award(in_landkreis(guenzburg, "Leipheim"), "DA-2023-0002")

    assert press_facts(later).first_in_landkreis is False


def test_the_first_of_its_kind_in_the_regierungsbezirk(guenzburg, schwaben):
    other_landkreis = MunicipalityFactory(
        name="Dillingen a.d.Donau", kind=Kind.LANDKREIS, regierungsbezirk=schwaben
    )
    oberbayern = MunicipalityFactory(name="Oberbayern", kind=Kind.BEZIRK)
    ebersberg = MunicipalityFactory(
        name="Ebersberg", kind=Kind.LANDKREIS, regierungsbezirk=oberbayern
    )
    award(ebersberg, "DA-2021-0001", datetime.date(2021, 9, 10))  # another Bezirk's: no matter
    first = award(guenzburg, "DA-2021-0002", datetime.date(2021, 10, 1))
    second = award(other_landkreis, "DA-2021-0003", datetime.date(2021, 11, 1))
    markt = award(in_landkreis(guenzburg, "Burgau", Kind.MARKT), "DA-2021-0004")

    assert press_facts(first).first_of_kind_text == "als erster Landkreis in Schwaben"
    assert press_facts(second).first_of_kind is False
    # A Markt after a Landkreis: the first Markt, and the first Kommune in its Landkreis.
    assert press_facts(markt).firsts == [
        "als erste Kommune im Landkreis Günzburg",
        "als erster Markt in Schwaben",
    ]


def test_a_bezirk_is_the_first_in_bavaria_and_the_oberpfalz_takes_its_article():
    unterfranken = MunicipalityFactory(name="Unterfranken", kind=Kind.BEZIRK)
    oberpfalz = MunicipalityFactory(name="Oberpfalz", kind=Kind.BEZIRK)
    amberg = MunicipalityFactory(
        name="Amberg", kind=Kind.KREISFREIE_STADT, regierungsbezirk=oberpfalz
    )
    first = award(unterfranken, "DA-2023-0001", datetime.date(2023, 4, 1), count=35)
    second = award(oberpfalz, "DA-2023-0002", datetime.date(2023, 5, 1), count=31)
    city = award(amberg, "DA-2023-0003", datetime.date(2023, 6, 1))

    assert press_facts(first).first_of_kind_text == "als erster Bezirk in Bayern"
    assert press_facts(second).first_of_kind is False
    # A Bezirk needs 30, not 50: it ranks among Bezirke, and alone not at all.
    assert press_facts(second).rank == Rank(2, 2)
    assert press_facts(second).holders == 3
    text = release_text(press_release(press_facts(second)))
    assert (
        "liegt der Bezirk Oberpfalz unter den derzeit 2 Bezirken mit dem Prädikat auf Platz 2"
        in text
    )
    award(MunicipalityFactory(), "DA-2023-0004", count=20)
    assert press_facts(second).rank == Rank(2, 2)
    facts = press_facts(city)
    assert facts.firsts == ["als erste kreisfreie Stadt in der Oberpfalz"]
    assert facts.first_in_landkreis is False  # a kreisfreie Stadt belongs to no Landkreis


@pytest.mark.parametrize(
    ("kind", "first"),
    [
        (Kind.GEMEINDE, "erste Gemeinde"),
        (Kind.MARKT, "erster Markt"),
        (Kind.STADT, "erste Stadt"),
        (Kind.GROSSE_KREISSTADT, "erste Große Kreisstadt"),
        (Kind.KREISFREIE_STADT, "erste kreisfreie Stadt"),
        (Kind.VG, "erste Verwaltungsgemeinschaft"),
        (Kind.LANDKREIS, "erster Landkreis"),
        (Kind.BEZIRK, "erster Bezirk"),
    ],
)
def test_first_agrees_with_the_gender_of_every_kind(kind, first):
    assert KINDS[kind].first() == first


def test_a_neuter_noun_takes_erstes():
    assert Noun("Landratsamt", "Landratsämter", NEUTER).first() == "erstes Landratsamt"
    assert {KINDS[Kind.MARKT].gender, KINDS[Kind.VG].gender} == {MASCULINE, FEMININE}


HOLDER_CASES = [
    (
        ("Hösbach", Kind.MARKT, "Hösbach, M"),
        ("der Markt Hösbach", "dem Markt Hösbach", "des Marktes Hösbach", "er"),
    ),
    (
        ("Dachau", Kind.GROSSE_KREISSTADT, "Dachau, GKSt"),
        (
            "die Große Kreisstadt Dachau",
            "der Großen Kreisstadt Dachau",
            "der Großen Kreisstadt Dachau",
            "sie",
        ),
    ),
    (
        ("Günzburg", Kind.LANDKREIS, "Günzburg"),
        ("der Landkreis Günzburg", "dem Landkreis Günzburg", "des Landkreises Günzburg", "er"),
    ),
    (
        ("Unterfranken", Kind.BEZIRK, "Unterfranken"),
        ("der Bezirk Unterfranken", "dem Bezirk Unterfranken", "des Bezirks Unterfranken", "er"),
    ),
    (
        ("München", Kind.KREISFREIE_STADT, "München, Landeshauptstadt"),
        (
            "die Landeshauptstadt München",
            "der Landeshauptstadt München",
            "der Landeshauptstadt München",
            "sie",
        ),
    ),
]


@pytest.mark.parametrize(("municipality", "cases"), HOLDER_CASES)
def test_the_holder_is_named_in_every_case_the_release_needs(municipality, cases):
    name, kind, register_name = municipality
    holder = holder_of(MunicipalityFactory(name=name, kind=kind, register_name=register_name))

    assert (holder.nominative, holder.dative, holder.genitive, holder.pronoun) == cases


def test_the_rank_compares_the_counts_of_current_holders_at_award(guenzburg, schwaben):
    elsewhere = MunicipalityFactory(name="Oberbayern", kind=Kind.BEZIRK)
    award(MunicipalityFactory(regierungsbezirk=elsewhere), "DA-2021-0001", count=300)
    award(MunicipalityFactory(regierungsbezirk=elsewhere), "DA-2021-0002", count=500, **revoked())
    award(in_landkreis(guenzburg, "Burgau"), "DA-2021-0003", count=200)
    ours = award(in_landkreis(guenzburg, "Leipheim"), "DA-2021-0004", count=120)
    award(in_landkreis(guenzburg, "Bubesheim"), "DA-2021-0005", count=120)
    award(MunicipalityFactory(regierungsbezirk=schwaben, kind=Kind.STADT), "DA-2021-0006", count=90)

    facts = press_facts(ours)

    # The revoked 500 is no holder; the tie at 120 shares third place.
    assert facts.rank == Rank(3, 5)
    assert facts.rank_in_bezirk == Rank(2, 4)
    assert facts.rank_in_landkreis == Rank(2, 3)
    assert facts.holders == 5


@pytest.mark.usefixtures("no_link_check")
def test_the_count_is_the_one_the_award_rests_on_not_the_live_one(kommune, clerk, reviewer):
    ProcedureLinkFactory.create_batch(52, municipality=kommune)
    application = services.create_application(municipality=kommune, by=clerk)
    submission = services.submit_application(application=application, by=clerk)
    services.start_review(application=application, reviewer=reviewer)
    issued = services.approve_application(
        application=application, reviewer=reviewer, justification="Am Telefon geklärt."
    )
    ProcedureLinkFactory.create_batch(30, municipality=kommune)  # linked after the award

    facts = press_facts(Award.objects.get(pk=issued.pk))

    assert submission.procedure_count == 52
    assert facts.procedure_count == 52
    assert facts.threshold == 50 and facts.surplus == 2


def test_the_rule_comes_from_the_thresholds_the_ministry_set(kommune):
    Threshold.objects.update_or_create(kind=Kind.LANDKREIS, defaults={"minimum": 60})
    facts = press_facts(award(kommune, "DA-2021-0001"))

    assert facts.general_threshold == 50
    assert facts.exceptions == (("Landkreise", 60), ("Bezirke", 30))
    text = release_text(press_release(facts))
    assert (
        "mindestens 50 Online-Verfahren anbieten; für Landkreise gilt eine Mindestzahl von 60, "
        "für Bezirke von 30."
    ) in text


def test_the_issue_date_reads_in_german(kommune):
    facts = press_facts(award(kommune, "DA-2021-0001", datetime.date(2021, 7, 28)))

    assert facts.date_text == "28. Juli 2021"


# The release


@pytest.fixture
def hoesbach(db):
    unterfranken = MunicipalityFactory(name="Unterfranken", kind=Kind.BEZIRK)
    aschaffenburg = MunicipalityFactory(
        name="Aschaffenburg", kind=Kind.LANDKREIS, regierungsbezirk=unterfranken
    )
    for n in range(199):
        award(MunicipalityFactory(), f"DA-2022-{n + 1:04d}", datetime.date(2022, 1, 1), count=50)
    markt = in_landkreis(aschaffenburg, "Hösbach", Kind.MARKT)
    return award(markt, "DA-2023-0017", DAY, count=183)


def test_the_release_tells_the_facts_and_leaves_the_quotes_as_gaps(hoesbach):
    blocks = press_release(press_facts(hoesbach))
    text = release_text(blocks)

    assert blocks[0].text == "Pressemitteilung"
    assert blocks[1].text == "Markt Hösbach ist das 200. Digitale Amt in Bayern"
    assert blocks[1].level == 1
    assert text.count("\x02") == 0
    assert (
        "München, 15. Februar 2023 – Das Bayerische Staatsministerium für Digitales hat dem "
        "Markt Hösbach im Landkreis Aschaffenburg am 15. Februar 2023 das Prädikat "
        "„Digitales Amt“ verliehen. Er bietet im BayernPortal 183 Online-Verfahren an"
    ) in text
    assert "Der Markt Hösbach ist damit das 200. Digitale Amt in Bayern." in text
    assert (
        "Der Markt Hösbach erhält das Prädikat als erste Kommune im Landkreis Aschaffenburg" in text
    )
    assert "und als erster Markt in Unterfranken." in text
    assert "Mit 183 Online-Verfahren, 133 mehr als gefordert, liegt er" in text
    assert "unter den derzeit 200 Digitalen Ämtern in Bayern auf Platz 1" in text
    assert (
        "mindestens 50 Online-Verfahren anbieten; für Bezirke gilt eine Mindestzahl von 30." in text
    )
    assert "„[Zitat der Ministerin / des Ministers: bitte ergänzen]“" in text
    assert (
        "„[Zitat der Ersten Bürgermeisterin / des Ersten Bürgermeisters: bitte ergänzen]“" in text
    )
    assert "Erste Bürgermeisterin / Erster Bürgermeister des Marktes Hösbach." in text
    assert "[Name, Telefon und E-Mail der Pressestelle: bitte ergänzen]" in text
    assert "/pruefen/DA-2023-0017/" in text
    assert "Seit Januar 2022 zeichnet das Bayerische Staatsministerium" in text
    headings = [block.text for block in blocks if block.level]
    assert headings[2:] == ["Über das Prädikat „Digitales Amt“", "Pressekontakt"]
    assert "\n\n\n" not in text and "  " not in text


def test_a_plain_award_gets_a_plain_headline_and_its_head_of_office(guenzburg):
    award(in_landkreis(guenzburg, "Leipheim"), "DA-2021-0001", datetime.date(2021, 8, 1))
    elsewhere = MunicipalityFactory(
        kind=Kind.GROSSE_KREISSTADT, regierungsbezirk=guenzburg.regierungsbezirk
    )
    award(elsewhere, "DA-2021-0002", datetime.date(2021, 8, 2))
    city = in_landkreis(guenzburg, "Günzburg", Kind.GROSSE_KREISSTADT)
    blocks = press_release(press_facts(award(city, "DA-2021-0003", count=50)))
    text = release_text(blocks)

    assert blocks[1].text == "Große Kreisstadt Günzburg ist „Digitales Amt“"
    assert "Mit 50 Online-Verfahren liegt die Große Kreisstadt Günzburg unter den" in text
    assert "„[Zitat der Oberbürgermeisterin / des Oberbürgermeisters: bitte ergänzen]“" in text
    assert "Oberbürgermeisterin / Oberbürgermeister der Großen Kreisstadt Günzburg." in text
    assert "erste" not in blocks[1].text


def test_a_vg_names_its_members(guenzburg):
    vg = in_landkreis(guenzburg, "Haldenwang", Kind.VG)
    for name in ("Haldenwang", "Dürrlauingen", "Landensberg"):
        MunicipalityFactory(name=name, verwaltungsgemeinschaft=vg, landkreis=guenzburg)

    text = release_text(press_release(press_facts(award(vg, "DA-2021-0001"))))

    assert "Zur Verwaltungsgemeinschaft gehören Dürrlauingen, Haldenwang und Landensberg." in text
    assert "der Gemeinschaftsvorsitzenden / des Gemeinschaftsvorsitzenden" in text
    assert "als erste Kommune im Landkreis Günzburg und als erste Verwaltungsgemeinschaft" in text


def test_the_word_file_holds_the_same_paragraphs_headings_and_properties(hoesbach):
    blocks = press_release(press_facts(hoesbach))

    document = Document(io.BytesIO(release_docx(blocks)))

    paragraphs = [(p.text, p.style.name) for p in document.paragraphs]
    assert [text for text, _style in paragraphs] == [block.text for block in blocks]
    assert release_text(blocks) == "\n\n".join(text for text, _style in paragraphs) + "\n"
    styles = dict(paragraphs)
    assert styles["Markt Hösbach ist das 200. Digitale Amt in Bayern"] == "Heading 1"
    assert styles["Pressekontakt"] == "Heading 2"
    assert styles["Pressemitteilung"] == "Normal"
    highlighted = [
        run.text
        for p in document.paragraphs
        for run in p.runs
        if run.font.highlight_color == WD_COLOR_INDEX.YELLOW
    ]
    assert highlighted == re.findall(r"\[[^\]]*: bitte ergänzen\]", release_text(blocks))
    assert len(highlighted) == 5
    properties = document.core_properties
    assert properties.title == "Pressemitteilung: Markt Hösbach ist das 200. Digitale Amt in Bayern"
    assert properties.author == ISSUER
    assert properties.language == "de-DE"
    assert 'w:val="de-DE"' in document.styles.element.xml


# The admin page


def press_url(a: Award, docx: bool = False) -> str:
    name = "admin:awards_award_press_docx" if docx else "admin:awards_award_press"
    return reverse(name, args=[a.pk])


def test_the_award_page_links_the_press_kit(reviewer_client, kommune):
    valid = award(kommune, "DA-2021-0001")
    gone = award(MunicipalityFactory(), "DA-2021-0002", **revoked())

    assert (
        press_url(valid)
        in reviewer_client.get(
            reverse("admin:awards_award_change", args=[valid.pk])
        ).content.decode()
    )
    assert (
        press_url(gone)
        not in reviewer_client.get(
            reverse("admin:awards_award_change", args=[gone.pk])
        ).content.decode()
    )


def test_a_reviewer_sees_the_text_the_facts_and_the_download(reviewer_client, hoesbach):
    response = reviewer_client.get(press_url(hoesbach))

    assert response.status_code == 200
    html = response.content.decode()
    found = re.search(r'<textarea id="press-text"[^>]*readonly[^>]*>(.*?)</textarea>', html, re.S)
    assert found
    assert "Markt Hösbach ist das 200. Digitale Amt in Bayern" in found.group(1)
    assert "„[Zitat der Ministerin / des Ministers: bitte ergänzen]“" in found.group(1)
    assert press_url(hoesbach, docx=True) in html
    text = " ".join(re.sub(r"<[^>]+>", " ", html.split('press-facts"')[1]).split())
    assert "200. in Bayern (runde Zahl)" in text
    assert "183 (nötig: 50)" in text
    assert "als erste Kommune im Landkreis Aschaffenburg" in text


def test_the_word_file_is_an_attachment_named_by_the_number(reviewer_client, hoesbach):
    response = reviewer_client.get(press_url(hoesbach, docx=True))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"] == (
        'attachment; filename="digitales-amt-DA-2023-0017-pressetext.docx"'
    )
    assert Document(io.BytesIO(response.content)).paragraphs[1].text.startswith("Markt Hösbach")


@pytest.mark.parametrize("docx", [False, True])
def test_only_who_may_see_awards_gets_the_press_kit(
    client, clerk_client, reviewer_client, kommune, docx
):
    url = press_url(award(kommune, "DA-2021-0001"), docx=docx)
    staff = get_user_model().objects.create_user("andere", password=PASSWORD, is_staff=True)
    staff_client = type(client)()
    staff_client.force_login(staff)

    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("admin:login"))
    clerk = clerk_client.get(url)  # no staff: the admin sends a Kommune's clerk to its login
    assert clerk.status_code == 302
    assert clerk["Location"].startswith(reverse("admin:login"))
    assert staff_client.get(url).status_code == 403
    assert reviewer_client.get(url).status_code == 200


@pytest.mark.parametrize("docx", [False, True])
def test_a_revoked_award_has_no_press_kit(reviewer_client, kommune, docx):
    gone = award(kommune, "DA-2021-0001", **revoked())

    response = reviewer_client.get(press_url(gone, docx=docx), follow=True)

    assert response.redirect_chain[0][0] == reverse("admin:awards_award_change", args=[gone.pk])
    assert "Für sie gibt es keinen Pressetext." in response.content.decode()
    assert "press-text" not in response.content.decode()


def grow_awards(count: int, start: int = 0) -> None:
    """`count` more awards, earlier than any other, in Kommunen of one Landkreis."""
    landkreis = MunicipalityFactory(kind=Kind.LANDKREIS)
    for n in range(start, start + count):
        municipality = MunicipalityFactory(landkreis=landkreis)
        award(municipality, f"DA-2020-{n + 1:04d}", datetime.date(2020, 1, 1), count=50 + n)


def test_the_facts_and_the_page_cost_the_same_queries_at_5_and_at_120_awards(
    reviewer_client, hoesbach
):
    Award.objects.exclude(pk=hoesbach.pk).delete()

    def measure() -> tuple[int, int]:
        with count_queries() as facts:
            press_facts(Award.objects.get(pk=hoesbach.pk))
        of_facts = len(facts.own)  # now: the connection keeps only the latest queries
        reviewer_client.get(press_url(hoesbach))  # fills the content type cache
        with count_queries() as page:
            assert reviewer_client.get(press_url(hoesbach)).status_code == 200
        return of_facts, len(page.own)

    grow_awards(5)
    few = measure()
    grow_awards(115, start=5)
    many = measure()

    assert Award.objects.count() == 121
    assert few == many
    # The award, its Kommune with Landkreis and Bezirk, one aggregate, the thresholds; the
    # page adds session, user, second factor and the user's and groups' permissions.
    assert few == (4, 9)


# The round number on the desk


def test_the_next_round_number_is_announced_a_few_approvals_ahead():
    assert next_milestone(99) == Milestone(100, 1)
    assert next_milestone(199) == Milestone(200, 1)
    assert next_milestone(100 - ROUND_AHEAD) == Milestone(100, ROUND_AHEAD)
    assert next_milestone(100 - ROUND_AHEAD - 1) is None
    assert next_milestone(100) is None
    assert next_milestone(997) == Milestone(1000, 3)


def issued(count: int) -> None:
    """`count` awards ever issued, one of them revoked: it counts all the same."""
    kommunen = MunicipalityFactory.create_batch(count)
    Award.objects.bulk_create(
        Award(
            number=f"DA-2022-{n + 1:04d}",
            municipality=municipality,
            issued_on=datetime.date(2022, 1, 1),
            procedure_count=50,
            **(revoked() if n == 0 else {}),
        )
        for n, municipality in enumerate(kommunen)
    )


@pytest.mark.parametrize(
    ("count", "line"),
    [
        (99, "Die nächste Genehmigung wird das 100. Digitale Amt."),
        (97, "Noch 3 Genehmigungen bis zum 100. Digitalen Amt."),
    ],
)
def test_the_desk_says_when_the_next_approval_makes_a_round_number(reviewer_client, count, line):
    issued(count)

    queue = section(reviewer_client.get(INDEX), "queue")

    assert line in queue
    assert "auch widerrufene" in queue


@pytest.mark.parametrize("count", [100, 50])
def test_the_desk_is_silent_far_from_a_round_number(reviewer_client, count):
    issued(count)

    html = reviewer_client.get(INDEX).content.decode()

    assert "desk-milestone" not in html
    assert "Digitalen Amt" not in html and "Digitale Amt." not in html


def test_a_lone_bezirk_gets_no_rank_but_its_surplus():
    facts = press_facts(
        award(MunicipalityFactory(name="Schwaben", kind=Kind.BEZIRK), "DA-2023-0001", count=38)
    )

    text = release_text(press_release(facts))

    assert "Der Bezirk Schwaben erhält das Prädikat als erster Bezirk in Bayern." in text
    assert "Die 38 Online-Verfahren sind 8 mehr als gefordert. Die Auszeichnung trägt" in text
    assert "Platz" not in text
