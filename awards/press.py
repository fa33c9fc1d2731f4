"""The press kit of an award: the facts that make it news, and the release drafted from them.

Every award so far was announced with a press release of the same shape: who, since when, how
many procedures, the programme's rule, and what makes it news (the n-th award, the first in
its Landkreis). `press_facts` collects what the data knows in a fixed number of queries;
`press_release` drafts the German text from `templates/admin/awards/press/release.txt`, the
same paragraphs as plain text and as a Word document. The quotes and the press contact stay
marked gaps for people to write: a draft never puts words in a minister's mouth.

The release is a German document, like the plaque: the same in every language of the admin.
"""

import datetime
import re
from dataclasses import dataclass

from django.db.models import Count, Min, Q
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation

from digitalesamt.lib.wordfile import Block, docx_bytes
from municipalities.constants import GEMEINDE_KINDS, TITLE_PREFIXES, Kind
from municipalities.models import Municipality, Threshold

from .documents.facts import ISSUER, TAGLINE, award_facts
from .models import Award

# Every hundredth award is news ("das 200. Digitale Amt"); the thousands are among them.
ROUND_EVERY = 100
# The reviewer's desk tells this many approvals ahead that a round number is coming.
ROUND_AHEAD = 5

# After an article: "das Bayerische Staatsministerium für Digitales".
ISSUER_AFTER_ARTICLE = ISSUER.replace("Bayerisches ", "Bayerische ", 1)
SEAT = "München"  # the ministry's seat: the place in the date line of its releases
LANGUAGE = "de-DE"
# A gap people fill in; the Word file highlights each one.
GAP = re.compile(r"\[[^\[\]]*: bitte ergänzen\]")
# The Kommunen of a Landkreis ("als erste Kommune im Landkreis Günzburg"); a kreisfreie Stadt
# belongs to none, and the Landratsamt is the Kreis's own.
IN_LANDKREIS_KINDS = (
    *(kind for kind in GEMEINDE_KINDS if kind != Kind.KREISFREIE_STADT),
    Kind.VG,
)

MASCULINE, FEMININE, NEUTER = "m", "f", "n"
# Articles by gender: nominative, accusative, dative, genitive.
ARTICLES = {
    MASCULINE: ("der", "den", "dem", "des"),
    FEMININE: ("die", "die", "der", "der"),
    NEUTER: ("das", "das", "dem", "des"),
}
PRONOUNS = {MASCULINE: "er", FEMININE: "sie", NEUTER: "es"}
# "als erster Landkreis", "als erste Kommune", "als erstes Landratsamt": strong, nominative.
FIRST = {MASCULINE: "erster", FEMININE: "erste", NEUTER: "erstes"}


@dataclass(frozen=True)
class Noun:
    singular: str
    plural: str
    gender: str
    # The singular after a definite article in dative and genitive ("des Marktes").
    dative: str = ""
    genitive: str = ""

    def first(self) -> str:
        return f"{FIRST[self.gender]} {self.singular}"


# The kinds as the release names them (municipalities.constants.Kind).
KINDS = {
    Kind.GEMEINDE: Noun("Gemeinde", "Gemeinden", FEMININE),
    Kind.MARKT: Noun("Markt", "Märkte", MASCULINE, genitive="Marktes"),
    Kind.STADT: Noun("Stadt", "Städte", FEMININE),
    Kind.GROSSE_KREISSTADT: Noun(
        "Große Kreisstadt", "Große Kreisstädte", FEMININE, "Großen Kreisstadt", "Großen Kreisstadt"
    ),
    Kind.KREISFREIE_STADT: Noun("kreisfreie Stadt", "kreisfreie Städte", FEMININE),
    Kind.VG: Noun("Verwaltungsgemeinschaft", "Verwaltungsgemeinschaften", FEMININE),
    Kind.LANDKREIS: Noun("Landkreis", "Landkreise", MASCULINE, genitive="Landkreises"),
    Kind.BEZIRK: Noun("Bezirk", "Bezirke", MASCULINE, genitive="Bezirks"),
}
KOMMUNE = Noun("Kommune", "Kommunen", FEMININE)
# The word before a holder's name in the release: its title's, a Landkreis by its own name.
PREFIXES = {
    "Gemeinde": KINDS[Kind.GEMEINDE],
    "Markt": KINDS[Kind.MARKT],
    "Stadt": KINDS[Kind.STADT],
    "Große Kreisstadt": KINDS[Kind.GROSSE_KREISSTADT],
    "Landeshauptstadt": Noun("Landeshauptstadt", "Landeshauptstädte", FEMININE),
    "Verwaltungsgemeinschaft": KINDS[Kind.VG],
    "Landkreis": KINDS[Kind.LANDKREIS],
    "Bezirk": KINDS[Kind.BEZIRK],
}


