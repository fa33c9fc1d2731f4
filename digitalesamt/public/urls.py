"""The public site: holders, map, statistics, Kommune pages, verification, documents, open data.

The paths of DESIGN section 6 are contracts printed on plaques and embedded on municipal
websites: they never change. The namespace is "awards", as it has been since the first release.
"""

from django.urls import path, re_path

from .views import documents, holders, map, municipality, opendata, statistics, verification

app_name = "awards"

urlpatterns = [
    path("", holders.holder_list, name="home"),
    path("karte/", map.holder_map, name="map"),
    path("karte/<slug:slug>/", map.bezirk_map, name="bezirk_map"),
    # The drawings the map pages embed, one per language (the same for everybody).
    path("karte/karte.<slug:language>.svg", map.holder_map_svg, name="map_svg"),
    path("karte/<slug:slug>/karte.<slug:language>.svg", map.bezirk_map_svg, name="bezirk_map_svg"),
    path("statistik/", statistics.statistics, name="statistics"),
    re_path(r"^kommunen/(?P<ars>\d{12})/$", municipality.municipality_detail, name="municipality"),
    path("pruefen/", verification.verify_form, name="verify_form"),
    path("pruefen/<str:number>/", verification.verify, name="verify"),
    path("auszeichnungen/<str:number>/schild.pdf", documents.plaque, name="plaque"),
    path("auszeichnungen/<str:number>/signet.png", documents.signet_png, name="signet_png"),
    path("auszeichnungen/<str:number>/signet.svg", documents.signet_svg, name="signet_svg"),
    path("auszeichnungen/<str:number>/signet.pdf", documents.signet_pdf, name="signet_pdf"),
    path("offene-daten/", opendata.overview, name="opendata"),
    path("api/v1/auszeichnungen.json", opendata.awards_json, name="opendata_json"),
    path("api/v1/auszeichnungen.csv", opendata.awards_csv, name="opendata_csv"),
    path("api/v1/openapi.json", opendata.openapi, name="openapi"),
    path("feeds/auszeichnungen.atom", opendata.awards_feed, name="feed"),
]
