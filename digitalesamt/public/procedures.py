"""A Kommune's active online procedures as its public page lists them: grouped by topic.

A link's topic is the Themenfeld of one of its LeiKa services, or that service's Lebenslage
where the catalogue gives no Themenfeld; a link serving several topics is listed once, under
the first of them in the page's order, so that the list holds exactly the counted procedures
(one link per URL and Kommune, by the counting key). Links without a topic come last.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from municipalities.confirmation import SourceIndex
from municipalities.models import ProcedureLink

# German sorting without a locale: umlauts and ß as their base letters.
_FOLD = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})


def sort_key(text: str) -> str:
    return text.casefold().translate(_FOLD)


@dataclass(frozen=True)
class Procedure:
    title: str
    url: str
    confirmed: bool  # the federal source lists its URL for the Kommune (or centrally)


@dataclass
class Topic:
    name: str
    procedures: list[Procedure] = field(default_factory=list)


@dataclass(frozen=True)
class _Link:
    title: str
    url: str
    key: str
    scope: str


def procedure_topics(municipality_id: int, index: SourceIndex | None) -> list[Topic]:
    """Group the Kommune's active links by topic, each link once (one query).

    With `index` (the Kommune was synced with the source) each procedure says whether the
    source confirms it; without, none is marked.
    """
    rows = (
        ProcedureLink.objects.filter(municipality_id=municipality_id)
        .active()
        .order_by("pk")
        .values_list(
            "pk", "title", "url", "url_key", "scope", "services__themenfeld", "services__lebenslage"
        )
    )
    links: dict[int, _Link] = {}
    topics_of: dict[int, set[str]] = {}
    for pk, title, url, key, scope, themenfeld, lebenslage in rows:
        links.setdefault(pk, _Link(title, url, key, scope))
        topics = topics_of.setdefault(pk, set())
        if topic := (themenfeld or lebenslage or "").strip():
            topics.add(topic)

    other = _("Weitere Online-Verfahren")
    grouped: dict[str, Topic] = {}
    for pk, link in links.items():
        name = min(topics_of[pk], key=sort_key, default=other)
        witness = index.witness(link.key, link.scope) if index is not None else None
        grouped.setdefault(name, Topic(name)).procedures.append(
            Procedure(title=link.title, url=link.url, confirmed=witness is not None)
        )
    for topic in grouped.values():
        topic.procedures.sort(key=lambda procedure: (sort_key(procedure.title), procedure.url))
    return sorted(grouped.values(), key=lambda topic: (topic.name == other, sort_key(topic.name)))