@dataclass(frozen=True)
class Head:
    """Who speaks for the Kommune, as a woman and as a man, in the nominative and genitive."""

    she: str
    he: str
    of_her: str
    of_him: str


HEADS = {
    Kind.GEMEINDE: Head(
        "Erste Bürgermeisterin",
        "Erster Bürgermeister",
        "der Ersten Bürgermeisterin",
        "des Ersten Bürgermeisters",
    ),
    Kind.GROSSE_KREISSTADT: Head(
        "Oberbürgermeisterin",
        "Oberbürgermeister",
        "der Oberbürgermeisterin",
        "des Oberbürgermeisters",
    ),
    Kind.VG: Head(
        "Gemeinschaftsvorsitzende",
        "Gemeinschaftsvorsitzender",
        "der Gemeinschaftsvorsitzenden",
        "des Gemeinschaftsvorsitzenden",
    ),
    Kind.LANDKREIS: Head("Landrätin", "Landrat", "der Landrätin", "des Landrats"),
    Kind.BEZIRK: Head(
        "Bezirkstagspräsidentin",
        "Bezirkstagspräsident",
        "der Bezirkstagspräsidentin",
        "des Bezirkstagspräsidenten",
    ),
}
HEADS[Kind.MARKT] = HEADS[Kind.STADT] = HEADS[Kind.GEMEINDE]
HEADS[Kind.KREISFREIE_STADT] = HEADS[Kind.GROSSE_KREISSTADT]
# The Regierungsbezirke that take an article: "in der Oberpfalz", but "in Schwaben".
BEZIRK_LOCATIVES = {"Oberpfalz": "in der Oberpfalz"}


def in_bezirk(name: str) -> str:
    return BEZIRK_LOCATIVES.get(name, f"in {name}")


@dataclass(frozen=True)
class Holder:
    """The holder's name in the cases the release needs: "der Markt Hösbach", "des Marktes …"."""

    prefix: Noun
    name: str

    def _with(self, case: int) -> str:
        word = self.prefix.singular
        if case == 2:
            word = self.prefix.dative or word
        elif case == 3:
            word = self.prefix.genitive or self.prefix.dative or word
        return f"{ARTICLES[self.prefix.gender][case]} {word} {self.name}"

    @property
    def bare(self) -> str:
        return f"{self.prefix.singular} {self.name}"

    @property
    def nominative(self) -> str:
        return self._with(0)

    @property
    def accusative(self) -> str:
        return self._with(1)

    @property
    def dative(self) -> str:
        return self._with(2)

    @property
    def genitive(self) -> str:
        return self._with(3)

    @property
    def pronoun(self) -> str:
        return PRONOUNS[self.prefix.gender]


def holder_of(municipality: Municipality) -> Holder:
    """Name the holder as a release does: by its title, a Landkreis as "Landkreis Günzburg"."""
    if municipality.kind == Kind.LANDKREIS:
        return Holder(KINDS[Kind.LANDKREIS], municipality.name)
    with translation.override("de"):
        title = municipality.title
        prefix = str(TITLE_PREFIXES[municipality.kind])
    if title.startswith("Landeshauptstadt "):
        prefix = "Landeshauptstadt"
    return Holder(PREFIXES[prefix], title.removeprefix(f"{prefix} "))


