"""The municipal portal `/portal/`: every view requires a clerk and sees only their Kommune.

tests/test_portal_isolation.py walks these patterns; a new pattern with a parameter needs an
object of another Kommune there (the test says which).
"""

from django.urls import path

from awards import views as award_views
from municipalities import views as procedure_views

app_name = "portal"

urlpatterns = [
    path("", award_views.dashboard, name="dashboard"),
    path("antrag/", award_views.application, name="application"),
    path("antrag/stellen/", award_views.application_create, name="application_create"),
    path("antrag/einreichen/", award_views.application_submit, name="application_submit"),
    path("antrag/antworten/", award_views.application_answer, name="application_answer"),
    path("antrag/zurueckziehen/", award_views.application_withdraw, name="application_withdraw"),
    path("verfahren/", procedure_views.procedure_list, name="procedures"),
    path("verfahren/neu/", procedure_views.procedure_create, name="procedure_create"),
    path(
        "verfahren/<int:pk>/bearbeiten/",
        procedure_views.procedure_edit,
        name="procedure_edit",
    ),
    path(
        "verfahren/<int:pk>/deaktivieren/",
        procedure_views.procedure_deactivate,
        name="procedure_deactivate",
    ),
    path(
        "verfahren/<int:pk>/reaktivieren/",
        procedure_views.procedure_reactivate,
        name="procedure_reactivate",
    ),
    path("verfahren/import/", procedure_views.procedure_upload, name="procedure_upload"),
    path(
        "verfahren/import/uebernehmen/",
        procedure_views.procedure_import_confirm,
        name="procedure_import_confirm",
    ),
    path("wappen/", procedure_views.coat_of_arms, name="coat_of_arms"),
    path("wappen/bild.png", procedure_views.coat_of_arms_image, name="coat_of_arms_image"),
    path("leistungen/suche/", procedure_views.service_search, name="service_search"),
]
