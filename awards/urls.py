"""The public site: holders, map, statistics, Kommune pages, verification, documents, open data.

The paths of DESIGN section 6 are contracts printed on plaques and embedded on municipal
websites: they never change.
"""

from django.urls import path, re_path

from . import opendata, public, statistics, views

app_name = "awards"

urlpatterns = [
    path("", public.holder_list, name="home"),
    path("karte/", statistics.holder_map, name="map"),
    path("statistik/", statistics.statistics, name="statistics"),
    re_path(r"^kommunen/(?P<ars>\d{12})/$", public.municipality_detail, name="municipality"),
    path("pruefen/", views.verify_form, name="verify_form"),
    path("pruefen/<str:number>/", views.verify, name="verify"),
    path("auszeichnungen/<str:number>/schild.pdf", views.plaque, name="plaque"),
    path("auszeichnungen/<str:number>/signet.png", views.signet_png, name="signet_png"),
    path("auszeichnungen/<str:number>/signet.svg", views.signet_svg, name="signet_svg"),
    path("offene-daten/", opendata.overview, name="opendata"),
    path("api/v1/auszeichnungen.json", opendata.awards_json, name="opendata_json"),
    path("api/v1/auszeichnungen.csv", opendata.awards_csv, name="opendata_csv"),
    path("api/v1/openapi.json", opendata.openapi, name="openapi"),
    path("feeds/auszeichnungen.atom", opendata.awards_feed, name="feed"),
]