@dataclass(frozen=True)
class Rank:
    """A place among current holders by the count at award (1 + those with more)."""

    place: int
    of: int


@dataclass(frozen=True)
class PressFacts:
    """What the data knows of one award that a press release tells.

    The n-th award counts every award ever issued, revoked ones too, by issue date and then
    number: "das 200. Digitale Amt" was announced when it was given, and a later revocation
    does not renumber the awards after it. "The first" follows the same rule: the first
    award given in the Landkreis (to a Gemeinde, Markt, Stadt or Verwaltungsgemeinschaft;
    the Landratsamt is the Kreis's own and has a line of its own) or to its kind in the
    Regierungsbezirk (a Bezirk: in Bavaria). Ranks compare the counts at award of the
    current holders (valid awards), a Bezirk's those of Bezirke only (their threshold is
    lower), and use the count the award rests on: the frozen count of the approved submission
    (`Award.procedure_count`).
    """

    number: str
    kind: str
    title: str  # as on the plaque: "Markt Hösbach", "Landratsamt Günzburg"
    holder: Holder
    members: tuple[str, ...]  # a VG's member Gemeinden
    issued_on: datetime.date
    url: str  # the verification page
    ordinal: int
    procedure_count: int
    threshold: int  # the holder's kind's, now
    general_threshold: int  # a Gemeinde's
    exceptions: tuple[tuple[str, int], ...]  # (plural of a kind, its minimum) that differ
    landkreis: str
    regierungsbezirk: str
    first_in_landkreis: bool
    first_of_kind: bool
    rank: Rank
    rank_in_bezirk: Rank | None
    rank_in_landkreis: Rank | None
    programme_start: datetime.date
    holders: int
    revoked: bool

    @property
    def noun(self) -> Noun:
        return KINDS[self.kind]

    @property
    def date_text(self) -> str:
        return german_date(self.issued_on)

    @property
    def start_text(self) -> str:
        with translation.override("de"):
            return formats.date_format(self.programme_start, "F Y")

    @property
    def ordinal_text(self) -> str:
        return (
            "das erste Digitale Amt" if self.ordinal == 1 else f"das {self.ordinal}. Digitale Amt"
        )

    @property
    def is_round(self) -> bool:
        return is_round(self.ordinal)

    @property
    def first_in_landkreis_text(self) -> str:
        if not self.first_in_landkreis:
            return ""
        return f"als {KOMMUNE.first()} im Landkreis {self.landkreis}"

    @property
    def first_of_kind_text(self) -> str:
        if not self.first_of_kind:
            return ""
        where = "in Bayern" if self.kind == Kind.BEZIRK else in_bezirk(self.regierungsbezirk)
        return f"als {self.noun.first()} {where}"

    @property
    def firsts(self) -> list[str]:
        return [text for text in (self.first_in_landkreis_text, self.first_of_kind_text) if text]

    @property
    def surplus(self) -> int:
        return max(self.procedure_count - self.threshold, 0)

    @property
    def head(self) -> Head:
        return HEADS[self.kind]


def german_date(day: datetime.date) -> str:
    with translation.override("de"):
        return formats.date_format(day, "j. F Y")


def is_round(ordinal: int) -> bool:
    return ordinal > 0 and ordinal % ROUND_EVERY == 0


@dataclass(frozen=True)
class Milestone:
    """The next round number: `ordinal`, reached with the `steps`-th approval from now."""

    ordinal: int
    steps: int


