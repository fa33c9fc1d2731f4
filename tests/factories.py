import datetime

import factory

from awards.models import Award
from municipalities.constants import Kind, Scope
from municipalities.models import Municipality, ProcedureLink, Service


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality

    ars = factory.Sequence(lambda n: f"09999{n:07d}")
    ags = factory.LazyAttribute(lambda m: m.ars[:5] + m.ars[9:])
    name = factory.Sequence(lambda n: f"Musterhausen {n}")
    register_name = factory.LazyAttribute(lambda m: m.name)
    kind = Kind.GEMEINDE
    population = 1000


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    leika_key = factory.Sequence(lambda n: f"99{n:012d}")
    name = factory.Sequence(lambda n: f"Leistung {n}")


class ProcedureLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProcedureLink

    municipality = factory.SubFactory(MunicipalityFactory)
    title = factory.Sequence(lambda n: f"Antrag {n}")
    url = factory.Sequence(lambda n: f"https://amt.example/verfahren/{n}")
    scope = Scope.KOMMUNAL


class AwardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Award

    municipality = factory.SubFactory(MunicipalityFactory)
    number = factory.Sequence(lambda n: f"DA-2021-{n + 1:04d}")
    issued_on = datetime.date(2021, 7, 28)
    procedure_count = 50