def next_milestone(issued: int) -> Milestone | None:
    """The round number within ROUND_AHEAD approvals after `issued` awards (all ever given)."""
    ordinal = (issued // ROUND_EVERY + 1) * ROUND_EVERY
    steps = ordinal - issued
    return Milestone(ordinal, steps) if steps <= ROUND_AHEAD else None


def _rank(counts: dict, prefix: str) -> Rank:
    return Rank(counts[f"{prefix}ahead"] + 1, counts[f"{prefix}holders"])


def press_facts(award: Award) -> PressFacts:
    """Collect the facts of one award: three queries (four for a VG, its members)."""
    municipality = Municipality.objects.select_related("landkreis", "regierungsbezirk").get(
        pk=award.municipality_id
    )
    award.municipality = municipality
    kind = municipality.kind
    bezirk = municipality if kind == Kind.BEZIRK else municipality.regierungsbezirk
    landkreis = municipality.landkreis if kind in IN_LANDKREIS_KINDS else None

    earlier = Q(issued_on__lt=award.issued_on) | Q(
        issued_on=award.issued_on, number__lt=award.number
    )
    valid = Q(revoked_at__isnull=True)
    ahead = valid & Q(procedure_count__gt=award.procedure_count)
    # A Bezirk needs fewer procedures (it offers fewer services): it ranks among Bezirke.
    peers = Q(municipality__kind=kind) if kind == Kind.BEZIRK else Q()
    counts = {
        "before": Count("pk", filter=earlier),
        "all_holders": Count("pk", filter=valid),
        "holders": Count("pk", filter=valid & peers),
        "ahead": Count("pk", filter=ahead & peers),
        "start": Min("issued_on"),
    }
    if kind == Kind.BEZIRK:
        counts["kind_before"] = Count("pk", filter=earlier & Q(municipality__kind=kind))
    if bezirk is not None:
        region = Q(municipality__regierungsbezirk=bezirk) | Q(municipality=bezirk)
        if kind != Kind.BEZIRK:
            counts["kind_before"] = Count(
                "pk", filter=earlier & region & Q(municipality__kind=kind)
            )
        counts["bezirk_holders"] = Count("pk", filter=valid & region)
        counts["bezirk_ahead"] = Count("pk", filter=ahead & region)
    if landkreis is not None:
        members = Q(municipality__landkreis=landkreis, municipality__kind__in=IN_LANDKREIS_KINDS)
        counts["landkreis_before"] = Count("pk", filter=earlier & members)
        counts["landkreis_holders"] = Count("pk", filter=valid & members)
        counts["landkreis_ahead"] = Count("pk", filter=ahead & members)
    found = Award.objects.order_by().aggregate(**counts)

    minimums = dict(Threshold.objects.values_list("kind", "minimum"))
    general = minimums.get(Kind.GEMEINDE, Threshold.DEFAULT_MINIMUM)
    exceptions = tuple(
        (KINDS[value].plural, minimums[value])
        for value in Kind.values
        if minimums.get(value, general) != general
    )
    documents = award_facts(award)
    # Ranks among one holder, or of a Bezirk among the Kommunen of its area, tell nothing.
    regional = bezirk is not None and kind != Kind.BEZIRK and found["bezirk_holders"] > 1
    local = landkreis is not None and found["landkreis_holders"] > 1
    return PressFacts(
        number=award.number,
        kind=kind,
        title=documents.title,
        holder=holder_of(municipality),
        members=documents.members,
        issued_on=award.issued_on,
        url=documents.url,
        ordinal=found["before"] + 1,
        procedure_count=award.procedure_count,
        threshold=minimums.get(kind, Threshold.DEFAULT_MINIMUM),
        general_threshold=general,
        exceptions=exceptions,
        landkreis=landkreis.name if landkreis else "",
        regierungsbezirk=bezirk.name if bezirk else "",
        first_in_landkreis=landkreis is not None and found["landkreis_before"] == 0,
        first_of_kind="kind_before" in found and found["kind_before"] == 0,
        rank=_rank(found, ""),
        rank_in_bezirk=_rank(found, "bezirk_") if regional else None,
        rank_in_landkreis=_rank(found, "landkreis_") if local else None,
        programme_start=found["start"] or award.issued_on,
        holders=found["all_holders"],
        revoked=award.is_revoked,
    )


def and_join(items: list[str]) -> str:
    """Join as German lists do: "A, B und C"."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} und {items[-1]}"


# Marks a heading of the template, in place of nothing in the plain text; no name holds it
# (the register refuses control characters) and str.split() keeps it.
_HEADING = "\x02"


def _exceptions(facts: PressFacts) -> str:
    """ "für Bezirke gilt eine Mindestzahl von 30, für Landkreise von 60" (or nothing)."""
    parts = [f"für {plural} von {minimum}" for plural, minimum in facts.exceptions]
    if not parts:
        return ""
    parts[0] = parts[0].replace(" von ", " gilt eine Mindestzahl von ", 1)
    return ", ".join(parts)


def _places(facts: PressFacts) -> str:
    """Where the count ranks: in Bavaria, in the Regierungsbezirk, in the Landkreis.

    A Bezirk ranks among Bezirke, and not at all while it is the only one.
    """
    rank, places = facts.rank, []
    if facts.kind != Kind.BEZIRK:
        places.append(
            f"unter den derzeit {rank.of} Digitalen Ämtern in Bayern auf Platz {rank.place}"
        )
    elif rank.of > 1:
        places.append(
            f"unter den derzeit {rank.of} Bezirken mit dem Prädikat auf Platz {rank.place}"
        )
    if facts.rank_in_bezirk:
        rank = facts.rank_in_bezirk
        places.append(
            f"im Regierungsbezirk {facts.regierungsbezirk} auf Platz {rank.place} von {rank.of}"
        )
    if facts.rank_in_landkreis:
        rank = facts.rank_in_landkreis
        places.append(f"im Landkreis {facts.landkreis} auf Platz {rank.place} von {rank.of}")
    return and_join(places)


def _location(facts: PressFacts) -> str:
    if facts.landkreis:
        return f" im Landkreis {facts.landkreis}"
    if facts.regierungsbezirk and facts.kind != Kind.BEZIRK:
        return f" {in_bezirk(facts.regierungsbezirk)}"
    return ""


def press_release(facts: PressFacts) -> list[Block]:
    """Draft the release: its paragraphs, headings marked with their level."""
    markers = {f"h{level}": f"{_HEADING}{level}" for level in (1, 2)}
    with translation.override("de"):
        text = render_to_string(
            "admin/awards/press/release.txt",
            {
                "facts": facts,
                "holder": facts.holder,
                "issuer": ISSUER_AFTER_ARTICLE,
                "tagline": TAGLINE,
                "seat": SEAT,
                "members": and_join(list(facts.members)),
                "exceptions": _exceptions(facts),
                "firsts": " und ".join(facts.firsts),
                "first": facts.firsts[0] if facts.firsts else "",
                "places": _places(facts),
                "location": _location(facts),
                "today": german_date(timezone.localdate()),
                **markers,
            },
        )
    blocks = []
    for paragraph in re.split(r"\n\s*\n", text):
        words = " ".join(paragraph.split())
        if not words:
            continue
        level = 0
        if words.startswith(_HEADING):
            level, words = int(words[1]), words[2:].lstrip()
        blocks.append(Block(words, level))
    return blocks


def release_text(blocks: list[Block]) -> str:
    """The release as plain text to copy: paragraphs apart by a blank line."""
    return "\n\n".join(block.text for block in blocks) + "\n"


def release_docx(blocks: list[Block]) -> bytes:
    """The release as a Word file, the ministry its author."""
    return docx_bytes(
        blocks,
        title=f"Pressemitteilung: {headline(blocks)}",
        author=ISSUER,
        language=LANGUAGE,
        gap=GAP,
        created=timezone.now(),
    )


def headline(blocks: list[Block]) -> str:
    return next((block.text for block in blocks if block.level == 1), "")


def docx_filename(number: str) -> str:
    return f"digitales-amt-{number}-pressetext.docx"
